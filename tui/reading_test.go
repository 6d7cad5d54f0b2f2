package tui

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

// readingSizes are the two screens the cockpit is read on: a jump host's 80x24 (tabs)
// and a wall's 160x48 (the grid).
var readingSizes = [][2]int{{80, 24}, {160, 48}}

// byTime is a row's author and time: whole, or not there at all.
var byTime = regexp.MustCompile(`· (alice|bob|carol|dave) \d\d:\d\d( |$)`)

// paneLines is a pane's content as drawn, without colour, one string per line.
func paneLines(h *harness, id paneID) []string {
	return strings.Split(ansi.Strip(h.m.panes[id].View()), "\n")
}

// narrowSizes are the tab widths below 80 a responder meets: the smallest drawn, tmux
// splits, and one column short of the jump host.
var narrowSizes = [][2]int{{60, 14}, {66, 20}, {72, 24}, {79, 24}}

// Every tab, at every size, fills the screen exactly (no line wider than it, which
// would wrap and scroll the frame) with the header and footer cut between words
// (checkFrame); the header's segments stand apart; and every tab shows (in tabs mode: the tab bar, with
// the active tab's full name; in the grid: the frames' titles).
func TestEveryTabFits(t *testing.T) {
	s := rosterScenario(t)
	s.safeProposal(t, safe.Call, 12)
	for _, sz := range append(append([][2]int{}, narrowSizes...), readingSizes...) {
		h := newHarness(t, s.fake, sz[0], sz[1])
		for tab := 1; tab <= int(paneCount); tab++ {
			h.press(itoa(tab))
			for _, keys := range [][]string{nil, {"j"}, {"j"}, {"G"}, {"y"}} { // a few selections: details differ; y sets a status
				h.press(keys...)
				checkFrame(t, paneNames[tab-1], h.view(), sz[0], sz[1])
				lines := strings.Split(h.screen(), "\n")
				lead := lines[2]
				i := strings.Index(lead, "alerts ")
				if i < 2 || strings.TrimSpace(lead[i-2:i]) != "" { // two spaces, as between every header segment
					t.Fatalf("%dx%d tab %d: the leads run into the alert summary: %q", sz[0], sz[1], tab, lead)
				}
				if h.m.lay.mode == modeTabs {
					checkTabBar(t, strings.Split(h.view(), "\n")[headerLines], paneID(tab-1), sz[0])
					continue
				}
				for id, p := range h.m.panes {
					name, _, _ := strings.Cut(p.Title(), " · ") // "T-minus · 2"
					if !strings.Contains(h.screen(), " "+itoa(id+1)+" "+name) {
						t.Errorf("%dx%d: no frame titled %d %s", sz[0], sz[1], id+1, name)
					}
				}
			}
			h.press("g")
		}
	}
}

// Below 80 columns the header's free text (the title, the next deadline's label, the
// leads, the hint with no incident) and the status line give way between words: they
// show their first words whole, then " …".
func TestNarrowTextGivesWayBetweenWords(t *testing.T) {
	const (
		title  = "Vault drain on the L2 bridge"
		label  = "Snapshot vault balances at block 19,442,001"
		leads  = "triage alice, contain bob, comms carol, rec dave"
		hint   = "D declares an incident; i declares one from the selected alert"
		status = "reading the timeline of 3fa9c1: database is locked (another tminus holds it; retry)"
	)
	quiet := newFake(t, t0)
	quiet.apply("alice", &domain.Genesis{Name: "quiet", Founder: domain.MemberSpec{Address: quiet.addr("alice"),
		Handle: "alice", Roles: []string{"triage"}}}, t0)
	anchored := newScenario(t)
	anchored.anchored(t, anchored.apply)
	for _, sz := range narrowSizes {
		w := sz[0]
		for _, f := range []*fake{newScenario(t).fake, anchored.fake} {
			h := newHarness(t, f, w, sz[1])
			h.m.status = failed(errors.New(status))
			h.m.dirty = true
			lines := strings.Split(h.screen(), "\n")
			checkWordsShown(t, w, lines[0], title)
			checkWordsShown(t, w, lines[1], label)
			checkWordsShown(t, w, lines[2], leads)
			checkWordsShown(t, w, lines[len(lines)-2], status)
			// The anchor's age gives way, whole, before the label's first word would be cut.
			if f == anchored.fake && w >= 72 && !strings.Contains(lines[1], " anchored 12m ago · +00:41:07 ") {
				t.Errorf("%d columns: the anchor's age is missing: %q", w, lines[1])
			}
		}
		checkWordsShown(t, w, strings.Split(newHarness(t, quiet, w, sz[1]).screen(), "\n")[1], hint)
	}
}

