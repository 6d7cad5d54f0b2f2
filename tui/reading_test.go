package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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

// Every tab, at both sizes, fills the screen exactly (no line wider than it, which
// would wrap and scroll the frame), and the header's segments stand apart.
func TestEveryTabFitsAt80And160(t *testing.T) {
	s := rosterScenario(t)
	s.safeProposal(t, safe.Call, 12)
	for _, sz := range readingSizes {
		h := newHarness(t, s.fake, sz[0], sz[1])
		for tab := 1; tab <= int(paneCount); tab++ {
			h.press(itoa(tab))
			for _, keys := range [][]string{nil, {"j"}, {"j"}, {"G"}} { // a few selections: details differ
				h.press(keys...)
				checkFrame(t, paneNames[tab-1], h.view(), sz[0], sz[1])
				lead := strings.Split(h.screen(), "\n")[2]
				i := strings.Index(lead, "alerts ")
				if i < 2 || strings.TrimSpace(lead[i-2:i]) != "" { // two spaces, as between every header segment
					t.Fatalf("%dx%d tab %d: the leads run into the alert summary: %q", sz[0], sz[1], tab, lead)
				}
			}
			h.press("g")
		}
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
