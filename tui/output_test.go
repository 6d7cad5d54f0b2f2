package tui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/domain"
)

// executed approves bob's pause proposal and records alice's run of it at 03:45, its
// output kept as a blob the way the exec path keeps it. It returns the output's hash.
func (s *scenario) executed(output []byte, mod func(*domain.RunbookExec)) string {
	s.apply("alice", &domain.RunbookApprove{Proposal: s.pause}, at("03:40:00"))
	body := &domain.RunbookExec{Proposal: s.pause, DurationMs: 1234, Output: s.putBlob(output), OutputSize: int64(len(output))}
	if mod != nil {
		mod(body)
	}
	s.apply("alice", body, at("03:45:00"))
	if s.st.Proposals[s.pause].Exec == nil {
		s.t.Fatalf("the run was not folded: %+v", s.st.Rejected)
	}
	return body.Output
}

// numbered is n lines, "line 01" to "line n".
func numbered(n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %02d\n", i)
	}
	return b.Bytes()
}

func TestOutputViewerOpensScrollsCopiesCloses(t *testing.T) {
	s := newScenario(t)
	out := numbered(40)
	sum := s.executed(out, nil)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4")
	h.contains("▸contract-pause         exit 0", "o reads it")
	h.press("?")
	h.contains("o/enter      read output")
	h.lacks("(o/enter)")
	// The viewer's keys, listed as they work once it is open.
	if all := ansi.Strip(strings.Join(h.m.help.lines, "\n")); !strings.Contains(all, "Output viewer (o on a run)") ||
		!strings.Contains(all, "c            copy output") {
		t.Errorf("help lacks the output viewer's keys:\n%s", all)
	}
	h.press("esc", "o")
	// The title: runbook and step, exit code, duration, size, the short hash; the
	// position on the right. 24 lines - 3 header - tab bar - title - 2 footer = 17 rows.
	h.contains("contract-pause step 2 · exit 0 · 1.2s · 320 B · sha256 "+sum[:12]+"…", "1-17/40", "line 01", "line 17")
	h.lacks("line 18", "PROPOSALS", "loading")
	h.contains("esc/q close · c copy output · ↓/j down · pgdn page down · G bottom")
	h.lacks("D declare", "? help", "q quit") // the viewer owns those keys now
	if got := s.blobRead; len(got) != 1 || got[0] != sum {
		t.Fatalf("blobs read %v, want the run's output once", got)
	}

	h.press("j")
	h.contains("2-18/40", "line 18")
	h.lacks("line 01")
	h.press("G")
	h.contains("24-40/40", "line 40")
	h.press("pgup") // a page is the rows in view
	h.contains("7-23/40")
	h.press("g")
	h.contains("1-17/40", "line 01")
	h.press("pgdown")
	h.contains("18-34/40")
	h.press("k", "down", "up")
	h.contains("17-33/40")

	// Global single letters do not fire while it is open: no form, no tab switch, no quit.
	h.press("D", "n", "s", "2", "tab", "x", "A", "?")
	h.contains("17-33/40", "[4 Runbooks]")
	h.lacks("Declare", "Note", "Approve", "runs exactly", "Tasks ·")
	if h.m.form != nil || h.m.dialog != nil || h.m.help != nil || h.m.focus != paneRunbooks || len(s.pending) != 0 {
		t.Fatal("a global key acted under the output viewer")
	}

	h.press("c")
	if len(h.copied) != 1 || h.copied[0] != string(out) {
		t.Fatalf("copied %q, want the whole output", h.copied)
	}
	h.contains("✓ copied the output of contract-pause step 2 (320 B)")

	h.press("esc")
	h.contains("▸contract-pause         exit 0", "PROPOSALS", "ran by alice 03:45: exit 0 in 1.2s")
	h.lacks("1-17/40")
	// q closes it too, and does not quit.
	h.press("enter")
	h.contains("1-17/40")
	h.press("q")
	if h.quit {
		t.Fatal("q in the output viewer quit the cockpit")
	}
	h.contains("PROPOSALS")
	h.press("q")
	if !h.quit {
		t.Fatal("q on the list no longer quits")
	}
}

// The copy goes out as OSC 52 through the helper the cockpit uses for one-liners.
func TestOutputViewerCopiesWithOSC52(t *testing.T) {
	s := newScenario(t)
	out := []byte("block 19442007\npaused: true\n")
	s.executed(out, nil)
	var term bytes.Buffer
	m := New(s.fake, Options{Renderer: asciiRenderer(), Theme: theme(t, "dark"), Now: s.now, Location: time.UTC,
		Copy: OSC52(&term, func(string) string { return "" })})
	h := &harness{t: t, m: m, f: s.fake}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.press("4", "o", "c")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString(out) + "\x07"
	if term.String() != want {
		t.Fatalf("terminal got %q, want %q", term.String(), want)
	}
	h.contains("copied the output of contract-pause step 2 (28 B) (OSC 52")
}

