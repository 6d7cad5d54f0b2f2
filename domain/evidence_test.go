package domain_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// An incident's evidence: its files and runbook outputs from the state, and
// each distinct payload of its own alerts' applied observations.
func TestEvidenceOf(t *testing.T) {
	tm := timelineTeam(t, 7)
	payload := strings.Repeat("ab", 32)
	other := strings.Repeat("cd", 32)
	watched := func(i int, fp, p string) *domain.Event {
		return do(t, tm, i, &domain.AlertObserve{Fingerprint: fp, Title: "Outflow", Source: "alertmanager", Status: domain.AlertFiring, Payload: p})
	}
	first := watched(tlAlice, "fp-linked", payload)
	watched(tlBob, "fp-linked", payload)  // the same delivery seen again: listed once
	watched(tlBob, "fp-elsewhere", other) // an alert of no incident
	inc := do(t, tm, tlAlice, &domain.IncidentDeclare{Title: "Drain", Severity: "P1", Alerts: []domain.ID{domain.AlertID("fp-linked")}})
	file := strings.Repeat("0f", 32)
	ev := do(t, tm, tlBob, &domain.EvidenceAdd{Incident: inc.ID, Name: "trace.json", SHA256: file, Size: 42})
	// Zed is no member: his observation is stored but rejected.
	tm.Nodes[tlZed].Receive(first)
	if _, err := tm.Do(tlZed, &domain.AlertObserve{Fingerprint: "fp-linked", Title: "Outflow", Source: "x", Status: domain.AlertFiring, Payload: other}); err != nil {
		t.Fatal(err)
	}
	s := tm.Fold(nil)
	evs := append([]*domain.Event(nil), tm.Events...)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
	got := s.EvidenceOf(s.Incidents[inc.ID], evs)
	if len(got) != 2 {
		t.Fatalf("evidence: %+v, want the alert payload and the file", got)
	}
	if g := got[0]; g.Source != domain.EvidenceAlert || g.SHA256 != payload || g.Event != first.ID || g.By != "alice" || g.Size != -1 {
		t.Errorf("alert payload: %+v", g)
	}
	if g := got[1]; g.Source != domain.EvidenceFile || g.SHA256 != file || g.Event != ev.ID || g.By != "bob" || g.Size != 42 {
		t.Errorf("file: %+v", g)
	}
}

func TestAlertPayloadMustBeAHash(t *testing.T) {
	for _, p := range []string{"", strings.Repeat("ab", 32)} {
		b := &domain.AlertObserve{Fingerprint: "f", Title: "t", Status: domain.AlertFiring, Payload: p}
		if err := b.Validate(); err != nil {
			t.Errorf("payload %q: %v", p, err)
		}
	}
	for _, p := range []string{"abc", strings.Repeat("AB", 32), strings.Repeat("ab", 33)} {
		b := &domain.AlertObserve{Fingerprint: "f", Title: "t", Status: domain.AlertFiring, Payload: p}
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "payload") {
			t.Errorf("payload %q: %v, want refused", p, err)
		}
	}
}

// A run that failed, was interrupted or timed out still left a record,
// but its evidence says so: an export or retro must not pass it off as a
// step that did its work.
func TestEvidenceMarksFailedRuns(t *testing.T) {
	for _, c := range []struct {
		exec *domain.RunbookExec
		want string
	}{
		{&domain.RunbookExec{ExitCode: 0}, "collect-logs step 1 output"},
		{&domain.RunbookExec{ExitCode: 1}, "collect-logs step 1 output (failed, exit 1)"},
		{&domain.RunbookExec{ExitCode: 130}, "collect-logs step 1 output (failed, exit 130)"},
		{&domain.RunbookExec{ExitCode: -1, TimedOut: true}, "collect-logs step 1 output (timed out, exit -1)"},
	} {
		tm := domaintest.NewTeam(8, 1)
		found(t, tm, quorum1, "containment", "triage")
		inc := declare(t, tm, 0, "Bridge halted")
		cmd := "journalctl -n 100"
		p := do(t, tm, 0, &domain.RunbookPropose{Incident: inc.ID, Runbook: "collect-logs", RunbookHash: domain.CommandHash("rb"), Step: 1,
			Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskLow})
		c.exec.Proposal, c.exec.Output = p.ID, domain.CommandHash("out")
		do(t, tm, 0, c.exec)
		st := tm.Fold(nil)
		got := st.EvidenceOf(st.Incidents[inc.ID], nil)
		if len(got) != 1 || got[0].Name != c.want {
			t.Errorf("exit %d timed out %v: evidence %+v, want %q", c.exec.ExitCode, c.exec.TimedOut, got, c.want)
		}
	}
}
