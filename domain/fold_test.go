package domain_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// quorum1 lets the founder add members alone, for tests about other rules.
var quorum1 = domain.Policy{RosterQuorum: 1}

func declare(t *testing.T, tm *domaintest.Team, i int, title string) *domain.Event {
	t.Helper()
	return do(t, tm, i, &domain.IncidentDeclare{Title: title, Severity: "P2"})
}

func add(t *testing.T, tm *domaintest.Team, by int, m domain.MemberSpec) *domain.Event {
	t.Helper()
	return do(t, tm, by, &domain.MemberPropose{Action: domain.ActionAdd, Member: m})
}

func TestFoldHappyPath(t *testing.T) {
	tm := domaintest.NewTeam(1, 2)
	g := found(t, tm, domain.Policy{}, "containment", "triage")
	bob := add(t, tm, 0, member(tm, 1, "bob", "comms"))
	al := do(t, tm, 1, &domain.AlertObserve{Fingerprint: "fp1", Title: "Paused()", Source: "chain", Status: domain.AlertFiring})
	ack := do(t, tm, 0, &domain.AlertAck{Alert: domain.AlertID("fp1")})
	inc := do(t, tm, 1, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1", Alerts: []domain.ID{domain.AlertID("fp1")}})
	sev := do(t, tm, 0, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"})
	task := do(t, tm, 0, &domain.TaskAdd{Incident: inc.ID, Title: "freeze treasury", Owner: "bob"})
	done := do(t, tm, 1, &domain.TaskDone{Task: task.ID})
	timer := do(t, tm, 1, &domain.TimerSet{Incident: inc.ID, Label: "status update", Due: domaintest.Epoch + 1800_000, Every: 1800_000})
	met := do(t, tm, 1, &domain.TimerDone{Timer: timer.ID})
	ev := do(t, tm, 0, &domain.EvidenceAdd{Incident: inc.ID, Name: "trace.json", SHA256: domain.CommandHash("trace"), Size: 5})
	st := fold(tm.Events)
	accepted(t, st, g, bob, al, ack, inc, sev, task, done, timer, met, ev)
	if st.WS != g.ID || st.Name != "acme" || st.ActiveMembers() != 2 || st.Count != uint64(len(tm.Events)) {
		t.Fatalf("workspace: %s %q %d members, %d events", st.WS.Short(), st.Name, st.ActiveMembers(), st.Count)
	}
	i := st.Incidents[inc.ID]
	if i.Severity != "P2" || i.DeclaredBy != "bob" || i.Leads[domain.RoleReporter] != "bob" || len(i.Alerts) != 1 || i.AckedAt != int64(ack.Time) {
		t.Fatalf("incident: %+v", i)
	}
	if a := st.Alerts[domain.AlertID("fp1")]; a.Incident != inc.ID || a.Observers[0] != "bob" || a.Acks[0].By != "alice" {
		t.Fatalf("alert: %+v", a)
	}
	if tk := st.Tasks[task.ID]; !tk.Done || tk.DoneBy != "bob" || tk.Owner != "bob" {
		t.Fatalf("task: %+v", tk)
	}
	if tr := st.Timers[timer.ID]; !tr.Met || tr.MetAt != int64(met.Time) {
		t.Fatalf("timer: %+v", tr)
	}
	if len(i.Evidence) != 1 || i.Evidence[0].By != "alice" || len(i.SevHistory) != 2 {
		t.Fatalf("evidence %+v, severity history %+v", i.Evidence, i.SevHistory)
	}
	if st.Last != tm.Events[len(tm.Events)-1].Key() {
		t.Fatal("Last is not the newest event's key")
	}
}

func TestFoldRejectsOutsiders(t *testing.T) {
	tm := domaintest.NewTeam(2, 4)
	found(t, tm, quorum1, "containment", "triage")
	inc := declare(t, tm, 0, "Oracle stale")
	add(t, tm, 0, member(tm, 2, "olga", domain.RoleObserver))
	stranger := do(t, tm, 1, &domain.Note{Incident: inc.ID, Text: "I am not on the roster"})
	strangerDeclare := declare(t, tm, 1, "Fake incident")
	observer := do(t, tm, 2, &domain.Note{Incident: inc.ID, Text: "observers read"})
	observerAck := do(t, tm, 2, &domain.AlertObserve{Fingerprint: "x", Title: "x", Status: domain.AlertFiring})
	st := fold(tm.Events)
	rejected(t, st, stranger, "is not a member")
	rejected(t, st, stranger, tm.Addr(1).Hex())
	rejected(t, st, strangerDeclare, "is not a member")
	rejected(t, st, observer, "observer (read-only)")
	rejected(t, st, observerAck, "observer (read-only)")
	if len(st.Incidents) != 1 || len(st.Timeline(st.Incidents[inc.ID], tm.Events)) != 1 || len(st.Alerts) != 0 {
		t.Fatal("a rejected event changed the state")
	}
	// Rejected events are listed, never dropped: the count covers them.
	if st.Count != uint64(len(tm.Events)) || len(st.Rejected) != 4 {
		t.Fatalf("count %d of %d, %d rejected", st.Count, len(tm.Events), len(st.Rejected))
	}
	for _, r := range st.Rejected {
		if r.Kind == "" || r.Author == (tm.Addr(0)) {
			t.Fatalf("rejection %+v", r)
		}
	}
}

func TestFoldGenesisRules(t *testing.T) {
	tm := domaintest.NewTeam(3, 2)
	// Node 1 signs a genesis naming node 0 as founder.
	g := do(t, tm, 1, &domain.Genesis{Name: "acme", Founder: member(tm, 0, "alice", "triage")})
	st := fold(tm.Events)
	rejected(t, st, g, "is not its signer")
	if !st.WS.IsZero() {
		t.Fatal("a rejected genesis founded the workspace")
	}

	tm = domaintest.NewTeam(3, 2)
	g = found(t, tm, quorum1, "triage")
	other := domaintest.NewTeam(4, 1)
	g2 := found(t, other, quorum1, "triage")
	st = fold(append(append([]*domain.Event(nil), tm.Events...), g2))
	first, second := g, g2
	if g2.Key().Less(g.Key()) {
		first, second = g2, g
	}
	accepted(t, st, first)
	rejected(t, st, second, "already has a genesis")
	if st.WS != first.ID {
		t.Fatal("the first genesis in fold order does not found the workspace")
	}

	// A redacted event has nothing to fold.
	tm = domaintest.NewTeam(5, 1)
	found(t, tm, quorum1, "triage")
	inc := declare(t, tm, 0, "x")
	r, err := inc.Redact()
	if err != nil {
		t.Fatal(err)
	}
	st = fold([]*domain.Event{tm.Events[0], r})
	rejected(t, st, r, "redacted")

	// A kind this version does not know is stored by nobody, but the fold
	// still refuses it out loud rather than panic.
	h, _ := tm.Nodes[0].Next("incident.delete", tm.Clock)
	unknown, err := domain.Seal(h, []byte(`{}`), tm.Nodes[0].Signer)
	if err != nil {
		t.Fatal(err)
	}
	st = fold(append(append([]*domain.Event(nil), tm.Events...), unknown))
	rejected(t, st, unknown, "unknown kind")
}

// Authorization inside the fold: each action's gate, in the order a real
// incident would meet them.
func TestFoldRoleGates(t *testing.T) {
	tm := domaintest.NewTeam(6, 4)
	found(t, tm, quorum1, "containment", "triage")
	add(t, tm, 0, member(tm, 1, "bob", "comms"))
	add(t, tm, 0, member(tm, 2, "carol", "reporter"))
	add(t, tm, 0, member(tm, 3, "dave", "triage"))
	inc := declare(t, tm, 1, "Bridge halted") // bob declares

	carolAssigns := do(t, tm, 2, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleComms, Member: "bob"})
	declarerAssigns := do(t, tm, 1, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleComms, Member: "bob"})
	triageAssigns := do(t, tm, 0, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleContainment, Member: "alice"})
	lacksRole := do(t, tm, 0, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleContainment, Member: "carol"})
	notMember := do(t, tm, 0, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleComms, Member: "zed"})
	unknownIncident := do(t, tm, 0, &domain.IncidentAssign{Incident: domain.ID{7}, Role: domain.RoleComms, Member: "bob"})

	cmd := "cast send 0xbridge 'pause()'"
	prop := do(t, tm, 0, &domain.RunbookPropose{Incident: inc.ID, Runbook: "contract-pause", RunbookHash: domain.CommandHash("rb"), Step: 1,
		Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 2,
		Approvers: []string{domain.RoleContainment, domain.RoleTriage}})
	nonApprover := do(t, tm, 1, &domain.RunbookApprove{Proposal: prop.ID})
	proposerAgain := do(t, tm, 0, &domain.RunbookApprove{Proposal: prop.ID})
	unknownProposal := do(t, tm, 3, &domain.RunbookApprove{Proposal: domain.ID{9}})
	out := domain.CommandHash("paused")
	early := do(t, tm, 0, &domain.RunbookExec{Proposal: prop.ID, Output: out})
	daveApproves := do(t, tm, 3, &domain.RunbookApprove{Proposal: prop.ID})
	daveTwice := do(t, tm, 3, &domain.RunbookApprove{Proposal: prop.ID})
	bobExecs := do(t, tm, 1, &domain.RunbookExec{Proposal: prop.ID, Output: out})
	daveExecs := do(t, tm, 3, &domain.RunbookExec{Proposal: prop.ID, Output: out}) // triage, not containment
	exec := do(t, tm, 0, &domain.RunbookExec{Proposal: prop.ID, ExitCode: 0, DurationMs: 1200, Output: out, OutputSize: 12})
	execTwice := do(t, tm, 0, &domain.RunbookExec{Proposal: prop.ID, Output: out})
	lateApproval := do(t, tm, 2, &domain.RunbookApprove{Proposal: prop.ID})
	execUnknown := do(t, tm, 0, &domain.RunbookExec{Proposal: domain.ID{9}, Output: out})

	low := do(t, tm, 1, &domain.RunbookPropose{Incident: inc.ID, Runbook: "collect-logs", RunbookHash: domain.CommandHash("rb2"), Step: 1,
		Command: "journalctl -n 100", CommandHash: domain.CommandHash("journalctl -n 100"), Risk: domain.RiskLow})
	lowExec := do(t, tm, 0, &domain.RunbookExec{Proposal: low.ID, Output: out})

	st := fold(tm.Events)
	rejected(t, st, carolAssigns, "may not assign leads")
	accepted(t, st, declarerAssigns, triageAssigns, prop, daveApproves, exec, low, lowExec)
	rejected(t, st, lacksRole, "does not hold the containment role")
	rejected(t, st, notMember, "zed is not a member")
	rejected(t, st, unknownIncident, "not found")
	rejected(t, st, nonApprover, "bob is not an approver")
	rejected(t, st, proposerAgain, "alice already approved")
	rejected(t, st, unknownProposal, "not found")
	rejected(t, st, early, "has 1 of 2 approvals")
	rejected(t, st, daveTwice, "dave already approved")
	rejected(t, st, bobExecs, "needs the containment role")
	rejected(t, st, daveExecs, "needs the containment role")
	rejected(t, st, execTwice, "already executed")
	rejected(t, st, lateApproval, "already executed")
	rejected(t, st, execUnknown, "not found")

	i := st.Incidents[inc.ID]
	if i.Leads[domain.RoleComms] != "bob" || i.Leads[domain.RoleContainment] != "alice" {
		t.Fatalf("leads %v", i.Leads)
	}
	p := st.Proposals[prop.ID]
	if p.Exec == nil || p.Exec.Event != exec.ID || p.Exec.By != "alice" || len(p.Approvals) != 2 || !p.Approved() {
		t.Fatalf("proposal %+v exec %+v", p, p.Exec)
	}
}

