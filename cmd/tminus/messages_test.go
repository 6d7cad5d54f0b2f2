package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Errors name the command as typed, and a missing output directory as such.
func TestSmallMessages(t *testing.T) {
	home, inc := newWorkspace(t)
	file := filepath.Join(t.TempDir(), "balances.txt")
	if err := os.WriteFile(file, []byte("1840 ETH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "evidence", "add", inc[:8], file)
	var ev []evidenceItemView
	if err := json.Unmarshal([]byte(must(t, home, "evidence", "list", inc[:8], "--json")), &ev); err != nil || len(ev) != 1 {
		t.Fatalf("evidence list: %v %v", ev, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"extra argument", []string{"incident", "list", "extra"}, 2, "(see tminus incident list --help)"},
		{"evidence get into a missing directory", []string{"evidence", "get", ev[0].Hash, "-o", "/nonexistent/x"}, 1,
			"cannot write /nonexistent/x: directory /nonexistent does not exist"},
		{"bundle export into a missing directory", []string{"bundle", "export", "/nonexistent/x"}, 1,
			"cannot write /nonexistent/x: directory /nonexistent does not exist"},
		{"output under a file", []string{"bundle", "export", filepath.Join(file, "x")}, 1, "is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := eventCount(t, home)
			_, errs, code := tminus(t, home, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) || strings.Contains(errs, ".tminus-export-") {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tc.code, tc.want)
			}
			if after := eventCount(t, home); after != before {
				t.Errorf("stored %d events", after-before)
			}
		})
	}
}

// verify vouches for a workspace's record: an empty file holds none, so it
// is an error (exit 1), in text and in JSON, never "OK".
func TestVerifyEmptyFile(t *testing.T) {
	home, _ := newWorkspace(t)
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := tminus(t, home, "verify", empty)
	if code != 1 || strings.Contains(out, "OK") || !strings.Contains(errs, "holds no events: nothing to verify") {
		t.Errorf("verify empty.jsonl: exit %d, stdout %q, stderr %q; want exit 1 saying it holds no events", code, out, errs)
	}
	out, _, code = tminus(t, home, "verify", empty, "--json")
	var v struct {
		Events   int   `json:"events"`
		OK       bool  `json:"ok"`
		Problems []any `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || v.OK || v.Events != 0 || v.Problems == nil {
		t.Errorf("verify empty.jsonl --json: exit %d, %s (%v); want ok false, problems [], exit 1", code, out, err)
	}
	// A real export still verifies.
	bundle := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, home, "bundle", "export", bundle)
	if out := must(t, home, "verify", bundle); !strings.Contains(out, "OK: every signature") {
		t.Errorf("verify of an export: %s", out)
	}
}
