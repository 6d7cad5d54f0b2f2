package domain_test

import (
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// TestAcknowledgement walks the acknowledgement rule: the first alert.ack
// of a linked alert, or the first severity, status or assign on the
// incident, by a responder. Declaring and linking never acknowledge; a
// drill's declarer (its facilitator) and observers (a drill's simulated
// peers) are not responders.
func TestAcknowledgement(t *testing.T) {
	const (
		alice = 0 // founder: triage, containment
		bob   = 1 // triage
		carol = 2 // containment
		sim   = 3 // observer + reporter: a drill's simulated peer
	)
	handles := []string{"alice", "bob", "carol", "sim-bridge"}
	fp := "fp-ack"
	alert := domain.AlertID(fp)
	type step struct {
		node int
		body func(inc domain.ID) domain.Body
	}
	observe := func(inc domain.ID) domain.Body {
		return &domain.AlertObserve{Fingerprint: fp, Title: "Paused()", Status: domain.AlertFiring}
	}
	declare := func(drill bool, alerts ...domain.ID) func(domain.ID) domain.Body {
		return func(domain.ID) domain.Body {
			return &domain.IncidentDeclare{Title: "Vault drain", Severity: "P2", Drill: drill, Alerts: alerts}
		}
	}
	link := func(inc domain.ID) domain.Body { return &domain.IncidentLink{Incident: inc, Alert: alert} }
	ack := func(domain.ID) domain.Body { return &domain.AlertAck{Alert: alert} }
	sev := func(inc domain.ID) domain.Body { return &domain.IncidentSeverity{Incident: inc, Severity: "P1"} }
	status := func(inc domain.ID) domain.Body {
		return &domain.IncidentStatus{Incident: inc, Status: domain.StatusTriaged}
	}
	assign := func(inc domain.ID) domain.Body {
		return &domain.IncidentAssign{Incident: inc, Role: domain.RoleContainment, Member: "carol"}
	}
	note := func(inc domain.ID) domain.Body { return &domain.Note{Incident: inc, Text: "looking"} }
	task := func(inc domain.ID) domain.Body { return &domain.TaskAdd{Incident: inc, Title: "snapshot"} }

	cases := []struct {
		name  string
		steps []step // the step named "declare" is the incident
		ack   int    // index of the acknowledging step, -1 for none
		by    string
	}{
		{"1 declared from an alert: not acknowledged", []step{{alice, observe}, {alice, declare(false, alert)}}, -1, ""},
		{"2 declared, then linked: not acknowledged", []step{{alice, observe}, {alice, declare(false)}, {alice, link}}, -1, ""},
		{"3 notes and tasks do not acknowledge", []step{{alice, declare(false)}, {bob, note}, {bob, task}}, -1, ""},
		{"4 alert ack after the link", []step{{alice, observe}, {alice, declare(false, alert)}, {bob, ack}}, 2, "bob"},
		{"5 alert ack before the declaration", []step{{alice, observe}, {bob, ack}, {alice, declare(false, alert)}}, 1, "bob"},
		{"6 ack of an unlinked alert does not count", []step{{alice, observe}, {alice, declare(false)}, {bob, ack}}, -1, ""},
		{"7 real incident: the declarer's own triage counts", []step{{alice, declare(false)}, {alice, sev}}, 1, "alice"},
		{"8 status change", []step{{alice, declare(false)}, {bob, note}, {bob, status}}, 2, "bob"},
		{"9 assign", []step{{alice, declare(false)}, {bob, assign}}, 1, "bob"},
		{"10 the earliest responder action counts", []step{{alice, observe}, {alice, declare(false, alert)}, {carol, sev}, {bob, ack}}, 2, "carol"},
		{"11 drill: facilitator's declaration, link, ack and triage do not count",
			[]step{{alice, declare(true)}, {alice, observe}, {alice, link}, {alice, ack}, {alice, sev}, {alice, status}}, -1, ""},
		{"12 drill: a responder's ack counts", []step{{alice, declare(true)}, {alice, observe}, {alice, link}, {carol, ack}}, 3, "carol"},
		{"13 drill: a responder's triage counts", []step{{alice, declare(true)}, {alice, observe}, {alice, link}, {bob, status}}, 3, "bob"},
		{"14 drill: a simulated peer's ack and severity do not count",
			[]step{{alice, declare(true)}, {alice, observe}, {alice, link}, {sim, ack}, {sim, sev}}, -1, ""},
		{"15 drill: a responder acks after a simulated peer", []step{{alice, declare(true)}, {alice, observe}, {alice, link}, {sim, ack}, {bob, ack}}, 4, "bob"},
		{"16 drill: acked before the link by the facilitator does not count",
			[]step{{alice, declare(true)}, {alice, observe}, {alice, ack}, {alice, link}}, -1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := domaintest.NewTeam(7, 4)
			found(t, tm, quorum1, domain.RoleContainment, domain.RoleTriage)
			add(t, tm, alice, member(tm, bob, "bob", domain.RoleTriage))
			add(t, tm, alice, member(tm, carol, "carol", domain.RoleContainment))
			add(t, tm, alice, member(tm, sim, handles[sim], domain.RoleObserver, domain.RoleReporter))
			var inc domain.ID
			var events []*domain.Event
			for _, s := range c.steps {
				e := do(t, tm, s.node, s.body(inc))
				if e.Kind == domain.KindIncidentDeclare {
					inc = e.ID
				}
				events = append(events, e)
			}
			st := fold(tm.Events)
			accepted(t, st, events...)
			i := st.Incidents[inc]
			at, by := i.AckedAt, i.AckedBy
			want := int64(0)
			if c.ack >= 0 {
				want = int64(events[c.ack].Time)
			}
			if at != want || by != c.by || i.AckedAt != want {
				t.Errorf("acknowledged at %d by %q (AckedAt %d), want %d by %q", at, by, i.AckedAt, want, c.by)
			}
			_, measured := domain.MetricsOf(st, i).Times[domain.PhaseAcknowledge]
			if measured != (c.ack >= 0) {
				t.Errorf("time to acknowledge measured %v, want %v", measured, c.ack >= 0)
			}
		})
	}
}

