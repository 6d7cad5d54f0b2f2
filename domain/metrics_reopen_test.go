package domain_test

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// TestResolutionInForce: time to resolve runs to the resolution in force.
// A reopened incident is open and has none; resolved again, it is measured
// to the later resolution. On a drill only a responder's resolution counts.
func TestResolutionInForce(t *testing.T) {
	const alice, bob = 0, 1 // alice declares (a drill's facilitator); bob responds
	type move struct {
		node   int
		status string
	}
	cases := []struct {
		name     string
		drill    bool
		moves    []move
		resolved int // index of the move measured to, -1 for none
	}{
		{"resolved once", false, []move{{bob, domain.StatusTriaged}, {bob, domain.StatusResolved}}, 1},
		{"reopened", false, []move{{bob, domain.StatusResolved}, {bob, domain.StatusTriaged}}, -1},
		{"reopened after recovery", false, []move{{bob, domain.StatusRecovered}, {alice, domain.StatusResolved}, {alice, domain.StatusContained}}, -1},
		{"resolved again: the later resolution", false,
			[]move{{bob, domain.StatusResolved}, {alice, domain.StatusTriaged}, {bob, domain.StatusContained}, {alice, domain.StatusResolved}}, 3},
		{"never resolved", false, []move{{bob, domain.StatusTriaged}, {bob, domain.StatusContained}}, -1},
		{"drill: a responder's resolution", true, []move{{bob, domain.StatusResolved}}, 0},
		{"drill: reopened by the facilitator", true, []move{{bob, domain.StatusResolved}, {alice, domain.StatusTriaged}}, -1},
		{"drill: the facilitator's resolution in force does not count", true,
			[]move{{bob, domain.StatusResolved}, {alice, domain.StatusTriaged}, {alice, domain.StatusResolved}}, -1},
		{"drill: a responder resolves again", true,
			[]move{{bob, domain.StatusResolved}, {alice, domain.StatusTriaged}, {bob, domain.StatusResolved}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := domaintest.NewTeam(11, 2)
			found(t, tm, quorum1, domain.RoleTriage)
			add(t, tm, alice, member(tm, bob, "bob", domain.RoleTriage))
			inc := do(t, tm, alice, &domain.IncidentDeclare{Title: "Oracle stale", Severity: "P2", Drill: c.drill})
			var moves []*domain.Event
			for _, m := range c.moves {
				tm.Clock += 60_000
				moves = append(moves, do(t, tm, m.node, &domain.IncidentStatus{Incident: inc.ID, Status: m.status}))
			}
			st := fold(tm.Events)
			accepted(t, st, moves...)
			i := st.Incidents[inc.ID]
			if last := c.moves[len(c.moves)-1].status; i.Status != last {
				t.Fatalf("status %s, want %s", i.Status, last)
			}
			got, measured := domain.MetricsOf(st, i).Times[domain.PhaseResolve]
			var milestone *domain.Milestone
			for _, m := range domain.Milestones(st, i) {
				if m.Phase == domain.PhaseResolve {
					milestone = &m
				}
			}
			sum := domain.Metrics(st)
			ag := sum.Real
			if c.drill {
				ag = sum.Drills
			}
			stat, inStats := ag.Phases[domain.PhaseResolve]
			if c.resolved < 0 {
				if measured || milestone != nil || inStats {
					t.Errorf("an open incident has a time to resolve: %v, milestone %+v, stat %+v", got, milestone, stat)
				}
				return
			}
			want := moves[c.resolved]
			after := time.Duration(int64(want.Time)-int64(inc.Time)) * time.Millisecond
			if !measured || got != after {
				t.Errorf("time to resolve %v (measured %v), want %v", got, measured, after)
			}
			if milestone == nil || milestone.At != int64(want.Time) || milestone.By != st.Handle(want.Author) || milestone.After != after {
				t.Errorf("resolved milestone %+v, want at %d by %s", milestone, want.Time, st.Handle(want.Author))
			}
			if stat.N != 1 || stat.Mean != after {
				t.Errorf("resolve stat %+v, want one of %v", stat, after)
			}
		})
	}
}
