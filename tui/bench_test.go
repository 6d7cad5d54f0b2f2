package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
)

// bigFake is the load: 10,000 alerts, one incident with 1,000 tasks and 5,000
// timeline entries. The timeline is not in the state: its entries are real notes, signed
// and folded by the fake, which keeps them for Timeline as a store's index would. The
// alerts, tasks and timers are set in the state directly, not folded: View is what is
// measured, and signing them all would only slow the setup down.
func bigFake(tb testing.TB) *fake {
	f := newFake(tb, t0)
	base := t0.Add(-10 * time.Hour)
	f.apply("alice", &domain.Genesis{Name: "load", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: f.addr("alice"), Handle: "alice", Roles: []string{"triage"}}}, base)
	for _, h := range []string{"bob", "carol"} {
		f.apply("alice", &domain.MemberPropose{Action: domain.ActionAdd,
			Member: domain.MemberSpec{Address: f.addr(h), Handle: h, Roles: []string{"containment", "triage"}}}, base)
	}
	id := f.apply("alice", &domain.IncidentDeclare{Title: "Load test incident", Severity: "P1"}, base)
	f.apply("alice", &domain.IncidentAssign{Incident: id, Role: "triage", Member: "alice"}, base)
	f.apply("alice", &domain.IncidentAssign{Incident: id, Role: "containment", Member: "bob"}, base)
	f.apply("alice", &domain.IncidentStatus{Incident: id, Status: domain.StatusTriaged}, base)
	for i := 0; i < 5_000; i++ {
		f.apply("carol", &domain.Note{Incident: id,
			Text: fmt.Sprintf("Timeline entry %d: something happened and someone wrote it down", i)},
			base.Add(time.Duration(i)*5*time.Second))
	}

	s, inc, ms := f.st, f.st.Incidents[id], base.UnixMilli()
	for _, h := range []string{"alice", "bob", "carol"} {
		s.Watchers[h] = true
	}
	for i := 0; i < 10_000; i++ {
		fp := fmt.Sprintf("load-%05d", i)
		al := &domain.Alert{ID: domain.AlertID(fp), Fingerprint: fp, Title: fmt.Sprintf("Synthetic alert %d on host-%d", i, i%97),
			Source: "am", Severity: domain.Severities[i%4], Status: domain.AlertFiring, FirstSeen: ms + int64(i)*1000,
			LastSeen: ms + int64(i)*1000, Observers: []string{"alice", "bob"}[:1+i%2]}
		if i%3 == 0 {
			al.Acks = []domain.Ack{{By: "carol", At: al.FirstSeen}}
		}
		s.Alerts[al.ID] = al
	}
	for i := 0; i < 1_000; i++ {
		t := &domain.Task{ID: domain.ID{2, byte(i >> 8), byte(i)}, Incident: inc.ID, Title: fmt.Sprintf("Task number %d", i),
			Owner: "bob", Due: ms + int64(i)*60_000, Done: i%5 == 0}
		s.Tasks[t.ID] = t
		inc.Tasks = append(inc.Tasks, t.ID)
	}
	for i := 0; i < 20; i++ {
		tm := &domain.Timer{ID: domain.ID{3, byte(i)}, Incident: inc.ID, Label: fmt.Sprintf("Deadline %d", i),
			Due: t0.Add(time.Duration(i) * time.Minute).UnixMilli()}
		s.Timers[tm.ID] = tm
		inc.Timers = append(inc.Timers, tm.ID)
	}
	return f
}

func colourRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	return r
}

