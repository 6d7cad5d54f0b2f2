package runbooks

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadDirectoryOddFiles: what a team directory may hold besides runbooks. A named pipe
// called *.md blocked Load on open for ever (the cockpit never started, runbook list hung),
// and a link to /dev/zero read until memory ran out; an oversized file is refused by name
// before it is read.
func TestLoadDirectoryOddFiles(t *testing.T) {
	tests := []struct {
		name  string
		make  func(t *testing.T, path string)
		wants string
	}{
		{"named pipe", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "not a regular file"},
		{"link to a device", func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Skipf("symlink: %v", err)
			}
		}, "not a regular file"},
		{"oversized", func(t *testing.T, path string) {
			big := localQuarantine + strings.Repeat("prose\n", MaxFileSize/6+1)
			if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "odd.md")
			tt.make(t, path)
			done := make(chan error, 1)
			go func() { _, err := Load(dir); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "odd.md") || !strings.Contains(err.Error(), tt.wants) {
					t.Errorf("Load: %v; want an error naming odd.md: %s", err, tt.wants)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Load still blocked after 20s")
			}
		})
	}
}

// TestLoadKeepsWhatLoaded: with broken files, Load still returns the runbooks that loaded,
// less every id a broken file claims or is named after and every id two files claim, so
// that no embedded default or first-come duplicate stands in for what the team meant.
func TestLoadKeepsWhatLoaded(t *testing.T) {
	good := strings.Replace(localQuarantine, "id: host-quarantine", "id: fine", 1)
	lib, err := Load(writeFiles(t, map[string]string{
		"fine.md":        good,
		"dns-reroute.md": "---\nid: [broken\n---\n",                                                        // named after a default
		"other.md":       strings.Replace(localQuarantine, "quorum: 3", "quorum: many", 1),                 // claims host-quarantine
		"a.md":           strings.Replace(localQuarantine, "id: host-quarantine", "id: pod-quarantine", 1), // two claim pod-quarantine
		"b.md":           strings.Replace(localQuarantine, "id: host-quarantine", "id: pod-quarantine", 1),
	}))
	if err == nil || lib == nil {
		t.Fatalf("Load = %v, %v: want the partial library and the errors", lib, err)
	}
	for id, want := range map[string]bool{"fine": true, "contract-pause": true, "dns-reroute": false,
		"host-quarantine": false, "pod-quarantine": false} {
		if _, ok := lib.Get(id); ok != want {
			t.Errorf("runbook %s present: %v, want %v", id, ok, want)
		}
	}
}
