package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// TestMetricsExcludingSkewed: a time measured from an event the replica
// flagged as skewed is left out and counted, whether the flagged event
// ended the phase (a status, an alert ack, the acknowledgement) or began
// the incident (its declaration, or the alert sighting that started it).
func TestMetricsExcludingSkewed(t *testing.T) {
	const alice, bob = 0, 1
	fp := "fp-skew"
	alert := domain.AlertID(fp)
	observe := func(domain.ID) domain.Body {
		return &domain.AlertObserve{Fingerprint: fp, Title: "outflow", Status: domain.AlertFiring}
	}
	declare := func(alerts ...domain.ID) func(domain.ID) domain.Body {
		return func(domain.ID) domain.Body {
			return &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1", Alerts: alerts}
		}
	}
	status := func(s string) func(domain.ID) domain.Body {
		return func(inc domain.ID) domain.Body { return &domain.IncidentStatus{Incident: inc, Status: s} }
	}
	ack := func(domain.ID) domain.Body { return &domain.AlertAck{Alert: alert} }
	note := func(inc domain.ID) domain.Body { return &domain.Note{Incident: inc, Text: "clock is off"} }
	type step struct {
		node    int
		body    func(inc domain.ID) domain.Body
		flagged bool
	}
	all := []string{domain.PhaseAcknowledge, domain.PhaseTriage, domain.PhaseContain}
	cases := []struct {
		name     string
		steps    []step
		measured []string
		skewed   []string
	}{
		{"nothing flagged", []step{{alice, declare(), false}, {bob, status(domain.StatusTriaged), false},
			{bob, status(domain.StatusContained), false}}, all, nil},
		{"the status that also acknowledged", []step{{alice, declare(), false}, {bob, status(domain.StatusContained), true}},
			nil, []string{domain.PhaseAcknowledge, domain.PhaseContain}},
		{"a later status only", []step{{alice, declare(), false}, {bob, status(domain.StatusTriaged), false},
			{bob, status(domain.StatusContained), true}}, []string{domain.PhaseAcknowledge, domain.PhaseTriage}, []string{domain.PhaseContain}},
		{"the alert ack that acknowledged", []step{{alice, observe, false}, {alice, declare(alert), false}, {bob, ack, true},
			{bob, status(domain.StatusTriaged), false}}, []string{domain.PhaseTriage}, []string{domain.PhaseAcknowledge}},
		{"the declaration that started it", []step{{alice, declare(), true}, {bob, status(domain.StatusTriaged), false},
			{bob, status(domain.StatusContained), false}}, nil, all},
		{"the alert sighting that started it", []step{{alice, observe, true}, {alice, declare(alert), false},
			{bob, status(domain.StatusTriaged), false}}, nil, []string{domain.PhaseAcknowledge, domain.PhaseTriage}},
		{"a flagged note changes nothing", []step{{alice, declare(), false}, {bob, status(domain.StatusTriaged), false},
			{bob, note, true}}, []string{domain.PhaseAcknowledge, domain.PhaseTriage}, nil},
		{"a flagged resolution no longer in force", []step{{alice, declare(), false}, {bob, status(domain.StatusResolved), true},
			{bob, status(domain.StatusTriaged), false}, {bob, status(domain.StatusResolved), false}},
			[]string{domain.PhaseTriage, domain.PhaseResolve}, []string{domain.PhaseAcknowledge}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := domaintest.NewTeam(12, 2)
			found(t, tm, quorum1, domain.RoleTriage, domain.RoleContainment)
			add(t, tm, alice, member(tm, bob, "bob", domain.RoleTriage))
			var inc domain.ID
			var flagged, events []*domain.Event
			for _, s := range c.steps {
				tm.Clock += 60_000
				e := do(t, tm, s.node, s.body(inc))
				if e.Kind == domain.KindIncidentDeclare {
					inc = e.ID
				}
				events = append(events, e)
				if s.flagged {
					flagged = append(flagged, e)
				}
			}
			st := fold(tm.Events)
			accepted(t, st, events...)
			before := stateHash(t, st)
			sum := domain.MetricsExcluding(st, domain.NewSkew(st, flagged))
			if stateHash(t, st) != before {
				t.Fatal("measuring changed the state")
			}
			if len(sum.Incidents) != 1 {
				t.Fatalf("%d incidents", len(sum.Incidents))
			}
			m := sum.Incidents[0]
			plain := domain.MetricsOf(st, st.Incidents[inc])
			for _, ph := range c.measured {
				if got, ok := m.Times[ph]; !ok || got != plain.Times[ph] {
					t.Errorf("%s: %v (measured %v), want %v", ph, got, ok, plain.Times[ph])
				}
			}
			if len(m.Times) != len(c.measured) {
				t.Errorf("times %v, want only %v", m.Times, c.measured)
			}
			if !slices.Equal(m.Skewed, c.skewed) {
				t.Errorf("left out %v, want %v", m.Skewed, c.skewed)
			}
			if sum.Real.Skewed != len(c.skewed) {
				t.Errorf("aggregate left out %d, want %d", sum.Real.Skewed, len(c.skewed))
			}
			for _, ph := range c.skewed {
				if _, ok := sum.Real.Phases[ph]; ok {
					t.Errorf("%s still in the aggregate: %+v", ph, sum.Real.Phases[ph])
				}
			}
			if unflagged := domain.Metrics(st); unflagged.Real.Skewed != 0 || len(unflagged.Incidents[0].Times) != len(c.measured)+len(c.skewed) {
				t.Errorf("without a skew: %+v", unflagged.Incidents[0])
			}
		})
	}
}

// A skew whose events name no incident (roster events, another incident's)
// leaves the metrics as they are.
func TestSkewOfOtherEvents(t *testing.T) {
	tm := domaintest.NewTeam(13, 2)
	genesis := found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	one := do(t, tm, 0, &domain.IncidentDeclare{Title: "one", Severity: "P2"})
	two := do(t, tm, 0, &domain.IncidentDeclare{Title: "two", Severity: "P2"})
	tm.Clock += time.Minute.Milliseconds()
	do(t, tm, 1, &domain.IncidentStatus{Incident: one.ID, Status: domain.StatusTriaged})
	flagged := do(t, tm, 1, &domain.IncidentStatus{Incident: two.ID, Status: domain.StatusTriaged})
	st := fold(tm.Events)
	sum := domain.MetricsExcluding(st, domain.NewSkew(st, []*domain.Event{genesis, flagged}))
	if sum.Real.Skewed != 2 || sum.Real.Phases[domain.PhaseTriage].N != 1 || sum.Real.Phases[domain.PhaseAcknowledge].N != 1 {
		t.Errorf("want two's acknowledge and triage left out, one's kept: %+v", sum.Real)
	}
	for _, m := range sum.Incidents {
		if (m.Incident == one.ID) != (len(m.Skewed) == 0) {
			t.Errorf("%s left out %v", m.Title, m.Skewed)
		}
	}
}