// Roster changes apply when approvals from distinct current members reach
// the quorum: a majority by default. Each step below names the members
// and the quorum at that point.
func TestFoldRosterQuorum(t *testing.T) {
	tm := domaintest.NewTeam(7, 6)
	found(t, tm, domain.Policy{}, "triage")
	b := add(t, tm, 0, member(tm, 1, "bob", "comms")) // 1 member, quorum 1: applies at once
	c := add(t, tm, 0, member(tm, 2, "carol", "comms"))
	st := fold(tm.Events)
	if !st.Roster[b.ID].Applied || st.Roster[c.ID].Applied || st.RosterQuorum() != 2 {
		t.Fatalf("2 members, quorum %d: bob applied %v, carol applied %v", st.RosterQuorum(), st.Roster[b.ID].Applied, st.Roster[c.ID].Applied)
	}
	do(t, tm, 1, &domain.MemberApprove{Proposal: c.ID}) // 2 of 2
	d := add(t, tm, 0, member(tm, 3, "dave", "comms"))
	do(t, tm, 2, &domain.MemberApprove{Proposal: d.ID}) // 2 of quorum 2 (3 members)

	e := add(t, tm, 0, member(tm, 4, "erin", "comms")) // 4 members: quorum 3
	bobApproves := do(t, tm, 1, &domain.MemberApprove{Proposal: e.ID})
	tooEarly := do(t, tm, 4, &domain.Note{Incident: domain.ID{1}, Text: "hello"})
	st = fold(tm.Events)
	if st.RosterQuorum() != 3 || len(st.Roster[e.ID].Approvals) != 2 || st.Roster[e.ID].Applied || st.Members["erin"] != nil {
		t.Fatalf("short of quorum (2 of %d) yet applied: %+v", st.RosterQuorum(), st.Roster[e.ID])
	}
	rejected(t, st, tooEarly, "is not a member")
	carolApproves := do(t, tm, 2, &domain.MemberApprove{Proposal: e.ID}) // 3 of 3: applies exactly here
	late := do(t, tm, 3, &domain.MemberApprove{Proposal: e.ID})
	again := do(t, tm, 1, &domain.MemberApprove{Proposal: e.ID})
	unknown := do(t, tm, 1, &domain.MemberApprove{Proposal: domain.ID{3}})
	inc := declare(t, tm, 4, "erin's first")
	st = fold(tm.Events)
	accepted(t, st, bobApproves, carolApproves, inc)
	if p := st.Roster[e.ID]; !p.Applied || p.AppliedAt != int64(carolApproves.Time) || !st.Members["erin"].Active {
		t.Fatalf("at quorum: %+v", p)
	}
	rejected(t, st, late, "already applied")
	rejected(t, st, again, "already applied")
	rejected(t, st, unknown, "not found")

	// Removal takes the quorum too, and a removed member's keys stop counting.
	rm := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "dave"}}) // 5 members: quorum 3
	do(t, tm, 1, &domain.MemberApprove{Proposal: rm.ID})
	daveStill := do(t, tm, 3, &domain.Note{Incident: inc.ID, Text: "still here"})
	do(t, tm, 2, &domain.MemberApprove{Proposal: rm.ID})
	daveGone := do(t, tm, 3, &domain.Note{Incident: inc.ID, Text: "am I gone?"})
	removeStranger := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "zed"}})
	dupKey := add(t, tm, 0, member(tm, 1, "bobby", "comms"))
	noRoles := add(t, tm, 0, domain.MemberSpec{Address: tm.Addr(5), Handle: "frank"})
	st = fold(tm.Events)
	accepted(t, st, daveStill)
	rejected(t, st, daveGone, "is not a member")
	rejected(t, st, removeStranger, "zed is not a member")
	rejected(t, st, dupKey, "already a key of bob")
	rejected(t, st, noRoles, "needs at least one role")
	if st.Members["dave"].Active || st.ActiveMembers() != 4 {
		t.Fatalf("dave still active; %d members", st.ActiveMembers())
	}
}

