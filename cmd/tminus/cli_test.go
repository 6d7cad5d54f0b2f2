package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tminus runs the real command tree in-process.
func tminus(t *testing.T, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--home", home}, args...), strings.NewReader(""), &out, &errb)
	return strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()), code
}

func must(t *testing.T, home string, args ...string) string {
	t.Helper()
	out, errs, code := tminus(t, home, args...)
	if code != 0 {
		t.Fatalf("tminus %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func newWorkspace(t *testing.T) (home, incident string) {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	home = filepath.Join(t.TempDir(), "alice")
	must(t, home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	incident = must(t, home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	return home, incident
}

func TestCLIWorkflow(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "task", "add", inc[:8], "--title", "Snapshot balances", "--due", "15m")
	must(t, home, "timer", "set", inc[:8], "--label", "Containment", "--in", "15m")
	must(t, home, "note", inc[:8], "attacker", "funded", "via", "mixer")
	must(t, home, "incident", "status", inc[:8], "triaged")
	var shown map[string]any
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "title", "severity", "status", "drill", "declared_at", "declared_by", "alerts", "tasks", "timers", "timeline", "notes", "evidence", "proposals", "leads"} {
		if _, ok := shown[k]; !ok {
			t.Errorf("incident show --json lacks %q", k)
		}
	}
	if shown["status"] != "triaged" || len(shown["tasks"].([]any)) != 1 || len(shown["notes"].([]any)) != 1 {
		t.Errorf("unexpected incident: %v", shown)
	}
	if out := must(t, home, "verify"); !strings.Contains(out, "OK") {
		t.Errorf("verify: %s", out)
	}
}

func TestCLIErrors(t *testing.T) {
	home, inc := newWorkspace(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown prefix", []string{"note", "abcdef12", "x"}, 1, "not found"},
		{"short prefix", []string{"note", "abc", "x"}, 2, "at least 6"}, // wrong usage, as in every command (contract_test.go)
		{"bad severity", []string{"incident", "severity", inc[:8], "P9"}, 2, "P1, P2"},
		{"bad status", []string{"incident", "status", inc[:8], "done"}, 2, "want triaged"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"no args", []string{"note"}, 2, ""},
		{"timer both", []string{"timer", "set", inc[:8], "--label", "x", "--in", "1m", "--at", "2030-01-01T00:00:00Z"}, 2, "exactly one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs, code := tminus(t, home, c.args...)
			if code != c.code || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, c.code, c.msg)
			}
		})
	}
}

func TestWrongPassphraseChangesNothing(t *testing.T) {
	home, inc := newWorkspace(t)
	key, _ := os.ReadFile(filepath.Join(home, "key.json"))
	before := must(t, home, "state-hash")
	t.Setenv("TMINUS_PASSPHRASE", "wrong")
	_, errs, code := tminus(t, home, "note", inc[:8], "x")
	if code == 0 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	after, _ := os.ReadFile(filepath.Join(home, "key.json"))
	if !bytes.Equal(key, after) || must(t, home, "state-hash") != before {
		t.Fatal("a wrong passphrase changed something")
	}
}

func TestBundleWithOneBadLineImportsNothing(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "note", inc[:8], "one")
	must(t, home, "note", inc[:8], "two")
	file := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, home, "bundle", "export", file)
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lines[2] = strings.Replace(lines[2], `"lamport":3`, `"lamport":4`, 1) // fields must agree with raw
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600)

	t.Setenv("TMINUS_PASSPHRASE", "other")
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	_, errs, code := tminus(t, bob, "bundle", "import", bad)
	if code == 0 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "nothing imported") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out := must(t, bob, "log"); out != "" {
		t.Fatalf("something was imported: %s", out)
	}
	must(t, bob, "bundle", "import", file)
	if must(t, bob, "state-hash") != must(t, home, "state-hash") {
		t.Fatal("state hashes differ after a full import")
	}
}

func TestNotAStore(t *testing.T) {
	home, _ := newWorkspace(t)
	os.WriteFile(filepath.Join(home, "tminus.db"), bytes.Repeat([]byte("garbage!"), 1024), 0o600)
	_, errs, code := tminus(t, home, "state-hash")
	if code == 0 || !strings.Contains(errs, "not a") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// The text form of incident show is for people: leads by handle, while the
// JSON keeps addresses for scripts.
func TestIncidentShowNamesLeadsByHandle(t *testing.T) {
	home, inc := newWorkspace(t)
	out := must(t, home, "incident", "show", inc)
	if !strings.Contains(out, "reporter     alice") {
		t.Fatalf("incident show does not name the reporter by handle:\n%s", out)
	}
	var d struct {
		Leads map[string]string `json:"leads"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc, "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Leads["reporter"], "0x") {
		t.Fatalf("JSON leads should be addresses: %v", d.Leads)
	}
}

// eventCount is how many events home stores.
func eventCount(t *testing.T, home string) int {
	t.Helper()
	out := must(t, home, "log", "--json")
	if out == "" {
		return 0
	}
	return len(strings.Split(out, "\n"))
}

// fails runs a command that must fail with msg on stderr, storing nothing.
func fails(t *testing.T, home, msg string, args ...string) {
	t.Helper()
	before := eventCount(t, home)
	_, errs, code := tminus(t, home, args...)
	if code == 0 {
		t.Fatalf("tminus %s succeeded, want %q", strings.Join(args, " "), msg)
	}
	if !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, msg) {
		t.Errorf("tminus %s: stderr %q, want %q", strings.Join(args, " "), errs, msg)
	}
	if after := eventCount(t, home); after != before {
		t.Errorf("tminus %s failed but stored %d events", strings.Join(args, " "), after-before)
	}
}

// A handle longer than the column's usual eight letters widens the column
// rather than pushing its own rows out of line.
func TestPrintTimelineAlignsLongHandles(t *testing.T) {
	var b strings.Builder
	printTimeline(&b, []entryView{
		{At: "15:12:47", By: "sim-bridge-relayer", Kind: "note.add", Text: "relayer keys rotated"},
		{At: "15:13:43", By: "bob", Kind: "safe.sign", Text: "owner signed"},
		{At: "15:13:47", By: "bob", Kind: "incident.severity", Text: "severity P1"},
	})
	rows := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	texts := []string{"relayer keys rotated", "owner signed", "severity P1"}
	want := len(rows[0]) - len(texts[0])
	for i, r := range rows {
		if !strings.HasSuffix(r, " "+texts[i]) || len(r)-len(texts[i]) != want {
			t.Fatalf("row %d's text is not at column %d:\n%s", i, want, b.String())
		}
	}
}