// The acknowledgement does not depend on the order events fold in: a
// responder's earlier ack that arrives late still wins.
func TestAcknowledgementEarliestWins(t *testing.T) {
	tm := domaintest.NewTeam(8, 3)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	add(t, tm, 0, member(tm, 2, "carol", domain.RoleTriage))
	inc := declare(t, tm, 0, "Oracle stale")
	tm.Clock += 60_000
	late := do(t, tm, 1, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	tm.Clock -= 30_000 // carol's clock is behind: her event folds later but is stamped earlier
	early := do(t, tm, 2, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P1"})
	st := fold(tm.Events)
	accepted(t, st, late, early)
	if i := st.Incidents[inc.ID]; i.AckedAt != int64(early.Time) || i.AckedBy != "carol" {
		at, by := i.AckedAt, i.AckedBy
		t.Errorf("acknowledged at %d by %q, want %d by carol", at, by, early.Time)
	}
}

// A member holding the observer role beside a writing role is a drill's
// simulated peer: it writes notes, severities, tasks and alert acks on
// drill incidents, and nothing else anywhere.
func TestSimulatedPeerGate(t *testing.T) {
	tm := domaintest.NewTeam(9, 2)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "sim-bridge", domain.RoleObserver, domain.RoleReporter))
	drill := do(t, tm, 0, &domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true})
	realInc := declare(t, tm, 0, "Real breach")
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: "d", Title: "drill alert", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: drill.ID, Alert: domain.AlertID("d")})
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: "r", Title: "real alert", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: realInc.ID, Alert: domain.AlertID("r")})
	ok := []domain.Body{
		&domain.Note{Incident: drill.ID, Text: "peer here"},
		&domain.IncidentSeverity{Incident: drill.ID, Severity: "P1"},
		&domain.TaskAdd{Incident: drill.ID, Title: "rotate keys"},
		&domain.AlertAck{Alert: domain.AlertID("d")},
	}
	refused := []struct {
		body domain.Body
		why  string
	}{
		{&domain.Note{Incident: realInc.ID, Text: "peer here"}, "only on drill incidents"},
		{&domain.IncidentSeverity{Incident: realInc.ID, Severity: "P1"}, "only on drill incidents"},
		{&domain.AlertAck{Alert: domain.AlertID("r")}, "only on drill incidents"},
		{&domain.IncidentStatus{Incident: drill.ID, Status: domain.StatusContained}, "may not write incident.status"},
		{&domain.IncidentDeclare{Title: "x", Severity: "P4", Drill: true}, "may not write incident.declare"},
		{&domain.AlertObserve{Fingerprint: "s", Title: "x", Status: domain.AlertFiring}, "may not write alert.observe"},
		{&domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 0, "mallory", domain.RoleTriage)}, "may not write member.propose"},
	}
	var okEvents []*domain.Event
	for _, b := range ok {
		okEvents = append(okEvents, do(t, tm, 1, b))
	}
	var bad []*domain.Event
	for _, r := range refused {
		bad = append(bad, do(t, tm, 1, r.body))
	}
	st := fold(tm.Events)
	accepted(t, st, okEvents...)
	for i, r := range refused {
		rejected(t, st, bad[i], r.why)
	}
	if st.Incidents[realInc.ID].Severity != "P2" || st.Incidents[drill.ID].Severity != "P1" {
		t.Errorf("severities: real %s, drill %s", st.Incidents[realInc.ID].Severity, st.Incidents[drill.ID].Severity)
	}
}

