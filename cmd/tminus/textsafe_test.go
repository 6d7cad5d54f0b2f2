package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/workspace"
)

// hostile drives a terminal that prints it: an OSC 52 clipboard write ended
// by BEL, a screen clear, the one-character CSI U+009B, DEL and a carriage
// return that would let the rest overwrite the line.
const hostile = "pwn\x1b]52;c;cHduZWQ=\x07 \x1b[2J\u009b31m\x7f\rend"

// rawControl names the first control a terminal would act on in s (line
// feed and tab are text), or "".
func rawControl(s string) string {
	for i, r := range s {
		if r == utf8.RuneError && strings.HasPrefix(s[i:], "\xef\xbf\xbd") {
			continue
		}
		if r == utf8.RuneError || unsafeRune(r) {
			return fmt.Sprintf("control %q at byte %d", r, i)
		}
	}
	return ""
}

func TestSafeText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Vault drain on the L2 bridge", "Vault drain on the L2 bridge"},
		{"line feed and tab stay", "a\tb\nc", "a\tb\nc"},
		{"non-ASCII text stays", "Überweisung 1,840 Ξ → 0x7a3f…", "Überweisung 1,840 Ξ → 0x7a3f…"},
		{"osc 52 and bel", "a\x1b]52;c;eA==\x07b", "a\uFFFD]52;c;eA==\uFFFDb"},
		{"csi clear", "\x1b[2J", "\uFFFD[2J"},
		{"c1 csi", "x\u009b2Jy", "x\uFFFD2Jy"},
		{"c1 range ends", "\u0080\u009f\u00a0", "\uFFFD\uFFFD\u00a0"},
		{"del, cr, nul", "a\x7fb\rc\x00", "a\uFFFDb\uFFFDc\uFFFD"},
		{"raw c1 byte, not utf-8", "a\x9b2J", "a\uFFFD2J"},
		{"truncated rune", "a\xc2", "a\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeText(tc.in); got != tc.want {
				t.Errorf("safeText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			var b bytes.Buffer
			n, err := textWriter{&b}.Write([]byte(tc.in))
			if err != nil || n != len(tc.in) || b.String() != tc.want {
				t.Errorf("textWriter wrote %q (n %d, err %v), want %q (n %d)", b.String(), n, err, tc.want, len(tc.in))
			}
		})
	}
}