func TestRosterQuorumPolicy(t *testing.T) {
	for _, c := range []struct{ policy, members, want int }{
		{0, 1, 1}, {0, 2, 2}, {0, 3, 2}, {0, 4, 3}, {0, 5, 3},
		{2, 5, 2}, {7, 3, 3}, {1, 4, 1},
	} {
		st := domain.NewState()
		st.Policy.RosterQuorum = c.policy
		for i := 0; i < c.members; i++ {
			st.Members[string(rune('a'+i))] = &domain.Member{Active: true, Roles: []string{domain.RoleTriage}}
		}
		// None of these can approve a roster change, so none counts.
		st.Members["gone"] = &domain.Member{Active: false, Roles: []string{domain.RoleTriage}}
		st.Members["watcher"] = &domain.Member{Active: true, Roles: []string{domain.RoleObserver}}
		st.Members["sim-ops"] = &domain.Member{Active: true, Roles: []string{domain.RoleObserver, domain.RoleReporter}}
		if got := st.RosterQuorum(); got != c.want {
			t.Errorf("policy %d, %d members: quorum %d, want %d", c.policy, c.members, got, c.want)
		}
	}
}

// Quorums count people, not keys: a member approving from a second device
// counts once.
func TestFoldTwoKeysApproveOnce(t *testing.T) {
	tm := domaintest.NewTeam(8, 6)
	found(t, tm, domain.Policy{}, "triage")
	add(t, tm, 0, member(tm, 1, "bob", "comms"))
	p := add(t, tm, 0, member(tm, 2, "carol", "comms"))
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	p = add(t, tm, 0, member(tm, 3, "dave", "comms"))
	do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	// Four members, quorum 3: bob adds his laptop (node 5) as a second key.
	laptop := do(t, tm, 1, &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: tm.Addr(5), Handle: "bob"}})
	do(t, tm, 0, &domain.MemberApprove{Proposal: laptop.ID})
	do(t, tm, 2, &domain.MemberApprove{Proposal: laptop.ID})
	st := fold(tm.Events)
	if bob := st.Members["bob"]; len(bob.Keys) != 2 || st.Handle(tm.Addr(5)) != "bob" || st.ActiveMembers() != 4 {
		t.Fatalf("bob's keys %v, %d members", bob.Keys, st.ActiveMembers())
	}

	e := add(t, tm, 0, member(tm, 4, "erin", "comms"))
	fromDesk := do(t, tm, 1, &domain.MemberApprove{Proposal: e.ID})
	fromLaptop := do(t, tm, 5, &domain.MemberApprove{Proposal: e.ID})
	st = fold(tm.Events)
	accepted(t, st, fromDesk)
	rejected(t, st, fromLaptop, "bob already approved")
	if p := st.Roster[e.ID]; p.Applied || len(p.Approvals) != 2 {
		t.Fatalf("two keys of one member counted twice: %+v", p)
	}
	do(t, tm, 3, &domain.MemberApprove{Proposal: e.ID})
	note := do(t, tm, 5, &domain.IncidentDeclare{Title: "from the laptop", Severity: "P3"})
	st = fold(tm.Events)
	accepted(t, st, note)
	if !st.Roster[e.ID].Applied || st.Incidents[note.ID].DeclaredBy != "bob" {
		t.Fatal("erin not added at quorum, or the laptop does not act as bob")
	}

	// Runbook quorums count people too.
	cmd := "kubectl cordon node-7"
	prop := do(t, tm, 0, &domain.RunbookPropose{Incident: note.ID, Runbook: "quarantine", RunbookHash: domain.CommandHash("rb"), Step: 1,
		Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 3, Approvers: []string{domain.RoleComms}})
	do(t, tm, 1, &domain.RunbookApprove{Proposal: prop.ID})
	twice := do(t, tm, 5, &domain.RunbookApprove{Proposal: prop.ID})
	st = fold(tm.Events)
	rejected(t, st, twice, "bob already approved")
	if p := st.Proposals[prop.ID]; len(p.Approvals) != 1 || p.Approved() {
		t.Fatalf("approvals %v", p.Approvals)
	}
}