func TestMilestones(t *testing.T) {
	tm := domaintest.NewTeam(10, 3)
	found(t, tm, quorum1, domain.RoleTriage, domain.RoleContainment)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	add(t, tm, 0, member(tm, 2, "carol", domain.RoleContainment))
	inc := do(t, tm, 0, &domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true})
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: "m", Title: "drill alert", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: inc.ID, Alert: domain.AlertID("m")})
	ack := do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID("m")})
	tri := do(t, tm, 1, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	con := do(t, tm, 2, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
	st := fold(tm.Events)
	got := domain.Milestones(st, st.Incidents[inc.ID])
	want := []struct {
		phase string
		e     *domain.Event
		by    string
	}{{domain.PhaseAcknowledge, ack, "bob"}, {domain.PhaseTriage, tri, "bob"}, {domain.PhaseContain, con, "carol"}}
	if len(got) != len(want) {
		t.Fatalf("milestones %+v", got)
	}
	for i, w := range want {
		g := got[i]
		after := time.Duration(int64(w.e.Time)-int64(inc.Time)) * time.Millisecond
		if g.Phase != w.phase || g.At != int64(w.e.Time) || g.By != w.by || g.After != after {
			t.Errorf("milestone %d: %+v, want %s at %d by %s after %s", i, g, w.phase, w.e.Time, w.by, after)
		}
	}
}

// Acks of an alert made before it is linked count by their own times: the
// earliest responder's ack wins, not the first to fold, and a
// non-responder's earlier ack does not hide a responder's later one.
func TestAcknowledgementBeforeLinkEarliestWins(t *testing.T) {
	tm := domaintest.NewTeam(9, 3)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	add(t, tm, 0, member(tm, 2, "carol", domain.RoleTriage))
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: "fp", Title: "outflow", Status: domain.AlertFiring})
	tm.Clock += 60_000
	do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID("fp")})
	tm.Clock -= 30_000 // carol's clock is behind
	early := do(t, tm, 2, &domain.AlertAck{Alert: domain.AlertID("fp")})
	tm.Clock += 60_000
	inc := do(t, tm, 0, &domain.IncidentDeclare{Title: "Drain", Severity: "P1", Alerts: []domain.ID{domain.AlertID("fp")}})
	st := fold(tm.Events)
	al, i := st.Alerts[domain.AlertID("fp")], st.Incidents[inc.ID]
	if len(al.Acks) != 2 || al.Acks[0].By != "bob" || al.Acks[1].By != "carol" || al.Acks[1].At != int64(early.Time) {
		t.Fatalf("alert acks %+v, want bob's then carol's at %d", al.Acks, early.Time)
	}
	if i.AckedAt != int64(early.Time) || i.AckedBy != "carol" {
		t.Fatalf("acknowledged at %d by %q, want %d by carol", i.AckedAt, i.AckedBy, early.Time)
	}
}

// On a drill, the facilitator's own status changes do not reach a status
// for the team, as their acks do not acknowledge: the first responder's
// change does, in the milestones, the metrics and the drill's score.
func TestDrillStatusReachedByResponders(t *testing.T) {
	tm := domaintest.NewTeam(10, 2)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	for _, drill := range []bool{true, false} {
		inc := do(t, tm, 0, &domain.IncidentDeclare{Title: "Oracle stale", Severity: "P2", Drill: drill})
		tm.Clock += 60_000
		byAlice := do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
		tm.Clock += 60_000
		do(t, tm, 1, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
		tm.Clock += 60_000
		byBob := do(t, tm, 1, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
		st := fold(tm.Events)
		i := st.Incidents[inc.ID]
		want, who := byAlice, "alice"
		if drill {
			want, who = byBob, "bob"
		}
		if at, by := domain.Reached(st, i, domain.StatusContained); at != int64(want.Time) || by != who {
			t.Errorf("drill %v: contained at %d by %q, want %d by %s", drill, at, by, want.Time, who)
		}
		if got := domain.MetricsOf(st, i).Times[domain.PhaseContain]; got != time.Duration(int64(want.Time)-i.DeclaredAt)*time.Millisecond {
			t.Errorf("drill %v: time to contain %v", drill, got)
		}
	}
}
