package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// log --json marks what this replica did not count, as log's text does,
// and the marked lines still verify as a bundle.
func TestLogJSONMarksRejected(t *testing.T) {
	alice, _, honest, late := removedOffline(t)
	out := must(t, alice, "log", "--json")
	marks := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct {
			ID       string `json:"id"`
			Rejected string `json:"rejected"`
			Skewed   *bool  `json:"skewed"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if l.Skewed != nil {
			t.Errorf("%s marked skewed, signed on this machine's clock", l.ID)
		}
		marks[l.ID] = l.Rejected
	}
	for _, id := range late {
		if r, ok := marks[id]; !ok || !strings.Contains(r, "key revoked after seq 1") {
			t.Errorf("carol's late %s: rejected %q, want the cut named", id[:10], r)
		}
	}
	if r, ok := marks[honest]; !ok || r != "" {
		t.Errorf("carol's honest note: present %v, rejected %q", ok, r)
	}
	file := filepath.Join(t.TempDir(), "log.jsonl")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "verify", file)
}

func TestLogJSONMarksSkewed(t *testing.T) {
	alice, inc := newWorkspace(t)
	bob, bobAddr := joinHome(t, filepath.Dir(alice), "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "containment")
	carry(t, alice, bob)
	t.Setenv("TMINUS_CLOCK_SKEW", "3h")
	ahead := must(t, bob, "note", inc[:8], "from three hours ahead")
	t.Setenv("TMINUS_CLOCK_SKEW", "")
	carry(t, bob, alice)
	var skewed []string
	for _, line := range strings.Split(strings.TrimSpace(must(t, alice, "log", "--json")), "\n") {
		var l struct {
			ID     string `json:"id"`
			Skewed bool   `json:"skewed"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Skewed {
			skewed = append(skewed, l.ID)
		}
	}
	if len(skewed) != 1 || skewed[0] != ahead {
		t.Errorf("skewed lines %v, want only %s", skewed, ahead)
	}
}
