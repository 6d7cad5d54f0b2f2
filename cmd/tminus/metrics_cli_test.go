package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// metricsOut is what the tests read of `metrics --json`.
type metricsOut struct {
	Incidents   int             `json:"incidents"`
	MTTR        *float64        `json:"mttr_s"`
	MTTC        *float64        `json:"mttc_s"`
	MTTA        *float64        `json:"mtta_s"`
	N           map[string]int  `json:"n"`
	Drills      json.RawMessage `json:"drills"`
	PerIncident []struct {
		ID    string             `json:"id"`
		Times map[string]float64 `json:"times_s"`
	} `json:"per_incident"`
}

func readMetrics(t *testing.T, home string) metricsOut {
	t.Helper()
	var m metricsOut
	if err := json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// textRow is the metrics text output's row for a phase of real incidents.
func textRow(t *testing.T, home, phase string) []string {
	t.Helper()
	for _, l := range strings.Split(must(t, home, "metrics"), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == phase {
			return f
		}
	}
	t.Fatalf("metrics has no %s row", phase)
	return nil
}

// A reopened incident is open: its resolution no longer counts, in the
// JSON, the text or the per-incident times, until it is resolved again.
func TestMetricsReopenedIncidentIsOpen(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "incident", "status", inc[:8], "resolved")
	if m := readMetrics(t, home); m.MTTR == nil || m.N["resolve"] != 1 {
		t.Fatalf("resolved: mttr_s %v, n %v", m.MTTR, m.N)
	}
	must(t, home, "incident", "status", inc[:8], "triaged")
	m := readMetrics(t, home)
	if m.MTTR != nil || m.N["resolve"] != 0 {
		t.Errorf("reopened: mttr_s %v, n %v; want null and 0", m.MTTR, m.N)
	}
	if len(m.PerIncident) != 1 {
		t.Fatalf("per_incident %+v", m.PerIncident)
	}
	if _, ok := m.PerIncident[0].Times["resolve"]; ok {
		t.Errorf("reopened incident still has a time to resolve: %v", m.PerIncident[0].Times)
	}
	if _, ok := m.PerIncident[0].Times["triage"]; !ok {
		t.Errorf("reopened incident lost its time to triage: %v", m.PerIncident[0].Times)
	}
	if row := textRow(t, home, "resolve"); row[1] != "0" || row[2] != "-" {
		t.Errorf("text resolve row %q, want no incident", row)
	}
	must(t, home, "incident", "status", inc[:8], "resolved")
	if m := readMetrics(t, home); m.MTTR == nil || m.N["resolve"] != 1 {
		t.Errorf("resolved again: mttr_s %v, n %v", m.MTTR, m.N)
	}
	if row := textRow(t, home, "resolve"); row[1] != "1" {
		t.Errorf("text resolve row %q, want one incident", row)
	}
}

