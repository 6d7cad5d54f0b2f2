package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// ResolvedAt is the resolution in force: none while open, the later one
// after a reopen, not the first resolution Reached keeps.
func TestIncidentResolvedAt(t *testing.T) {
	tm := domaintest.NewTeam(5, 1)
	found(t, tm, domain.Policy{}, "containment", "triage")
	inc := declare(t, tm, 0, "Vault drain")
	status := func(s string) *domain.Event {
		return do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: s})
	}
	at := func() int64 { return fold(tm.Events).Incidents[inc.ID].ResolvedAt() }
	if got := at(); got != 0 {
		t.Fatalf("declared: %d", got)
	}
	first := status(domain.StatusResolved)
	if got := at(); got != int64(first.Time) {
		t.Fatalf("resolved: %d, want %d", got, first.Time)
	}
	status(domain.StatusTriaged)
	if got := at(); got != 0 {
		t.Fatalf("reopened: %d, want 0", got)
	}
	second := status(domain.StatusResolved)
	inc2 := fold(tm.Events).Incidents[inc.ID]
	if got := inc2.ResolvedAt(); got != int64(second.Time) || got == inc2.Reached[domain.StatusResolved] {
		t.Fatalf("resolved again: %d, want the second resolution %d (the first: %d)", got, second.Time, inc2.Reached[domain.StatusResolved])
	}
}
