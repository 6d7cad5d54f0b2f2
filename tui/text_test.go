package tui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// castSend is the demo's one-liner for pausing the bridge: an address, a quoted
// signature and flags, every one of which must stay whole on screen.
const castSend = `cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' "pause()" --rpc-url 'mainnet' '--ledger'`

// unwrapCommand joins wrapped command lines back as a reader would: an indented line
// starts a new word (the break stands for a space), an unindented one goes on with the
// word a line was too short for.
func unwrapCommand(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if t, ok := strings.CutPrefix(l, hang); ok && i > 0 {
			b.WriteByte(' ')
			l = t
		}
		b.WriteString(l)
	}
	return b.String()
}

func TestWrapCommand(t *testing.T) {
	calldata := "0x" + strings.Repeat("ab", 40) // 82 cells: longer than any line here
	tests := []struct {
		name string
		s    string
		w, n int
		want []string
	}{
		{"fits", "$ ls -l", 20, 3, []string{"$ ls -l"}},
		{"breaks at the space before the word that does not fit", "$ " + castSend, 80, 4, []string{
			`$ cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2' "pause()" --rpc-url`,
			`  'mainnet' '--ledger'`}},
		{"60 columns", "$ " + castSend, 60, 4, []string{
			`$ cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2'`,
			`  "pause()" --rpc-url 'mainnet' '--ledger'`}},
		{"a token longer than a line starts its own and is cut at the width", "$ cast calldata " + calldata, 40, 5, []string{
			"$ cast calldata",
			"  " + calldata[:38],
			calldata[38:78],
			calldata[78:]}},
		{"too many lines: the last says so", "$ " + castSend, 40, 2, []string{
			`$ cast send`,
			`  '0x5e4e65926ba27467555eb562121fac00d2…`}},
		{"runs of spaces inside a line are kept", "echo 'a  b'", 20, 2, []string{"echo 'a  b'"}},
		{"too narrow for an indent", "$ aaa bbb ccc", 6, 4, []string{"$ aaa", "bbb", "ccc"}},
		{"empty", "", 10, 2, nil},
		{"no room", "$ ls", 0, 2, nil},
		{"no lines", "$ ls", 10, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapCommand(tt.s, tt.w, tt.n)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrapCommand(%q, %d, %d) =\n%q\nwant\n%q", tt.s, tt.w, tt.n, got, tt.want)
			}
		})
	}
}

// At the widths the cockpit draws commands (a dialog, the tab, the grid's column, a
// form), every line fits and every word of the one-liner is intact when the lines
// are joined: nothing split mid-word, nothing lost.
func TestWrapCommandKeepsWordsWhole(t *testing.T) {
	cmds := []string{castSend,
		`printf '[%s] INCIDENT %s DECLARED: %s\nJoin: %s\nRules: evidence before changes; no containment without quorum in tminus' {{severity}} {{incident}} {{title}} {{room}}`,
		`f=/var/tmp/tminus-journal-{{host}}-$(date -u +%Y%m%dT%H%M%SZ).log && ssh -o BatchMode=yes -o ConnectTimeout=10 {{host}} sudo -n journalctl --utc -o short-iso-precise --no-pager --since={{since}} > "$f"`,
	}
	for _, cmd := range cmds {
		for _, w := range []int{40, 60, 62, 66, 72, 80, 100, 160} {
			lines := wrapCommand("$ "+cmd, w, 100)
			for i, l := range lines {
				if width(l) > w {
					t.Errorf("width %d: line %d is %d cells: %q", w, i, width(l), l)
				}
				// Unindented, a line goes on with a token cut at the full width above.
				if i > 0 && !strings.HasPrefix(l, hang) && width(lines[i-1]) != w {
					t.Errorf("width %d: line %d is neither indented nor the rest of a cut token: %q", w, i, l)
				}
			}
			if got := unwrapCommand(lines); got != "$ "+cmd {
				t.Errorf("width %d: the lines joined read\n%q\nnot\n%q", w, got, "$ "+cmd)
			}
		}
	}
}

func TestFitTail(t *testing.T) {
	tests := []struct {
		head, tail string
		w          int
		want       string
	}{
		{"pause()", " · bob 15:32", 24, "pause() · bob 15:32     "},
		{"2 Evacuate the vault to cold storage", " · bob 15:32", 24, "2 Evacuate … · bob 15:32"},
		{"2 Pause", " · bob 15:32", 16, "2 P… · bob 15:32"},
		// Fewer than four cells left for the head: the tail goes, whole, not cut.
		{"2 Pause", " · bob 15:32", 14, "2 Pause       "},
		{"2 Pause", " · bob 15:32", 5, "2 Pa…"},
		{"", " · bob 15:32", 12, " · bob 15:32"},
		// A tail that starts with its own ellipsis takes the cut's place: "……" read as a glitch.
		{"$ cast send '0x5e4e65926ba2'", "… v shows it whole", 30, "$ cast send … v shows it whole"},
	}
	for _, tt := range tests {
		got := fitTail(tt.head, tt.tail, tt.w)
		if got != tt.want {
			t.Errorf("fitTail(%q, %q, %d) = %q, want %q", tt.head, tt.tail, tt.w, got, tt.want)
		}
		if width(got) != tt.w {
			t.Errorf("fitTail(%q, %q, %d) is %d cells", tt.head, tt.tail, tt.w, width(got))
		}
	}
}