// A status signed three hours ahead and synced is flagged SKEWED by the
// replica it reaches; there metrics leave out the times it ended
// (acknowledge and contain) and say so, in the JSON and the text.
func TestMetricsLeaveOutSkewedEvents(t *testing.T) {
	alice, inc := newWorkspace(t)
	bob := filepath.Join(filepath.Dir(alice), "bob")
	var bobID struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "join", "--handle", "bob", "--light-kdf", "--json")), &bobID); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "member", "add", bobID.Address, "--handle", "bob", "--role", "containment")
	bundle := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, alice, "bundle", "export", bundle)
	must(t, bob, "bundle", "import", bundle)

	t.Setenv("TMINUS_CLOCK_SKEW", "3h")
	must(t, bob, "incident", "status", inc[:8], "contained")
	must(t, bob, "bundle", "export", bundle)
	t.Setenv("TMINUS_CLOCK_SKEW", "")
	if out := must(t, alice, "bundle", "import", bundle); !strings.Contains(out, "1 skewed") {
		t.Fatalf("import: %s", out)
	}
	if !strings.Contains(must(t, alice, "log"), "SKEWED") {
		t.Fatal("log marks nothing SKEWED")
	}

	var m struct {
		metricsOut
		Skewed      int `json:"skewed_excluded"`
		PerIncident []struct {
			Times  map[string]float64 `json:"times_s"`
			Skewed []string           `json:"skewed"`
		} `json:"per_incident"`
	}
	if err := json.Unmarshal([]byte(must(t, alice, "metrics", "--json")), &m); err != nil {
		t.Fatal(err)
	}
	if m.MTTC != nil || m.MTTA != nil || m.Skewed != 2 {
		t.Errorf("mttc_s %v, mtta_s %v, skewed_excluded %d; want null, null, 2", m.MTTC, m.MTTA, m.Skewed)
	}
	if len(m.PerIncident) != 1 || len(m.PerIncident[0].Times) != 0 || strings.Join(m.PerIncident[0].Skewed, ",") != "acknowledge,contain" {
		t.Errorf("per_incident %+v", m.PerIncident)
	}
	if out := must(t, alice, "metrics"); !strings.Contains(out, "left out: 2 time(s)") {
		t.Errorf("metrics text does not say what it left out:\n%s", out)
	}
	retro := must(t, alice, "export", inc[:8], "--format", "md")
	for _, want := range []string{"| Time to contain | - |", "| Time to acknowledge | - |", "(skewed: not counted)", "Skewed: measured from an event"} {
		if !strings.Contains(retro, want) {
			t.Errorf("retro lacks %q:\n%s", want, retro)
		}
	}
	// Bob's own replica stored it on his (skewed) clock: nothing flagged
	// there, the three hours count.
	var b metricsOut
	if err := json.Unmarshal([]byte(must(t, bob, "metrics", "--json")), &b); err != nil {
		t.Fatal(err)
	}
	if b.MTTC == nil || *b.MTTC < 3*3600 {
		t.Errorf("bob's mttc_s %v, want his three hours", b.MTTC)
	}
}

// Declaring from an alert an open incident has is refused before signing,
// naming that incident. Once it is resolved, the alert (firing again) may
// start a new incident, whose metrics owe nothing to the old one: it starts
// at its own declaration and the old ack does not acknowledge it.
func TestDeclareFromAlertOfOpenIncident(t *testing.T) {
	home, _ := newWorkspace(t)
	alert := must(t, home, "alert", "raise", "--title", "Vault outflow", "--severity", "P1")
	must(t, home, "alert", "ack", alert[:8])
	first := must(t, home, "incident", "declare", "--title", "Drain", "--severity", "P1", "--from-alert", alert[:8])
	for _, extra := range [][]string{nil, {"--drill"}} {
		args := append([]string{"incident", "declare", "--title", "Drain again", "--severity", "P1", "--from-alert", alert[:8]}, extra...)
		fails(t, home, "already linked to open incident "+first[:8], args...)
	}
	must(t, home, "incident", "status", first[:8], "resolved")
	later := must(t, home, "incident", "declare", "--title", "Drain again", "--severity", "P1", "--from-alert", alert[:8])

	var shown struct {
		DeclaredAt string `json:"declared_at"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", later[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	var m struct {
		PerIncident []struct {
			ID    string             `json:"id"`
			Start string             `json:"start"`
			Times map[string]float64 `json:"times_s"`
		} `json:"per_incident"`
	}
	perIncident := func() map[string]map[string]float64 {
		t.Helper()
		if err := json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]float64{}
		for _, p := range m.PerIncident {
			out[p.ID] = p.Times
			if p.ID == later && p.Start != shown.DeclaredAt {
				t.Errorf("the new incident starts at %s, want its declaration %s", p.Start, shown.DeclaredAt)
			}
		}
		return out
	}
	times := perIncident()
	if _, ok := times[first]["acknowledge"]; !ok {
		t.Errorf("the first incident lost its acknowledgement: %v", times[first])
	}
	if ack, ok := times[later]["acknowledge"]; ok {
		t.Errorf("the new incident is acknowledged (%v s) by the old incident's ack", ack)
	}
	must(t, home, "incident", "status", later[:8], "triaged")
	if _, ok := perIncident()[later]["acknowledge"]; !ok {
		t.Errorf("the new incident's own triage does not acknowledge it")
	}
}
