package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A USB stick's directory and the names responders give bundles hold
// spaces ("USB STICK/incident 42.jsonl"): export writes FILE.sha256 in
// sha256sum's format, and import, verify and sha256sum -c all read it back.
func TestTransportBundlePathWithSpaces(t *testing.T) {
	alice, _, _, _ := bundleWithEvidence(t)
	dir := filepath.Join(t.TempDir(), "USB STICK")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"incident 42.jsonl", `back\slash.jsonl`, "  lead and trail  ", "line\nbreak.jsonl"} {
		t.Run(name, func(t *testing.T) {
			b := filepath.Join(dir, name)
			must(t, alice, "bundle", "export", b)
			if path, err := exec.LookPath("sha256sum"); err == nil {
				cmd := exec.Command(path, "-c", filepath.Base(sumPath(b)))
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("sha256sum -c: %v\n%s", err, out)
				}
			}
			if out, errs, code := tminus(t, "", "verify", b); code != 0 || !strings.Contains(out, "OK") {
				t.Errorf("verify %q: exit %d\n%s\n%s", b, code, out, errs)
			}
			bob, _ := joinHome(t, t.TempDir(), "bob")
			if _, errs, code := tminus(t, bob, "bundle", "import", b); code != 0 {
				t.Fatalf("import %q: exit %d: %s", b, code, errs)
			}
			if got, want := eventCount(t, bob), eventCount(t, alice); got != want {
				t.Errorf("import stored %d of %d events", got, want)
			}
		})
	}
}
