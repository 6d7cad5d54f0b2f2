package tui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tminus-ir/tminus/domain"
)

// hostile holds what a webhook or a member could put in a title to drive a
// responder's terminal: an OSC 52 clipboard write ended by BEL, a screen clear, the
// one-character CSI (U+009B), DEL, a carriage return and a bidi override.
const hostile = "pwn\x1b]52;c;cHduZWQ=\x07 \x1b[2J\u009b31m\x7f\rend\u202e"

// controlIn names the first byte or rune in s a terminal would act on, or "".
// Line feeds are the screen's own rows.
func controlIn(s string) string {
	for i, r := range s {
		switch {
		case r == '\n':
		case r == utf8.RuneError:
			return "invalid UTF-8 at byte " + itoa(i)
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return "control U+" + itoaHex(r) + " at byte " + itoa(i)
		}
	}
	return ""
}

func itoaHex(r rune) string {
	const digits = "0123456789ABCDEF"
	out := ""
	for i := 0; i < 4; i++ {
		out = string(digits[r&0xf]) + out
		r >>= 4
	}
	return out
}

func TestCleanLeavesNoControls(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Bridge outflow", "Bridge outflow"},
		{"osc52 and clear", "a\x1b]52;c;eA==\x07b\x1b[2Jc", "a ]52;c;eA== b [2Jc"},
		{"c1 csi", "x\u009b2Jy", "x 2Jy"},
		{"del and cr", "a\x7fb\rc", "a b c"},
		{"newline stays on its row", "one\ntwo", "one ⏎ two"},
		{"bidi override dropped", "abc\u202edef", "abcdef"},
		{"not utf-8", "a\xffb", "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clean(tc.in)
			if got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if c := controlIn(got); c != "" {
				t.Errorf("clean(%q) = %q still holds a %s", tc.in, got, c)
			}
		})
	}
}

// FuzzClean: whatever text a peer's event or a webhook carries, clean
// leaves nothing a terminal would act on, no line break, and is a fixed
// point (cleaning twice changes nothing).
func FuzzClean(f *testing.F) {
	f.Add(hostile)
	f.Add("plain ascii")
	f.Add("one\ntwo\r\n\u2028\u2029\ufeff\xff\xc3")
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		if c := controlIn(got); c != "" || strings.ContainsAny(got, "\n\u2028\u2029") {
			t.Fatalf("clean(%q) = %q still holds a %s or a line break", s, got, c)
		}
		if again := clean(got); again != got {
			t.Fatalf("clean(%q) = %q, cleaned again %q", s, got, again)
		}
	})
}

// TestHostileTextNeverReachesTheTerminal draws every tab with an alert, incident,
// task, timer, note and evidence name that carry escape sequences: no control
// character may reach the screen. The Ascii profile draws no escapes of its own, so
// any in the view came from the state.
func TestHostileTextNeverReachesTheTerminal(t *testing.T) {
	s := newScenario(t)
	f := s.fake
	f.apply("alice", &domain.AlertObserve{Fingerprint: "fp-" + hostile, Title: "Alert " + hostile, Source: "am" + hostile,
		Severity: "P1", Status: "firing", Labels: map[string]string{"k" + hostile: "v" + hostile}}, at("03:30:00"))
	inc := f.apply("alice", &domain.IncidentDeclare{Title: "Incident " + hostile, Severity: "P1"}, at("03:30:10"))
	f.apply("alice", &domain.TaskAdd{Incident: inc, Title: "Task " + hostile}, at("03:30:20"))
	f.apply("alice", &domain.TimerSet{Incident: inc, Label: "Timer " + hostile, Due: at("03:50:00").UnixMilli()}, at("03:30:30"))
	f.apply("alice", &domain.Note{Incident: inc, Text: "Note " + hostile}, at("03:30:40"))
	f.apply("alice", &domain.EvidenceAdd{Incident: inc, Name: "ev" + hostile + ".log", SHA256: strings.Repeat("ab", 32), Size: 3}, at("03:30:50"))
	h := newHarness(t, f, 120, 40)
	h.poll()
	seen := false
	for _, tab := range []string{"1", "2", "3", "4", "5", "6"} {
		h.press(tab)
		for _, k := range []string{"", "down", "enter", "esc"} {
			if k != "" {
				h.press(k)
			}
			v := h.view()
			if c := controlIn(v); c != "" {
				t.Fatalf("tab %s after %q: the screen holds a %s:\n%q", tab, k, c, v)
			}
			seen = seen || strings.Contains(v, "Alert pwn") || strings.Contains(v, "Incident pwn")
		}
	}
	if !seen {
		t.Fatal("no tab showed the hostile alert or incident: the test drew nothing it meant to check")
	}
}
