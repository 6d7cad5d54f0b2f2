package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/themes"
)

// Today's bar at 80 and 86 columns, and how it gives way below 80 (see tabBar).
func TestTabBarGivesWay(t *testing.T) {
	k := testInk(t, termenv.Ascii, "dark")
	tests := []struct {
		w      int
		active paneID
		want   string
	}{
		{86, paneAlerts, "─ [1 Alerts] ─ 2 Tasks ─ 3 Timers ─ 4 Runbooks ─ 5 Timeline ─ 6 Incidents ─ 7 Roster ─"},
		{85, paneAlerts, "─ [1 Alerts]  2 Tasks  3 Timers  4 Runbooks  5 Timeline  6 Incidents  7 Roster ──────"},
		{80, paneAlerts, "─ [1 Alerts]  2 Tasks  3 Timers  4 Runbooks  5 Timeline  6 Incidents  7 Roster ─"},
		{80, paneRoster, "─ 1 Alerts  2 Tasks  3 Timers  4 Runbooks  5 Timeline  6 Incidents  [7 Roster] ─"},
		// Farthest from the active tab first: Incidents before Runbooks.
		{79, paneAlerts, "─ [1 Alerts]  2 Tasks  3 Timers  4 Runbooks  5 Timeline  6 Incs  7 Roster ─────"},
		{79, paneRoster, "─ 1 Alerts  2 Tasks  3 Timers  4 Books  5 Timeline  6 Incidents  [7 Roster] ───"},
		{72, paneAlerts, "─ [1 Alerts]  2 Tasks  3 Timers  4 Runbooks  5 Log  6 Incs  7 Roster ───"},
		{72, paneIncidents, "─ 1 Alerts  2 Tasks  3 Timers  4 Books  5 Log  [6 Incidents]  7 Roster ─"},
		{66, paneTimeline, "─ 1  2 Tasks  3 Timers  4 Books  [5 Timeline]  6 Incs  7 Roster ──"},
		{60, paneAlerts, "─ [1 Alerts]  2 Tasks  3 Timers  4 Books  5 Log  6 Incs  7 ─"},
		{60, paneRunbooks, "─ 1  2 Tasks  3 Timers  [4 Runbooks]  5 Log  6 Incs  7 ─────"},
		{60, paneIncidents, "─ 1  2  3 Timers  4 Books  5 Log  [6 Incidents]  7 Roster ──"},
	}
	for _, tt := range tests {
		if got := ansi.Strip(tabBar(k, tt.active, tt.w)); got != tt.want {
			t.Errorf("%d columns, tab %d active:\n got %q\nwant %q", tt.w, tt.active+1, got, tt.want)
		}
	}
}

// Every width the tabs are drawn at, every active tab, in colour and without: the bar
// fills the line exactly, shows every tab in order as at least its number, the active
// one bracketed with its full name, nothing else (no half word), and each tab's name
// only shortens as the width shrinks.
func TestTabBarEveryWidth(t *testing.T) {
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.TrueColor} {
		for _, name := range []string{"dark", "mono"} {
			k := testInk(t, profile, name)
			for a := range paneCount {
				var wider [paneCount]string // the names one column wider
				for w := gridW + 20; w >= minW; w-- {
					names := checkTabBar(t, tabBar(k, a, w), a, w)
					for id := range paneCount {
						if w < gridW+20 && len(names[id]) > len(wider[id]) {
							t.Errorf("%d columns, tab %d active: tab %d grew from %q to %q", w, a+1, id+1, wider[id], names[id])
						}
						if w >= 80 && names[id] != paneNames[id] {
							t.Errorf("%d columns, tab %d active: tab %d reads %q, want its full name", w, a+1, id+1, names[id])
						}
					}
					wider = names
				}
			}
		}
	}
}

// FuzzTabBar: at any width the bar never wraps nor overflows; from minW up it keeps
// every tab and the active one's name.
func FuzzTabBar(f *testing.F) {
	for _, w := range []int{0, 1, 35, 59, minW, 66, 72, 79, 80, 85, 86, gridW - 1, 300} {
		f.Add(w, uint8(w%int(paneCount)))
	}
	k := testInk(f, termenv.TrueColor, "dark")
	f.Fuzz(func(t *testing.T, w int, active uint8) {
		if w < 0 || w > 1000 {
			return
		}
		a := paneID(active % uint8(paneCount))
		bar := tabBar(k, a, w)
		if n := lipgloss.Width(bar); n > w || strings.Contains(bar, "\n") {
			t.Fatalf("%d columns, tab %d active: %d cells or wraps: %q", w, a+1, n, ansi.Strip(bar))
		}
		if w >= minW {
			checkTabBar(t, bar, a, w)
		}
	})
}

func testInk(t testing.TB, p termenv.Profile, name string) *ink {
	t.Helper()
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(p)
	return newInk(themes.NewStyles(r, theme(t, name)), r)
}

// drawnTab is one tab as drawn: its number, its name if any, brackets when active.
var drawnTab = regexp.MustCompile(`(\[?)([1-9])(?: ([A-Z][a-z]+))?(\]?)`)

// checkTabBar fails unless bar is one line of exactly w cells holding the seven tabs in
// order, each as its number alone, its short name or its full name, the active one
// (alone) bracketed with its full name, and nothing but rules and spaces between. It
// returns each tab's name as shown.
func checkTabBar(t *testing.T, bar string, active paneID, w int) (names [paneCount]string) {
	t.Helper()
	plain := ansi.Strip(bar)
	if n := lipgloss.Width(bar); n != w || strings.Contains(bar, "\n") {
		t.Fatalf("%d columns, tab %d active: the bar is %d cells or wraps: %q", w, active+1, n, plain)
	}
	ms := drawnTab.FindAllStringSubmatch(plain, -1)
	if len(ms) != int(paneCount) {
		t.Fatalf("%d columns, tab %d active: %d tabs in %q", w, active+1, len(ms), plain)
	}
	for i, m := range ms {
		id := paneID(i)
		if m[2] != itoa(i+1) {
			t.Fatalf("%d columns, tab %d active: tab %d shows as %q in %q", w, active+1, i+1, m[0], plain)
		}
		names[id] = m[3]
		bracketed := m[1] == "[" && m[4] == "]"
		switch {
		case id == active && (!bracketed || m[3] != paneNames[id]):
			t.Fatalf("%d columns: the active tab %d reads %q, want [%d %s] in %q", w, i+1, m[0], i+1, paneNames[id], plain)
		case id != active && (m[1] != "" || m[4] != ""):
			t.Fatalf("%d columns, tab %d active: tab %d is bracketed too: %q", w, active+1, i+1, plain)
		case m[3] != "" && m[3] != paneNames[id] && m[3] != paneShort[id]:
			t.Fatalf("%d columns, tab %d active: tab %d reads %q, neither its name nor its short name", w, active+1, i+1, m[3])
		}
	}
	if rest := strings.Trim(drawnTab.ReplaceAllString(plain, ""), "─ "); rest != "" {
		t.Fatalf("%d columns, tab %d active: %q left over in %q", w, active+1, rest, plain)
	}
	return names
}

// BenchmarkTabBar is the bar's cost per frame: one render that fits at 86 columns and
// up, and a render per step taken below (the most at minW).
func BenchmarkTabBar(b *testing.B) {
	k := testInk(b, termenv.TrueColor, "dark")
	for _, w := range []int{120, 80, 72, minW} {
		b.Run(itoa(w), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = tabBar(k, paneIncidents, w)
			}
		})
	}
}
