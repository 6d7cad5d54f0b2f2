package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// misspell adds a mistyped key to home's config.yaml, after its first line.
func misspell(t testing.TB, home, line string) {
	t.Helper()
	path := filepath.Join(home, "config.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(string(data), "\n")
	if err := os.WriteFile(path, []byte(first+"\n"+line+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A mistyped config key was dropped without a word: `listn:` left the node
// on its default address while the responder believed it moved. Every
// command that reads the config now says so once, on stderr, naming the
// line and the key meant; --json stdout stays one JSON document.
func TestConfigUnknownKeyWarnsEveryCommand(t *testing.T) {
	home, inc := newWorkspace(t)
	misspell(t, home, "listn: 127.0.0.1:4000")
	const want = `config.yaml: unknown key line 2: "listn" (did you mean listen?) has no effect`
	for _, args := range [][]string{
		{"id", "--json"},
		{"incident", "list", "--json"},
		{"note", inc[:8], "a write reads the config too"},
	} {
		out, errs, code := tminus(t, home, args...)
		if code != 0 {
			t.Fatalf("tminus %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		if strings.Count(errs, "warning") != 1 || !strings.Contains(errs, want) {
			t.Errorf("tminus %s: stderr %q, want one warning %q", strings.Join(args, " "), errs, want)
		}
		if strings.Contains(out, "listn") {
			t.Errorf("tminus %s: the warning reached stdout: %q", strings.Join(args, " "), out)
		}
		if args[len(args)-1] == "--json" && !json.Valid([]byte(out)) {
			t.Errorf("tminus %s: stdout is not JSON: %q", strings.Join(args, " "), out)
		}
	}
	// The cockpit says it before it looks for its terminal (here: none).
	_, errs, code := tminus(t, home)
	if code == 0 || !strings.Contains(errs, want) || strings.Index(errs, want) > strings.Index(errs, "needs a terminal") {
		t.Errorf("cockpit: exit %d, stderr %q: want the warning before the terminal check", code, errs)
	}
}

// serve, which logs to stderr, says it among its first lines.
func TestConfigUnknownKeyWarnsServe(t *testing.T) {
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "alice")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	misspell(t, home, "wathcers: []")
	s := c.serve(home)
	if log := s.stderr(); !strings.Contains(log, `"wathcers" (did you mean watchers?)`) {
		t.Errorf("serve's stderr lacks the warning:\n%s", log)
	}
}
