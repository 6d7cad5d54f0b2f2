package runbooks

import (
	"os"
	"path/filepath"
	"testing"
)

// A runbooks directory that is missing or a file is named as such, not
// as "open DIR: no such file or directory".
func TestLoadBadDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	file := filepath.Join(t.TempDir(), "file.md")
	if err := os.WriteFile(file, []byte("# not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{missing, "runbooks directory " + missing + " does not exist"},
		{file, "runbooks directory " + file + " is a file, not a directory"},
	} {
		lib, err := Load(tc.dir)
		if lib != nil || err == nil || err.Error() != tc.want {
			t.Errorf("Load(%s) = %v, %v; want no library and %q", tc.dir, lib, err, tc.want)
		}
	}
}