// A table keeps its columns: one replacement character for one control.
func TestTextWriterUnderTabwriterKeepsColumns(t *testing.T) {
	var b bytes.Buffer
	w := tabwriter.NewWriter(textWriter{&b}, 0, 4, 2, ' ', 0)
	w.Write([]byte("ID\tTITLE\tSEV\nabc\tx\x1b[2Jy\tP1\ndef\txxxxxy\tP2\n"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	column := func(l, cell string) int { return utf8.RuneCountInString(l[:strings.Index(l, cell)]) }
	if column(lines[1], "P1") != column(lines[2], "P2") {
		t.Errorf("columns moved:\n%s", b.String())
	}
	if c := rawControl(b.String()); c != "" {
		t.Errorf("table holds %s:\n%q", c, b.String())
	}
}

// Every human text output that shows a title, note, label or evidence name
// shows hostile ones without a control character; the JSON outputs give the
// exact strings back.
func TestTextOutputsNeutraliseControls(t *testing.T) {
	home, inc := newWorkspace(t)
	ctx := context.Background()
	must(t, home, "alert", "raise", "--title", "Raised "+hostile, "--fingerprint", "fp-raised", "--label", "k=v"+hostile)
	must(t, home, "note", inc[:8], "Note "+hostile)
	must(t, home, "task", "add", inc[:8], "--title", "Task "+hostile)
	must(t, home, "timer", "set", inc[:8], "--label", "Timer "+hostile, "--in", "15m")
	inc2 := must(t, home, "incident", "declare", "--title", "Incident "+hostile, "--severity", "P2")
	path := filepath.Join(t.TempDir(), "balances.txt")
	if err := os.WriteFile(path, []byte("1840 ETH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "evidence", "add", inc[:8], path, "--name", "Evidence "+hostile)

	// The repro: an Alertmanager delivery whose summary is an escape sequence.
	delivery := []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"X","severity":"critical"},` +
		`"annotations":{"summary":"Hook \u001b]52;c;cHduZWQ=\u0007 \u001b[2J"},"fingerprint":"fp-hook"}]}`)
	alerts, err := watch.DecodeAlertmanager(delivery, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &workspace.Home{Dir: home}
	if err := (alertSink{h}).Observe(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	h.Close()
	hookTitle := "Hook \x1b]52;c;cHduZWQ=\x07 \x1b[2J"
	inc3 := must(t, home, "incident", "declare", "--title", "From hook", "--severity", "P2", "--from-alert", "fp-hook")

	for _, tc := range []struct {
		args  []string
		shows string // the hostile text as printed, "" for none
	}{
		{[]string{"alert", "list"}, "Raised pwn\uFFFD]52;"},
		{[]string{"alert", "list"}, "Hook \uFFFD]52;c;cHduZWQ=\uFFFD \uFFFD[2J"},
		{[]string{"incident", "list"}, "Incident pwn\uFFFD]52;"},
		{[]string{"incident", "show", inc[:8]}, "Note pwn\uFFFD]52;c;cHduZWQ=\uFFFD \uFFFD[2J\uFFFD31m\uFFFD\uFFFDend"},
		{[]string{"incident", "show", inc[:8]}, "Task pwn\uFFFD]52;"},
		{[]string{"incident", "show", inc[:8]}, "Timer pwn\uFFFD]52;"},
		{[]string{"incident", "show", inc2[:8]}, "Incident pwn\uFFFD]52;"},
		{[]string{"incident", "show", inc3[:8]}, "From hook"},
		{[]string{"evidence", "list", inc[:8]}, "Evidence pwn\uFFFD]52;"},
		{[]string{"log"}, "31m\uFFFD\\rend"}, // JSON bodies: C0 escaped by encoding/json, DEL and C1 replaced
		{[]string{"verify"}, ""},
	} {
		args := tc.args
		out, errs, code := tminus(t, home, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		if c := rawControl(out); c != "" {
			t.Errorf("%s prints %s:\n%s", strings.Join(args, " "), c, out)
		}
		if !strings.Contains(out, tc.shows) {
			t.Errorf("%s does not show %q:\n%s", strings.Join(args, " "), tc.shows, out)
		}
	}

	// JSON keeps the exact strings.
	var al []alertView
	if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &al); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, a := range al {
		titles[a.Fingerprint] = a.Title
		if a.Fingerprint == "fp-raised" && a.Labels["k"] != "v"+hostile {
			t.Errorf("label = %q, want %q", a.Labels["k"], "v"+hostile)
		}
	}
	if titles["fp-raised"] != "Raised "+hostile || titles["fp-hook"] != hookTitle {
		t.Errorf("alert titles in JSON = %q, want the exact strings", titles)
	}
	var d incidentDetail
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 1 || d.Notes[0].Text != "Note "+hostile || len(d.Tasks) != 1 || d.Tasks[0].Title != "Task "+hostile ||
		len(d.Timers) != 1 || d.Timers[0].Label != "Timer "+hostile || len(d.Evidence) != 1 || d.Evidence[0].Name != "Evidence "+hostile {
		t.Errorf("incident show --json changed the strings: %+v", d)
	}
	var ev []evidenceItemView
	if err := json.Unmarshal([]byte(must(t, home, "evidence", "list", inc[:8], "--json")), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev) != 1 || ev[0].Name != "Evidence "+hostile {
		t.Errorf("evidence list --json = %+v, want the name %q", ev, "Evidence "+hostile)
	}
	// log --json lines are the signed bytes: the note's body holds the text as signed.
	if out := must(t, home, "log", "--json"); !strings.Contains(out, "\u009b31m\x7f") || strings.ContainsRune(out, '\uFFFD') {
		t.Errorf("log --json is not the signed bytes: %q", out)
	}
}