func TestFoldRetroTimer(t *testing.T) {
	tm := domaintest.NewTeam(9, 1)
	found(t, tm, quorum1, "triage")
	inc := declare(t, tm, 0, "Key leak")
	do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
	resolved := do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved})
	st := fold(tm.Events)
	id := domain.ID(crypto.Keccak256Hash([]byte("tminus/retro/"), inc.ID[:]))
	timer := st.Timers[id]
	if timer == nil {
		t.Fatalf("no retro timer; timers %v", st.Timers)
	}
	if want := int64(resolved.Time) + domain.RetroWindow.Milliseconds(); timer.Due != want || timer.Label != "Retro due" || timer.Incident != inc.ID {
		t.Fatalf("retro timer %+v, want due %d (72h after resolution)", timer, want)
	}
	if st.Incidents[inc.ID].Reached[domain.StatusResolved] != int64(resolved.Time) {
		t.Fatal("resolution time not recorded")
	}
	// Reopened and resolved again: the first resolution's deadline stands.
	do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusRecovered})
	same := do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusRecovered})
	do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved})
	st = fold(tm.Events)
	rejected(t, st, same, "already recovered")
	if got := st.Timers[id]; got.Due != timer.Due || len(st.Incidents[inc.ID].Timers) != 1 {
		t.Fatalf("second resolution moved the retro: %+v, timers %v", got, st.Incidents[inc.ID].Timers)
	}
	if got := st.Incidents[inc.ID].Reached[domain.StatusResolved]; got != int64(resolved.Time) {
		t.Fatalf("first resolution time overwritten: %d", got)
	}
}