// checkWordsShown fails unless line shows full, or full's first words whole and then
// " …", up to the next header gap.
func checkWordsShown(t *testing.T, w int, line, full string) {
	t.Helper()
	first, _, _ := strings.Cut(full, " ")
	i := strings.Index(line, first+" ")
	if i < 0 {
		t.Errorf("%d columns: %q lacks %q", w, line, first)
		return
	}
	shown, _, _ := strings.Cut(strings.TrimRight(line[i:], " "), "  ")
	if shown == full {
		return
	}
	head, ok := strings.CutSuffix(shown, " …")
	if !ok || !strings.HasPrefix(full, head+" ") {
		t.Errorf("%d columns: %q is not the first words of %q then \" …\"", w, shown, full)
	}
}

// The Safe row and the proposal row keep who and when whole at both sizes, or leave
// them out; the Safe details keep the nonce, the value and the next command whole.
func TestRowsKeepAuthorAndTime(t *testing.T) {
	s := newScenario(t)
	id := s.safeProposal(t, safe.Call, 12)
	for _, sz := range readingSizes {
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("4")
		lines := paneLines(h, paneRunbooks)
		var safeRow, propRow string
		for i, l := range lines {
			switch {
			case strings.HasPrefix(l, " SAFE TXS"):
				safeRow = lines[i+1]
			case strings.HasPrefix(l, " PROPOSALS"):
				propRow = lines[i+1]
			}
		}
		if sz[0] == 80 {
			// 80 columns: room for both, whole.
			for _, row := range []string{safeRow, propRow} {
				if !byTime.MatchString(row) {
					t.Errorf("%dx%d: the row lacks its author and time: %q", sz[0], sz[1], row)
				}
			}
			if !strings.Contains(safeRow, "pause() → 0x") || !strings.Contains(safeRow, "…") {
				t.Errorf("%dx%d: the Safe row's target is not elided in the middle: %q", sz[0], sz[1], safeRow)
			}
		}
		for _, row := range []string{safeRow, propRow} {
			if i := strings.Index(row, " · "); i >= 0 && !byTime.MatchString(row[i:]) {
				t.Errorf("%dx%d: the author and time are cut: %q", sz[0], sz[1], row)
			}
		}
		detail := strings.Join(lines, "\n")
		for _, want := range []string{" · nonce 12 · value 0", " · tminus safe sign " + id.Short(), " v1.4.1 chain 1 · bob 03:35"} {
			if !strings.Contains(detail, want) {
				t.Errorf("%dx%d: the Safe details lack %q:\n%s", sz[0], sz[1], want, detail)
			}
		}
	}
}

// The proposal's one-liner reads whole at both sizes: no line wider than the pane and
// the lines, joined back, the exact command.
func TestOneLinerWordsIntact(t *testing.T) {
	s := newScenario(t)
	cmd := s.st.Proposals[s.pause].Command
	for _, sz := range readingSizes {
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("4") // the cursor starts on bob's proposal
		w := h.m.lay.pw[paneRunbooks]
		var shown []string
		for _, l := range paneLines(h, paneRunbooks) {
			l = strings.TrimRight(l, " ")
			switch {
			case strings.HasPrefix(l, "$ "):
				shown = append(shown, l)
			case len(shown) > 0 && strings.HasPrefix(l, hang):
				shown = append(shown, l)
			case len(shown) > 0:
				goto done
			}
		}
	done:
		if got := unwrapCommand(shown); got != "$ "+cmd {
			t.Errorf("%dx%d (pane %d wide): the one-liner reads\n%q\nnot\n%q", sz[0], sz[1], w, got, "$ "+cmd)
		}
		if len(shown) < 2 {
			t.Errorf("%dx%d: expected the one-liner wrapped at this width: %q", sz[0], sz[1], shown)
		}
		for _, l := range shown {
			if width(l) > w {
				t.Errorf("%dx%d: %q is wider than the pane (%d)", sz[0], sz[1], l, w)
			}
		}
	}
}

// The roster reads the same at both sizes: capital column titles, every count as
// valid/minimum with "–" for none, and the selected member's count before their roles.
func TestRosterReadsAt80And160(t *testing.T) {
	count := regexp.MustCompile(` (\d+)/(\d+|–) `)
	for _, sz := range readingSizes {
		s := rosterScenario(t)
		h := newHarness(t, s.fake, sz[0], sz[1])
		h.press("7")
		lines := paneLines(h, paneRoster)
		if f := strings.Fields(lines[0]); strings.Join(f, " ") != "MEMBER ROLES PROOFS KINDS WARNING" {
			t.Errorf("%dx%d: column titles %q", sz[0], sz[1], lines[0])
		}
		for _, l := range lines[1:5] {
			if !count.MatchString(l) {
				t.Errorf("%dx%d: the row's proofs are not valid/minimum: %q", sz[0], sz[1], l)
			}
		}
		for _, want := range []string{" alice · proofs 1 of 2 that containment needs",
			" roles comms, containment, recorder, reporter, triage"} {
			if !strings.Contains(strings.Join(lines, "\n"), want) {
				t.Errorf("%dx%d: the details lack %q:\n%s", sz[0], sz[1], want, strings.Join(lines, "\n"))
			}
		}
	}
}
