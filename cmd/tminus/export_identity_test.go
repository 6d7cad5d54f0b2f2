package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An incident's jsonl export keeps the roster in full, and the roster is
// every event that decides who may write: proofs, key rotations and roster
// changes besides the genesis and member proposals. With key.rotate
// redacted, a note signed by the member's new key read as a stranger's in
// the export, and nothing in it said whose key that was.
func TestExportKeepsIdentityEventsInFull(t *testing.T) {
	home, inc := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-export", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	ca := writeSSHKey(t, t.TempDir(), "export-ca", "")
	must(t, home, "member", "ca", "add", ca+".pub")
	must(t, home, "key", "rotate", "--key", key, "--light-kdf")
	must(t, home, "note", inc[:8], "signed by the new key")
	other := must(t, home, "incident", "declare", "--title", "Unrelated breach", "--severity", "P3")
	must(t, home, "note", other[:8], "nothing for this export")

	file := filepath.Join(t.TempDir(), "inc.jsonl")
	must(t, home, "export", inc[:8], "--format", "jsonl", "--out", file)
	full := map[string]int{}
	redacted := map[string]int{}
	if out := must(t, home, "verify", file); !strings.Contains(out, "OK") {
		t.Fatalf("verify %s: %s", file, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(data)
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		var l struct {
			Kind     string
			Redacted bool
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Redacted {
			redacted[l.Kind]++
		} else {
			full[l.Kind]++
		}
	}
	for _, kind := range []string{"workspace.genesis", "proof.add", "member.change", "key.rotate"} {
		if full[kind] == 0 || redacted[kind] != 0 {
			t.Errorf("%s: %d in full, %d redacted; want it in full", kind, full[kind], redacted[kind])
		}
	}
	if redacted["incident.declare"] != 1 || redacted["note.add"] != 1 || full["note.add"] != 1 {
		t.Errorf("other incident not redacted, or this one's note missing: full %v, redacted %v", full, redacted)
	}
	if strings.Contains(raw, "Unrelated breach") || strings.Contains(raw, "nothing for this export") {
		t.Error("the export discloses another incident")
	}
}
