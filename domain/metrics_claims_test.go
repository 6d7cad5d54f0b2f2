package domain_test

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// An incident declared from an alert another incident already had: the
// fold moves the link and copies the alert's acks, but metrics credit the
// later incident with neither the alert's first sighting nor an ack made
// before it existed. Its own actions acknowledge it.
func TestMetricsAlertClaimedEarlier(t *testing.T) {
	const alice, bob, carol = 0, 1, 2
	fp := "fp-claimed"
	alert := domain.AlertID(fp)
	min := func(n int64) time.Duration { return time.Duration(n) * time.Minute }
	cases := []struct {
		name string
		// after the shared history below: what happens to the later incident
		later     func(t *testing.T, tm *domaintest.Team, inc domain.ID) *domain.Event
		ack       time.Duration // the later incident's time to acknowledge; 0 for none
		ackBy     string
		foldAcked bool // the fold credits the later incident with bob's old ack
	}{
		{"nothing done on it: not acknowledged", nil, 0, "", true},
		{"its own triage acknowledges it", func(t *testing.T, tm *domaintest.Team, inc domain.ID) *domain.Event {
			return do(t, tm, carol, &domain.IncidentStatus{Incident: inc, Status: domain.StatusTriaged})
		}, min(1), "carol", true},
		{"a new ack of the alert acknowledges it", func(t *testing.T, tm *domaintest.Team, inc domain.ID) *domain.Event {
			return do(t, tm, carol, &domain.AlertAck{Alert: alert})
		}, min(1), "carol", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := domaintest.NewTeam(14, 3)
			found(t, tm, quorum1, domain.RoleTriage)
			add(t, tm, alice, member(tm, bob, "bob", domain.RoleTriage))
			add(t, tm, alice, member(tm, carol, "carol", domain.RoleTriage))
			tm.Clock += 60_000
			seen := do(t, tm, alice, &domain.AlertObserve{Fingerprint: fp, Title: "outflow", Status: domain.AlertFiring})
			tm.Clock += 60_000
			first := do(t, tm, alice, &domain.IncidentDeclare{Title: "Drain", Severity: "P1", Alerts: []domain.ID{alert}})
			tm.Clock += 60_000
			ack := do(t, tm, bob, &domain.AlertAck{Alert: alert})
			tm.Clock += time.Hour.Milliseconds()
			later := do(t, tm, carol, &domain.IncidentDeclare{Title: "Drain again", Severity: "P1", Alerts: []domain.ID{alert}})
			events := []*domain.Event{seen, first, ack, later}
			if c.later != nil {
				tm.Clock += 59_000 // with Do's second, a minute after the declaration
				events = append(events, c.later(t, tm, later.ID))
			}
			st := fold(tm.Events)
			accepted(t, st, events...)
			o, n := st.Incidents[first.ID], st.Incidents[later.ID]
			if st.Alerts[alert].Incident != later.ID || (n.AckedAt == int64(ack.Time)) != c.foldAcked {
				t.Fatalf("the fold's link moved to %s, later incident acked at %d; the test's premise is off",
					st.Alerts[alert].Incident.Short(), n.AckedAt)
			}

			mo := domain.MetricsOf(st, o)
			if want := time.Duration(ack.Time-seen.Time) * time.Millisecond; mo.Start != int64(seen.Time) || mo.Times[domain.PhaseAcknowledge] != want {
				t.Errorf("first incident: start %d, ack %v; want the sighting and bob's ack %v later", mo.Start, mo.Times[domain.PhaseAcknowledge], want)
			}
			mn := domain.MetricsOf(st, n)
			if mn.Start != n.DeclaredAt {
				t.Errorf("later incident starts at %d, want its declaration %d, not the first incident's sighting", mn.Start, n.DeclaredAt)
			}
			got, acked := mn.Times[domain.PhaseAcknowledge]
			if acked != (c.ack != 0) || got != c.ack {
				t.Errorf("later incident: time to acknowledge %v (measured %v), want %v", got, acked, c.ack)
			}
			var by string
			for _, m := range domain.Milestones(st, n) {
				if m.Phase == domain.PhaseAcknowledge {
					by = m.By
				}
			}
			if by != c.ackBy {
				t.Errorf("later incident acknowledged by %q in its milestones, want %q", by, c.ackBy)
			}
			sum := domain.Metrics(st)
			if want := 1 + btoi(c.ack != 0); sum.Real.Phases[domain.PhaseAcknowledge].N != want {
				t.Errorf("%d acknowledged incidents in the aggregate, want %d", sum.Real.Phases[domain.PhaseAcknowledge].N, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
