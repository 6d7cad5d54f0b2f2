package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// verify FILE reports a removed member's late events as NOT COUNTED, as
// verify of the store does: an export checked in CI or by an auditor must
// not read as if the backdated events stood.
func TestVerifyFileListsCutEvents(t *testing.T) {
	alice, _, honest, late := removedOffline(t)
	file := filepath.Join(t.TempDir(), "export.jsonl")
	must(t, alice, "bundle", "export", file)

	out := must(t, alice, "verify", file)
	for _, id := range late {
		if !strings.Contains(out, "NOT COUNTED "+id[:10]) || !strings.Contains(out, "key revoked after seq 1") {
			t.Errorf("verify FILE does not list carol's late %s as cut:\n%s", id[:10], out)
		}
	}
	if strings.Contains(out, "NOT COUNTED "+honest[:10]) {
		t.Errorf("verify FILE lists carol's note from before the cut as not counted:\n%s", out)
	}
	var v struct {
		OK      bool
		Refused []string
	}
	if err := json.Unmarshal([]byte(must(t, alice, "verify", file, "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if !v.OK || len(v.Refused) != len(late) {
		t.Errorf("verify FILE --json: ok %v, refused %q, want the %d late events", v.OK, v.Refused, len(late))
	}
}
