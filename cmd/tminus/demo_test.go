package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemoSeedThenPeers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if out := must(t, dir, "demo", "--seed-only", dir); out != dir {
		t.Fatalf("seed-only printed %q, want the directory", out)
	}
	var incidents []struct {
		ID, Title, Severity, Status string
		Leads                       map[string]string
		Tasks                       []struct {
			Title, Due string
			Done       bool
		}
		Timers []struct{ Label, Due, Every string }
	}
	if err := json.Unmarshal([]byte(must(t, dir, "incident", "list", "--json")), &incidents); err != nil {
		t.Fatal(err)
	}
	if len(incidents) != 3 || incidents[0].Title != "Vault drain on the L2 bridge" || incidents[0].Severity != "P1" {
		t.Fatalf("incidents: %+v", incidents)
	}
	p1 := incidents[0]
	overdue := 0
	for _, tk := range p1.Tasks {
		if due, err := time.Parse(time.RFC3339, tk.Due); err == nil && !tk.Done && due.Before(time.Now()) {
			overdue++
		}
	}
	if len(p1.Leads) < 4 || len(p1.Tasks) != 4 || overdue != 1 || len(p1.Timers) != 2 || p1.Timers[1].Every != "30m0s" {
		t.Errorf("P1 lacks its leads, tasks (one overdue) or timers: %+v", p1)
	}
	corroboration := func() string {
		var alerts []struct{ Title, Corroboration string }
		if err := json.Unmarshal([]byte(must(t, dir, "alert", "list", "--json")), &alerts); err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if strings.HasPrefix(a.Title, "Bridge vault outflow") {
				return a.Corroboration
			}
		}
		return ""
	}
	if got := corroboration(); got != "2/3" {
		t.Errorf("bridge alert corroborated %s, want 2/3", got)
	}
	// The home is alice's: her key unlocks with the demo passphrase.
	t.Setenv("TMINUS_PASSPHRASE", demoPassphrase)
	must(t, dir, "note", p1.ID[:8], "alice joins from the CLI")

	before := strings.Count(must(t, dir, "log", "--json"), "\n")
	must(t, dir, "demo", "--peers-only", dir, "--for", "1500ms", "--peers-every", "100ms")
	after := strings.Count(must(t, dir, "log", "--json"), "\n")
	if after <= before+3 {
		t.Errorf("the simulated peers appended %d events in 1.5s, want several", after-before)
	}
	if got := corroboration(); got != "3/3" {
		t.Errorf("after carol's watcher, bridge alert corroborated %s, want 3/3", got)
	}
	if out := must(t, dir, "verify"); !strings.Contains(out, "OK") {
		t.Errorf("verify: %s", out)
	}
}
