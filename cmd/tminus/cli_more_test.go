package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The passphrase comes from TMINUS_PASSPHRASE, else --passphrase-file
// (its trailing newline dropped); without either, and with no terminal, a
// clear error and nothing changes.
func TestPassphraseSources(t *testing.T) {
	home, inc := newWorkspace(t) // created with TMINUS_PASSPHRASE=correct horse
	os.Unsetenv("TMINUS_PASSPHRASE")
	file := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(file, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "--passphrase-file", file, "note", inc, "from the file")

	before := must(t, home, "state-hash")
	if _, errs, code := tminus(t, home, "--passphrase-file", filepath.Join(t.TempDir(), "missing"), "note", inc, "x"); code == 0 || !strings.Contains(errs, "passphrase file") {
		t.Errorf("a missing passphrase file: exit %d: %s", code, errs)
	}
	// With a terminal the command would prompt on it; only without one
	// (CI, a pipe) is there nothing left to ask.
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
	} else if _, errs, code := tminus(t, home, "note", inc, "x"); code == 0 || !strings.Contains(errs, "TMINUS_PASSPHRASE") {
		t.Errorf("no passphrase at all: exit %d: %s", code, errs)
	}
	if after := must(t, home, "state-hash"); after != before {
		t.Error("a refused command changed the state")
	}
}

// evidence add stores the file's bytes as a blob under their sha256 and
// signs an evidence record naming it; task done closes a task; labels
// must be k=v.
func TestEvidenceTaskDoneAndLabels(t *testing.T) {
	home, inc := newWorkspace(t)
	data := []byte("block 19442001 vault balance 1840 ETH\n")
	file := filepath.Join(t.TempDir(), "balances.txt")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "evidence", "add", inc, file, "--name", "vault balances")
	sum := sha256.Sum256(data)
	var shown struct {
		Evidence []map[string]any `json:"evidence"`
		Tasks    []struct {
			ID   string `json:"id"`
			Done bool   `json:"done"`
		} `json:"tasks"`
	}
	task := must(t, home, "task", "add", inc, "--title", "Snapshot balances")
	must(t, home, "task", "done", task[:8])
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Evidence) != 1 || shown.Evidence[0]["hash"] != hex.EncodeToString(sum[:]) || shown.Evidence[0]["sha256"] != shown.Evidence[0]["hash"] {
		t.Errorf("evidence: %v, want one record naming sha256 %x as hash (as evidence list does) and sha256", shown.Evidence, sum)
	}
	if len(shown.Tasks) != 1 || !shown.Tasks[0].Done {
		t.Errorf("tasks: %+v, want the one task done", shown.Tasks)
	}
	events := strings.Count(must(t, home, "log", "--json"), "\n")
	if _, errs, code := tminus(t, home, "task", "done", task[:8]); code == 0 || !strings.Contains(errs, "already done") {
		t.Errorf("a task done twice: exit %d: %s", code, errs)
	}
	if n := strings.Count(must(t, home, "log", "--json"), "\n"); n != events {
		t.Errorf("the refused task done was signed anyway: %d events, was %d", n, events)
	}
	if _, errs, code := tminus(t, home, "evidence", "add", inc, filepath.Join(t.TempDir(), "none")); code == 0 {
		t.Errorf("evidence from a missing file: exit 0: %s", errs)
	}

	must(t, home, "alert", "raise", "--title", "Disk 85%", "--label", "host=archive-2", "--label", "team=infra")
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Labels["host"] != "archive-2" || alerts[0].Labels["team"] != "infra" {
		t.Errorf("labels: %+v", alerts)
	}
	for _, bad := range []string{"novalue", "=x", ""} {
		if _, _, code := tminus(t, home, "alert", "raise", "--title", "t", "--label", bad); code != 2 {
			t.Errorf("--label %q: exit %d, want 2", bad, code)
		}
	}
	if _, errs, code := tminus(t, home, "alert", "raise", "--title", "t", "--label", "host=a", "--label", "host=b"); code != 2 || !strings.Contains(errs, "--label host given twice") {
		t.Errorf("--label host twice: exit %d, want 2: %s", code, errs)
	}
	must(t, home, "alert", "raise", "--title", "t", "--label", "host=a", "--label", "host=a") // the same twice is no conflict
}

// CLI.md: every command that creates something prints the new id alone, or
// with --json {"id": ...}; these lacked the flag.
func TestCreateCommandsTakeJSON(t *testing.T) {
	home, inc := newWorkspace(t)
	file := writeFile(t, filepath.Join(t.TempDir(), "balances.csv"), "vault,0\n")
	task := must(t, home, "task", "add", inc[:8], "--title", "Snapshot balances")
	for _, args := range [][]string{
		{"note", inc[:8], "paused the vault"},
		{"task", "add", inc[:8], "--title", "Page the bridge team"},
		{"task", "done", task},
		{"timer", "set", inc[:8], "--label", "Containment", "--in", "15m"},
		{"incident", "severity", inc[:8], "P2"},
		{"incident", "status", inc[:8], "triaged"},
		{"incident", "assign", inc[:8], "triage", "alice"},
		{"evidence", "add", inc[:8], file},
	} {
		var out struct{ ID string }
		if err := json.Unmarshal([]byte(must(t, home, append(args, "--json")...)), &out); err != nil || len(out.ID) != 64 {
			t.Errorf("tminus %s --json: %+v %v", strings.Join(args, " "), out, err)
			continue
		}
		if !strings.Contains(must(t, home, "log", "--json"), out.ID) {
			t.Errorf("tminus %s --json: %s is not in the log", strings.Join(args, " "), out.ID)
		}
	}
}
