package runbooks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sampleIncident() IncidentData {
	at := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	return IncidentData{
		ID:         "3fa9c1",
		Title:      "Oracle deviation 40% on ETH/USD,\nlending pool draining",
		Severity:   "P1",
		Status:     "contained",
		DeclaredAt: at,
		DeclaredBy: "alice",
		Leads:      map[string]string{"triage": "alice", "containment": "bob", "comms": "carol"},
		Deadlines: []Deadline{
			{Label: "Contain", Due: at.Add(30 * time.Minute)},
			{Label: "Status update", Due: at.Add(30 * time.Minute), Every: 30 * time.Minute},
		},
		Timeline: []TimelineEntry{
			{At: at.Add(-2 * time.Minute), By: "watcher", Kind: "alert.raised", Text: "Oracle deviation 40% on ETH/USD"},
			{At: at, By: "alice", Kind: "incident.declared", Text: "P1 | lending pool"},
			{At: at.Add(11 * time.Minute), By: "bob", Kind: "runbook.exec", Text: "contract-pause step 2, exit 0"},
		},
		Tasks: []Task{
			{Title: "Pause the lending pool", Owner: "bob", Done: true},
			{Title: "Find the attacker's funding | path", Due: at.Add(2 * time.Hour)},
		},
		Evidence: []Evidence{
			{Name: "contract-pause-1.txt", Source: "file", SHA256: strings.Repeat("ab", 32), Size: 2048},
			{Name: "Oracle deviation 40%", Source: "alert", SHA256: strings.Repeat("cd", 32), Size: -1},
		},
		Executions: []Execution{
			{Runbook: "contract-pause", Step: 2, Command: "cast send '0x6B17' \"pause()\" --rpc-url 'mainnet' '--ledger'",
				Approvers: []string{"alice", "dave"}},
		},
		Metrics: map[string]time.Duration{
			MetricAcknowledge: 90 * time.Second,
			MetricTriage:      4*time.Minute + 10*time.Second,
			MetricContain:     11*time.Minute + 300*time.Millisecond,
		},
	}
}

func TestTemplates(t *testing.T) {
	drill := sampleIncident()
	drill.Drill = true
	drill.Status = "resolved" // the review is due 72 h after the first resolution, not the declaration
	drill.RetroDue = drill.DeclaredAt.Add(2*time.Hour + 72*time.Hour)
	empty := IncidentData{ID: "0001", Title: "Nothing yet", Severity: "P4", Status: "declared"}
	tests := []struct {
		golden string
		render func(IncidentData) (string, error)
		data   IncidentData
	}{
		{"kickoff.golden", RenderKickoff, sampleIncident()},
		{"kickoff-drill-empty.golden", RenderKickoff, func() IncidentData { e := empty; e.Drill = true; return e }()},
		{"retro.golden", RenderRetro, sampleIncident()},
		{"retro-drill.golden", RenderRetro, drill},
		{"retro-empty.golden", RenderRetro, empty},
	}
	safeOnly := empty
	safeOnly.SafeExecuted = 1
	t.Run("retro with only a Safe transaction", func(t *testing.T) {
		got, err := RenderRetro(safeOnly)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "_No runbook steps were executed") || !strings.Contains(got, `1 Safe transaction(s) were, listed under "Safe transactions" below`) {
			t.Fatalf("containment by a Safe transaction rendered as none:\n%s", got)
		}
	})
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := tt.render(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, got)
		})
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}