func TestFitParts(t *testing.T) {
	parts := []string{"seen 1×", "first 15:12:27", "last 15:12:27", "chain", "chain-relayer-unseen-ip", "no labels"}
	tests := []struct {
		w    int
		want string
	}{
		{100, "seen 1× · first 15:12:27 · last 15:12:27 · chain · chain-relayer-unseen-ip · no labels"},
		// No room for "no labels": an ellipsis, not "· n…".
		{79, "seen 1× · first 15:12:27 · last 15:12:27 · chain · chain-relayer-unseen-ip · …"},
		// Room for a recognisable part of the fingerprint: cut with an ellipsis.
		{66, "seen 1× · first 15:12:27 · last 15:12:27 · chain · chain-relayer-…"},
		{50, "seen 1× · first 15:12:27 · last 15:12:27 · …"},
		{5, "seen…"},
	}
	for _, tt := range tests {
		got := strings.TrimRight(fitParts(parts, " · ", tt.w), " ")
		if got != tt.want {
			t.Errorf("fitParts at %d = %q, want %q", tt.w, got, tt.want)
		}
		if n := width(fitParts(parts, " · ", tt.w)); n != tt.w {
			t.Errorf("fitParts at %d is %d cells", tt.w, n)
		}
	}
}

// The header's two sides stand at least gap cells apart at every width, however long
// the left; the left is cut, with an ellipsis, never the right.
func TestFitWords(t *testing.T) {
	const title = "Vault drain on the  L2 bridge"
	tests := []struct {
		w    int
		want string
	}{
		{40, title}, // fits: as it is, spaces and all
		{29, title},
		{28, "Vault drain on the L2 bridge"}, // cut between words, a run of spaces is one
		{27, "Vault drain on the L2 …"},
		{14, "Vault drain …"},
		{8, "Vault …"},
		{3, "Va…"}, // not even one word: cut, as fit would
		{0, ""},
	}
	for _, tt := range tests {
		got := fitWords(title, tt.w)
		if got != tt.want {
			t.Errorf("fitWords at %d = %q, want %q", tt.w, got, tt.want)
		}
		if n := width(got); n > tt.w {
			t.Errorf("fitWords at %d is %d cells", tt.w, n)
		}
	}
}

func TestSpreadKeepsTheGap(t *testing.T) {
	left := " triage alice · contain bob · comms carol · rec dave"
	right := "alerts 3 firing, 2 unacked "
	for w := len(right) + 1; w <= 120; w++ {
		got := spread(left, right, w)
		if n := ansi.StringWidth(got); n != w {
			t.Fatalf("width %d: %d cells: %q", w, n, got)
		}
		if !strings.HasSuffix(got, right) {
			t.Fatalf("width %d: the right side is cut: %q", w, got)
		}
		rest := strings.TrimSuffix(got, right)
		if w >= len(right)+gap && !strings.HasSuffix(rest, spaces(gap)) {
			t.Errorf("width %d: fewer than %d spaces between the sides: %q", w, gap, got)
		}
	}
}

// wordWrap and wrapCommand end on any input, at any width, and never draw a line wider
// than asked (a character wider than the line goes alone).
func FuzzWrap(f *testing.F) {
	f.Add("$ "+castSend, 40, 3)
	f.Add("日本語 の 出力", 1, 5)
	f.Add("a    b", 0, 1)
	f.Fuzz(func(t *testing.T, s string, w, n int) {
		if !utf8.ValidString(s) || len(s) > 4096 || w > 500 || n > 200 { // a command is a line or a few
			return
		}
		s = clean(s)
		for name, lines := range map[string][]string{"wrapCommand": wrapCommand(s, w, n), "wordWrap": wordWrap(s, w, n)} {
			if len(lines) > max(n, 0) {
				t.Fatalf("%s(%q, %d, %d): %d lines", name, s, w, n, len(lines))
			}
			for _, l := range lines {
				if lw := width(l); lw > w && utf8.RuneCountInString(l) > 1 {
					t.Fatalf("%s(%q, %d, %d): line %q is %d cells", name, s, w, n, l, lw)
				}
			}
		}
	})
}