// BenchmarkView measures a full redraw (the cached frame defeated) in TrueColor, the
// common case and the most bytes. Targets: 200x60 under 2 ms, 80x24 under 1 ms.
func BenchmarkView(b *testing.B) {
	f := bigFake(b) // View does not change it: one for every size
	for _, sz := range [][2]int{{200, 60}, {80, 24}} {
		for _, tab := range []string{"1", "5"} {
			b.Run(fmt.Sprintf("%dx%d/tab%s", sz[0], sz[1], tab), func(b *testing.B) {
				m := New(f, Options{Renderer: colourRenderer(), Theme: theme(b, "dark"), Now: f.now, Location: time.UTC})
				m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				m.Update(keyMsg(tab))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m.dirty = true
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkStateChange is the cost of a new event arriving with this much state: the
// timeline is read again (here described from 5,000 kept events; a store reads them from
// its index) and every pane rebuilds its rows.
func BenchmarkStateChange(b *testing.B) {
	f := bigFake(b)
	m := New(f, Options{Renderer: colourRenderer(), Theme: theme(b, "dark"), Now: f.now, Location: time.UTC})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.rebuild()
	}
}

func TestViewStaysFastWithALargeState(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	f := bigFake(t)
	if rows, err := f.Timeline(context.Background(), f.st.SortedIncidents()[0].ID); err != nil || len(rows) < 5_000 {
		t.Fatalf("the load's timeline has %d entries (%v), want its 5,000 notes and more", len(rows), err)
	}
	for _, sz := range [][2]int{{200, 60}, {80, 24}} {
		m := New(f, Options{Renderer: colourRenderer(), Theme: theme(t, "dark"), Now: f.now, Location: time.UTC})
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		res := testing.Benchmark(func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m.dirty = true
				_ = m.View()
			}
		})
		per := time.Duration(res.NsPerOp())
		t.Logf("View %dx%d with 10k alerts, 1k tasks, 5k timeline: %s", sz[0], sz[1], per)
		// Generous bounds (10x the targets) so a slow CI machine does not flake; the
		// benchmark reports the real number.
		if limit := 20 * time.Millisecond; per > limit {
			t.Errorf("View %dx%d takes %s, want well under %s", sz[0], sz[1], per, limit)
		}
	}
}

// countingWriter counts what the program writes to the terminal.
type countingWriter struct {
	mu sync.Mutex
	n  int
	b  bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += len(p)
	w.b.Write(p)
	return len(p), nil
}

func (w *countingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// TestBytesPerTick runs the real program at 160x48 and counts the bytes one
// countdown second writes: bubbletea rewrites changed lines only, and the header keeps
// the per-second values on two lines, so a tick is the header's two lines plus the
// visible countdown rows, not a screen.
func TestBytesPerTick(t *testing.T) {
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.TrueColor} {
		s := newScenario(t)
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(profile)
		m := New(s.fake, Options{Renderer: r, Theme: theme(t, "dark"), Now: s.now, Location: time.UTC, Poll: time.Hour})
		out := &countingWriter{}
		p := tea.NewProgram(m, tea.WithInput(&bytes.Buffer{}), tea.WithOutput(out), tea.WithoutSignalHandler(), tea.WithAltScreen())
		done := make(chan struct{})
		go func() { defer close(done); p.Run() }()
		p.Send(tea.WindowSizeMsg{Width: 160, Height: 48})
		settle := func() int {
			last := -1
			for i := 0; i < 100; i++ {
				time.Sleep(30 * time.Millisecond)
				if n := out.count(); n == last {
					return n
				} else {
					last = n
				}
			}
			return last
		}
		first := settle()
		var total int
		const ticks = 3
		for i := 0; i < ticks; i++ {
			before := settle()
			s.advance(time.Second)
			p.Send(clockMsg(s.now()))
			total += settle() - before
		}
		p.Quit()
		<-done
		per := total / ticks
		t.Logf("profile %v: first frame %d bytes, one countdown tick %d bytes at 160x48", profile, first, per)
		// Six lines change: the header's two and the T-minus pane's four countdowns (two
		// timers, two tasks due), each a 160-cell line shared with the panes beside it.
		if per == 0 || per > 3000 {
			t.Errorf("a tick wrote %d bytes; want the changed lines only (a few hundred)", per)
		}
	}
}