// The read runs in a command: the viewer says loading meanwhile and the cockpit stays
// live; a result for another proposal, or one arriving after the viewer closed, is
// dropped.
func TestOutputViewerLoadsWithoutBlocking(t *testing.T) {
	s := newScenario(t)
	s.executed([]byte("paused: true\n"), nil)
	other := s.apply("bob", &domain.RunbookPropose{Incident: s.p1, Runbook: "evidence-chain-state", RunbookHash: domain.CommandHash("x"),
		Step: 1, Command: "cast balance", CommandHash: domain.CommandHash("cast balance"), Risk: domain.RiskLow}, at("03:50:00"))
	s.blobHold = make(chan struct{})
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "j") // the executed proposal sorts after the waiting one
	h.contains("▸contract-pause         exit 0")
	_, cmd := h.m.Update(keyMsg("o"))
	req := cmd()
	if r, ok := req.(outputRequest); !ok || r.id != s.pause || r.pane != paneRunbooks {
		t.Fatalf("o asked for %#v", req)
	}
	_, read := h.m.Update(req) // the read, held back by blobHold
	h.contains("contract-pause step 2 · exit 0", "loading…")
	h.tick(time.Second)
	h.poll()
	h.contains("+00:41:08", "loading…")

	h.send(outputMsg{pane: paneRunbooks, id: other, out: prepareOutput([]byte("NOT THIS ONE\n"))})
	h.contains("loading…")
	h.lacks("NOT THIS ONE")

	close(s.blobHold)
	h.run(read)
	h.contains("paused: true", "1 line")
	h.lacks("loading…")
	// A late duplicate does not replace what is shown.
	h.send(outputMsg{pane: paneRunbooks, id: s.pause, out: prepareOutput([]byte("LATE\n"))})
	h.lacks("LATE")

	h.press("esc")
	h.send(outputMsg{pane: paneRunbooks, id: s.pause, out: prepareOutput([]byte("AFTER CLOSE\n"))})
	h.lacks("AFTER CLOSE", "paused: true")
	h.contains("PROPOSALS")
}

func TestOutputViewerShowsWhyTheOutputIsMissing(t *testing.T) {
	s := newScenario(t)
	sum := s.executed([]byte("paused: true\n"), func(e *domain.RunbookExec) { e.ExitCode, e.TimedOut, e.Truncated = 137, true, true })
	delete(s.blobs, sum) // the event came from a peer; its bytes did not yet
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "o")
	// Too long for one line at 80 columns: two, and the hash is whole.
	h.contains("contract-pause step 2 · exit 137 timed out · 1.2s", "output 13 B truncated · sha256 "+sum[:12]+"…",
		"blob sha256 "+sum[:12]+"… not found in this copy; tminus evidence get", sum[:12]+" fetches it from a peer",
		"sha256 "+sum)
	h.lacks("loading…")
	if h.m.ctx.Keys.CopyOutput.Enabled() {
		t.Error("c is on with nothing to copy")
	}
	h.contains(" esc/q close  ")
	h.lacks("copy output", "down") // nothing to copy or scroll
	h.press("c")
	if len(h.copied) != 0 {
		t.Fatal("copied without an output")
	}

	// Bytes that do not hash to what the run recorded are not shown as its output.
	s.blobs[sum] = []byte("forged\n")
	h.press("esc", "o")
	h.contains("the bytes read as sha256 "+sum[:12]+"… hash to", "this run recorded (tminus verify lists damaged blobs)")
	h.lacks("forged")

	// The backend's own error, whatever it is, reads as it is.
	s.blobErr = fmt.Errorf("reading blob sha256 %s…: database is locked", sum[:12])
	h.press("esc", "o")
	h.contains("reading blob sha256 " + sum[:12] + "…: database is locked")
}