// An equivocating author's events stop counting from the fork's seq on,
// whatever order the events are folded in, on every replica alike.
func TestFoldEquivocation(t *testing.T) {
	tm := domaintest.NewTeam(10, 2)
	found(t, tm, quorum1, "triage")
	add(t, tm, 0, member(tm, 1, "bob", "comms"))
	inc := declare(t, tm, 0, "Governance attack")
	var bobs []*domain.Event
	for i := 0; i < 5; i++ {
		bobs = append(bobs, do(t, tm, 1, &domain.Note{Incident: inc.ID, Text: "bob " + strings.Repeat("!", i)}))
	}
	do(t, tm, 0, &domain.Note{Incident: inc.ID, Text: "alice after"})
	forkAt := bobs[2] // bob's seq 3
	twin, err := tm.Nodes[1].Equivocate(forkAt, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P4"})
	if err != nil {
		t.Fatal(err)
	}
	if twin.Seq != forkAt.Seq || twin.Author != forkAt.Author || twin.ID == forkAt.ID {
		t.Fatal("not an equivocation")
	}
	all := append(append([]*domain.Event(nil), tm.Events...), twin)
	forks := forked(tm.Addr(1), forkAt.Seq)
	want := domain.Fold(all, forks)
	wantHash := stateHash(t, want)
	rng := rand.New(rand.NewSource(10))
	for i := 0; i < 20; i++ {
		order := append([]*domain.Event(nil), all...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		if got := stateHash(t, domain.Fold(order, forks)); got != wantHash {
			t.Fatalf("order %d: hash %s, want %s", i, got, wantHash)
		}
	}
	accepted(t, want, bobs[0], bobs[1])
	for _, e := range append(bobs[2:], twin) {
		rejected(t, want, e, domain.ErrForked.Error()+" at seq 3")
	}
	if st := domain.Fold(all, nil); st.Incidents[inc.ID].Severity != "P4" {
		t.Fatal("control: without the fork the twin would count")
	}
	if want.Incidents[inc.ID].Severity != "P2" || want.Forked[tm.Addr(1)] != 3 {
		t.Fatal("the twin counted")
	}
}

// A drill adds its simulated peers as observers with a writing role. They
// cannot approve roster changes, so they do not raise the roster quorum:
// counted, two of them made a two-person team's quorum 3 with two able to
// approve, and the roster could never change again.
func TestSimulatedPeersDoNotRaiseTheRosterQuorum(t *testing.T) {
	tm := domaintest.NewTeam(9, 5)
	found(t, tm, domain.Policy{}, domain.RoleTriage, domain.RoleContainment)
	do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", domain.RoleContainment)})
	for i, h := range []string{"sim-ops", "sim-oracle"} {
		p := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 2+i, h, domain.RoleObserver, domain.RoleReporter)})
		do(t, tm, 1, &domain.MemberApprove{Proposal: p.ID})
	}
	st := tm.Fold(nil)
	if st.ActiveMembers() != 4 || st.Voters() != 2 || st.RosterQuorum() != 2 {
		t.Fatalf("%d active, %d voters, quorum %d; want 4, 2, 2", st.ActiveMembers(), st.Voters(), st.RosterQuorum())
	}
	carol := do(t, tm, 0, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 4, "carol", domain.RoleComms)})
	do(t, tm, 1, &domain.MemberApprove{Proposal: carol.ID})
	if st = tm.Fold(nil); !st.Roster[carol.ID].Applied {
		t.Errorf("carol not added with both voters' approvals: %+v", st.Roster[carol.ID])
	}
}
