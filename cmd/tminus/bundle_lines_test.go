package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// A line longer than any event's names the file it is in, for bundle
// import and verify alike, and nothing is imported.
func TestOverlongLineNamesItsFile(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeFile(t, filepath.Join(t.TempDir(), "huge.jsonl"), strings.Repeat("a", domain.MaxLine+10)+"\n")
	before := eventCount(t, home)
	for _, args := range [][]string{{"bundle", "import", file}, {"verify", file}} {
		_, errs, code := tminus(t, home, args...)
		if code != 1 || !strings.Contains(errs, file+" line 1: longer than") {
			t.Errorf("%s: exit %d, %s", args[0], code, errs)
		}
	}
	if eventCount(t, home) != before {
		t.Error("something was imported")
	}
}