// What a run printed cannot drive the responder's terminal: not in the viewer, not
// through the clipboard.
func TestOutputViewerNeutralisesEscapes(t *testing.T) {
	s := newScenario(t)
	out := "\x1b[31mred\x1b[0m ok\r\n" +
		"steal\x1b]52;c;cm0gLXJmIH4K\x07 title\x1b]0;pwned\x1b\\\n" +
		"clear\x1b[2J\x1b[H home\n" +
		"bell\a nul\x00 del\x7f bs\b\n" +
		"progress 10%\rprogress 20%\n" +
		"c1 \xc2\x9b31m raw \x9b31m bad \xff\n" +
		"bidi \u202egnp.exe\u202c zw\u200b\n" +
		"a\tb\tc\n"
	s.executed([]byte(out), nil)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "o")
	v := h.view() // Ascii profile: the cockpit itself writes no escapes
	for _, bad := range []string{"\x1b", "\a", "\x00", "\x7f", "\b", "\r", "\xc2\x9b", "\x9b", "\u202e", "\u200b"} {
		if strings.Contains(v, bad) {
			t.Errorf("the screen carries %q:\n%q", bad, v)
		}
	}
	h.contains("red ok", // colour dropped
		`steal^[]52;c;cm0gLXJmIH4K^G title^[]0;pwned^[\`,
		"clear^[[2J^[[H home",
		"bell^G nul^@ del^? bs^H",
		"progress 10%^Mprogress 20%",
		`c1 \u009b31m raw \x9b31m bad \xff`,
		`bidi \u202egnp.exe\u202c zw\u200b`,
		"a       b       c", // tabs to 8-column stops
		"8 lines")
	h.press("c")
	if len(h.copied) != 1 {
		t.Fatal("nothing copied")
	}
	if c := h.copied[0]; strings.ContainsAny(c, "\x1b\a\x00\r\u202e") || !strings.Contains(c, "a\tb\tc\n") ||
		!strings.Contains(c, "^[[2J") {
		t.Errorf("copied %q", c)
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain\n", "plain\n"},
		{"\x1b[1;38;2;255;0;0mbold\x1b[m", "bold"},
		{"\x1b[38:5:1mx", "x"},
		{"\x1b[1A up", "^[[1A up"},
		{"\x1b[", "^[["},
		{"\x1b", "^["},
		{"crlf\r\nlf\n", "crlf\nlf\n"},
		{"cr\r", "cr^M"},
		{"\x01\x1f", "^A^_"},
		{"é ü 日本 ✓", "é ü 日本 ✓"},
		{"\xef\xbf\xbd", "\ufffd"}, // U+FFFD itself is text
		{"\xe2\x82", `\xe2\x82`},
		{"\u0085", `\u0085`},
		{"\u2028", `\u2028`},
	}
	for _, tt := range tests {
		if got := neutralise([]byte(tt.in)); got != tt.want {
			t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOutputViewerScrollsSideways(t *testing.T) {
	s := newScenario(t)
	long := strings.Repeat("0123456789", 12) + "END\n"
	s.executed([]byte("short\n"+long), nil)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4", "o")
	h.contains("→/l scroll right", "short", "01234567890123")
	h.lacks("END")
	h.press("l", "l", "l")
	h.contains("END")
	h.press("h", "h", "h", "left")
	h.lacks("END")
	h.contains("01234567890123")
	// Scrolled, then the terminal grows wider than the line: all of it shows from its start.
	h.press("l", "l")
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
	h.contains("short", "0123456789012345678901234567890", "789END")
	h.lacks("scroll right")
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.contains("01234567890123")
	h.lacks("END")

	// A narrow output does not scroll, and the key says nothing it would not do.
	s2 := newScenario(t)
	s2.executed([]byte("short\n"), nil)
	h2 := newHarness(t, s2.fake, 80, 24)
	h2.press("4", "o", "l", "left")
	h2.contains("short", "1 line")
	h2.lacks("scroll right")
	checkFrame(t, "narrow output", h2.view(), 80, 24)
}

func TestOutputViewerEmptyOutputAndNotRunYet(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4")
	if h.m.ctx.Keys.Output.Enabled() {
		t.Fatal("o is on for a proposal that has not run")
	}
	h.press("o")
	h.lacks("loading", "sha256")
	if len(s.blobRead) != 0 {
		t.Fatal("read a blob for a proposal that has not run")
	}

	s2 := newScenario(t)
	s2.executed(nil, nil)
	h2 := newHarness(t, s2.fake, 80, 24)
	h2.press("4", "o")
	h2.contains("0 B · sha256", "the run printed nothing", "empty")
}

// A run in the wide layout opens in the runbooks frame, the rest of the cockpit around it.
func TestOutputViewerInTheGrid(t *testing.T) {
	s := newScenario(t)
	s.executed(numbered(40), nil)
	h := newHarness(t, s.fake, 160, 48)
	h.press("4", "o")
	h.contains("Runbooks · output of contract-pause step 2", "line 01", "Incidents", "Timeline")
	checkFrame(t, "grid viewer", h.view(), 160, 48)
	h.press("esc")
	h.lacks("output of contract-pause")
}

// The timeline names evidence by its short hash where an 80-column row still shows it.
func TestTimelineShowsEvidenceHashes(t *testing.T) {
	s := newScenario(t)
	sum := s.executed([]byte("paused: true\n"), nil)
	file := strings.Repeat("ab", 32)
	s.apply("dave", &domain.EvidenceAdd{Incident: s.p1, Name: "vault-balances-at-block-19442001-archive-2.json", SHA256: file, Size: 2048},
		at("03:50:00"))
	f := s.fake
	f.pending = append(f.pending, f.seal("dave", &domain.Note{Incident: s.p1, Text: "last"}, at("03:51:00")))
	h := newHarness(t, f, 80, 24)
	h.poll()
	h.press("5")
	h.contains("evidence.add      sha256 "+file[:12]+" vault-balances-at-bloc…",
		"runbook.exec      exit 0 sha256 "+sum[:12]+" contract-pause …")
	h.press("k") // the detail keeps the domain's words, in full
	h.contains("evidence vault-balances-at-block-19442001-archive-2.json sha256 " + file[:12])
	// Narrow: no kind column, the hash still shows.
	h.send(tea.WindowSizeMsg{Width: 60, Height: 24})
	h.contains("sha256 " + file[:12])
}
