package domain_test

import (
	"math/rand"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// The nodes of a timeline test's team (timelineTeam).
const (
	tlAlice = 0 // founder: containment, triage
	tlBob   = 1 // triage
	tlCarol = 2 // containment
	tlDave  = 3 // comms: may neither approve nor execute a runbook step
	tlZed   = 4 // never a member
)

// timelineTeam founds a workspace whose roster changes need two approvals,
// so that its roster events include accepted member.approve events, and
// admits bob, carol and dave.
func timelineTeam(t *testing.T, seed int64) *domaintest.Team {
	t.Helper()
	tm := domaintest.NewTeam(seed, 5)
	found(t, tm, domain.Policy{RosterQuorum: 2}, domain.RoleContainment, domain.RoleTriage)
	add(t, tm, tlAlice, member(tm, tlBob, "bob", domain.RoleTriage)) // one member: applies at once
	for _, m := range []domain.MemberSpec{
		member(tm, tlCarol, "carol", domain.RoleContainment),
		member(tm, tlDave, "dave", domain.RoleComms),
	} {
		p := add(t, tm, tlAlice, m)
		do(t, tm, tlBob, &domain.MemberApprove{Proposal: p.ID})
	}
	return tm
}

func observe(t *testing.T, tm *domaintest.Team, i int, fp, title, status string) *domain.Event {
	t.Helper()
	return do(t, tm, i, &domain.AlertObserve{Fingerprint: fp, Title: title, Source: "chain", Status: status})
}

// line is a timeline entry as a test expects it: the event it describes,
// who signed it, its kind and its text. Its At is the event's time.
type line struct {
	e    *domain.Event
	by   string
	kind string
	text string
}

// checkTimeline compares a whole timeline with the lines wanted, in order.
func checkTimeline(t *testing.T, got []domain.Entry, want []line) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		if i >= len(got) {
			t.Errorf("entry %d missing: want %s by %s %q", i, want[i].kind, want[i].by, want[i].text)
			continue
		}
		g := got[i]
		if i >= len(want) {
			t.Errorf("entry %d not wanted: %s %s by %s %q", i, g.Event.Short(), g.Kind, g.By, g.Text)
			continue
		}
		w := want[i]
		if g.Event != w.e.ID || g.At != int64(w.e.Time) || g.By != w.by || g.Kind != w.kind || g.Text != w.text {
			t.Errorf("entry %d: %s at %d %s by %s %q\n          want %s at %d %s by %s %q",
				i, g.Event.Short(), g.At, g.Kind, g.By, g.Text, w.e.ID.Short(), w.e.Time, w.kind, w.by, w.text)
		}
	}
}

// timelineOf folds events and describes the incident inc from all of them.
func timelineOf(t *testing.T, events []*domain.Event, inc *domain.Event) (*domain.State, []domain.Entry) {
	t.Helper()
	st := fold(events)
	i := st.Incidents[inc.ID]
	if i == nil {
		t.Fatalf("incident %s not folded: %s", inc.ID.Short(), reason(st, inc.ID))
	}
	return st, st.Timeline(i, events)
}

// A declaration is one entry, "DRILL " before it for a drill, and then one
// "linked alert" entry per alert it names, in the order it names them.
// Observations of those alerts before the declaration show too.
func TestTimelineDeclaration(t *testing.T) {
	cases := []struct {
		name   string
		drill  bool
		alerts bool
		want   []string // the declaration's own entries
	}{
		{"1 real, no alerts", false, false, []string{"declared [P3] Vault drain"}},
		{"2 drill, no alerts", true, false, []string{"DRILL declared [P3] Vault drain"}},
		{"3 real, two alerts", false, true,
			[]string{"declared [P3] Vault drain", "linked alert Oracle stale", "linked alert Paused() on vault"}},
		{"4 drill, two alerts", true, true,
			[]string{"DRILL declared [P3] Vault drain", "linked alert Oracle stale", "linked alert Paused() on vault"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := timelineTeam(t, 11)
			var want []line
			b := &domain.IncidentDeclare{Title: "Vault drain", Severity: "P3", Drill: c.drill}
			if c.alerts {
				vault := observe(t, tm, tlAlice, "fp-vault", "Paused() on vault", domain.AlertFiring)
				oracle := observe(t, tm, tlBob, "fp-oracle", "Oracle stale", domain.AlertFiring)
				want = append(want,
					line{vault, "alice", domain.KindAlertObserve, "FIRING Paused() on vault fp-vault"},
					line{oracle, "bob", domain.KindAlertObserve, "FIRING Oracle stale fp-oracle"})
				b.Alerts = []domain.ID{domain.AlertID("fp-oracle"), domain.AlertID("fp-vault")}
			}
			inc := do(t, tm, tlBob, b)
			for _, text := range c.want {
				want = append(want, line{inc, "bob", domain.KindIncidentDeclare, text})
			}
			st, got := timelineOf(t, tm.Events, inc)
			accepted(t, st, tm.Events...)
			checkTimeline(t, got, want)
		})
	}
}

// Every kind of event an incident's timeline shows, with the text the
// timeline gives it, its signer, kind, time and event.
func TestTimelineEntries(t *testing.T) {
	tm := timelineTeam(t, 12)
	vault := observe(t, tm, tlAlice, "fp-vault", "Paused() on vault", domain.AlertFiring)
	inc := do(t, tm, tlBob, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P3", Alerts: []domain.ID{domain.AlertID("fp-vault")}})
	bridge := observe(t, tm, tlAlice, "fp-bridge", "Bridge halted", domain.AlertFiring)
	link := do(t, tm, tlCarol, &domain.IncidentLink{Incident: inc.ID, Alert: domain.AlertID("fp-bridge")})
	ack := do(t, tm, tlCarol, &domain.AlertAck{Alert: domain.AlertID("fp-vault")})
	sev1 := do(t, tm, tlAlice, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P1"})
	sev2 := do(t, tm, tlBob, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"})
	triaged := do(t, tm, tlBob, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	contained := do(t, tm, tlCarol, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
	assign := do(t, tm, tlAlice, &domain.IncidentAssign{Incident: inc.ID, Role: domain.RoleContainment, Member: "carol"})
	task := do(t, tm, tlAlice, &domain.TaskAdd{Incident: inc.ID, Title: "freeze treasury"})
	taskAssign := do(t, tm, tlBob, &domain.TaskAssign{Task: task.ID, Owner: "dave"})
	taskDone := do(t, tm, tlDave, &domain.TaskDone{Task: task.ID})
	note := do(t, tm, tlDave, &domain.Note{Incident: inc.ID, Text: "looking at the <logs> & traces"})
	timer := do(t, tm, tlAlice, &domain.TimerSet{Incident: inc.ID, Label: "status update", Due: domaintest.Epoch + 1800_000})
	met := do(t, tm, tlBob, &domain.TimerDone{Timer: timer.ID})
	sum := domain.CommandHash("trace")
	evidence := do(t, tm, tlCarol, &domain.EvidenceAdd{Incident: inc.ID, Name: "trace.json", SHA256: sum, Size: 5})
	cmd := "cast send 0xvault 'pause()'"
	propose := do(t, tm, tlAlice, &domain.RunbookPropose{Incident: inc.ID, Runbook: "contract-pause", RunbookHash: domain.CommandHash("rb"),
		Step: 2, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 3,
		Approvers: []string{domain.RoleContainment, domain.RoleTriage}})
	bobApproves := do(t, tm, tlBob, &domain.RunbookApprove{Proposal: propose.ID})
	carolApproves := do(t, tm, tlCarol, &domain.RunbookApprove{Proposal: propose.ID})
	out := domain.CommandHash("paused")
	exec := do(t, tm, tlAlice, &domain.RunbookExec{Proposal: propose.ID, ExitCode: 1, DurationMs: 1200, Output: out, OutputSize: 12})
	calm := observe(t, tm, tlBob, "fp-vault", "Paused() on vault", domain.AlertResolved)
	resolved := do(t, tm, tlCarol, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved})
	// The retro timer has no timer.set of its own: the resolution sets it.
	retro := domain.ID(crypto.Keccak256Hash([]byte("tminus/retro/"), inc.ID[:]))
	retroMet := do(t, tm, tlBob, &domain.TimerDone{Timer: retro})

	st, got := timelineOf(t, tm.Events, inc)
	accepted(t, st, tm.Events...)
	checkTimeline(t, got, []line{
		{vault, "alice", domain.KindAlertObserve, "FIRING Paused() on vault fp-vault"},
		{inc, "bob", domain.KindIncidentDeclare, "declared [P3] Vault drain"},
		{inc, "bob", domain.KindIncidentDeclare, "linked alert Paused() on vault"},
		{bridge, "alice", domain.KindAlertObserve, "FIRING Bridge halted fp-bridge"},
		{link, "carol", domain.KindIncidentLink, "linked alert Bridge halted"},
		{ack, "carol", domain.KindAlertAck, "acknowledged Paused() on vault"},
		{sev1, "alice", domain.KindIncidentSev, "severity P3 -> P1"},
		{sev2, "bob", domain.KindIncidentSev, "severity P1 -> P2"},
		{triaged, "bob", domain.KindIncidentStatus, "status declared -> triaged"},
		{contained, "carol", domain.KindIncidentStatus, "status triaged -> contained"},
		{assign, "alice", domain.KindIncidentAssign, "containment lead: carol"},
		{task, "alice", domain.KindTaskAdd, "task: freeze treasury"},
		{taskAssign, "bob", domain.KindTaskAssign, `task "freeze treasury" -> dave`},
		{taskDone, "dave", domain.KindTaskDone, "done: freeze treasury"},
		{note, "dave", domain.KindNote, "looking at the <logs> & traces"},
		{timer, "alice", domain.KindTimerSet, "timer: status update"},
		{met, "bob", domain.KindTimerDone, "met: status update"},
		{evidence, "carol", domain.KindEvidenceAdd, "evidence trace.json sha256 " + sum[:12]},
		{propose, "alice", domain.KindRunbookPropose, "proposed contract-pause step 2: " + cmd},
		{bobApproves, "bob", domain.KindRunbookApprove, "approved contract-pause step 2 (2/3)"}, // alice's proposal counts once
		{carolApproves, "carol", domain.KindRunbookApprove, "approved contract-pause step 2 (3/3)"},
		{exec, "alice", domain.KindRunbookExec, "executed contract-pause step 2: exit 1 in 1200ms, output sha256 " + out[:12]},
		{calm, "bob", domain.KindAlertObserve, "RESOLVED Paused() on vault fp-vault"},
		{resolved, "carol", domain.KindIncidentStatus, "status contained -> resolved"},
		{retroMet, "bob", domain.KindTimerDone, "met: Retro due"},
	})
}

// A runbook approval's "(n/q)" is its place among the approvals in fold
// order, whichever order two concurrent approvals were delivered in.
func TestTimelineApprovalOrder(t *testing.T) {
	firsts := map[string]bool{}
	for _, seed := range []int64{13, 14, 15, 16, 17, 18} {
		tm := timelineTeam(t, seed)
		inc := declare(t, tm, tlAlice, "Bridge halted")
		cmd := "cast send 0xbridge 'pause()'"
		// dave holds no approving role: his proposal starts at 0 approvals.
		propose := do(t, tm, tlDave, &domain.RunbookPropose{Incident: inc.ID, Runbook: "contract-pause", RunbookHash: domain.CommandHash("rb"),
			Step: 1, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 2,
			Approvers: []string{domain.RoleContainment, domain.RoleTriage}})
		bobApproves := do(t, tm, tlBob, &domain.RunbookApprove{Proposal: propose.ID})
		tm.Events = tm.Events[:len(tm.Events)-1] // carol has not seen bob's approval
		carolApproves := do(t, tm, tlCarol, &domain.RunbookApprove{Proposal: propose.ID})
		tm.Events = append(tm.Events, bobApproves) // delivered after carol's
		exec := do(t, tm, tlAlice, &domain.RunbookExec{Proposal: propose.ID, Output: domain.CommandHash("out")})

		first, second := bobApproves, carolApproves
		if carolApproves.Key().Less(bobApproves.Key()) {
			first, second = carolApproves, bobApproves
		}
		delivered := tm.Events
		folded := append([]*domain.Event(nil), delivered...)
		sortByKey(folded)
		st := fold(delivered)
		accepted(t, st, folded...)
		firstBy, secondBy := st.Handle(first.Author), st.Handle(second.Author)
		firsts[firstBy] = true
		if p := st.Proposals[propose.ID]; len(p.Approvals) != 2 || p.Approvals[0] != firstBy || p.Approvals[1] != secondBy {
			t.Fatalf("seed %d: approvals %v, want [%s %s] (fold order)", seed, p.Approvals, firstBy, secondBy)
		}
		var want []line
		for _, e := range folded {
			switch e {
			case inc:
				want = append(want, line{e, "alice", domain.KindIncidentDeclare, "declared [P2] Bridge halted"})
			case propose:
				want = append(want, line{e, "dave", domain.KindRunbookPropose, "proposed contract-pause step 1: " + cmd})
			case first:
				want = append(want, line{e, firstBy, domain.KindRunbookApprove, "approved contract-pause step 1 (1/2)"})
			case second:
				want = append(want, line{e, secondBy, domain.KindRunbookApprove, "approved contract-pause step 1 (2/2)"})
			case exec:
				want = append(want, line{e, "alice", domain.KindRunbookExec,
					"executed contract-pause step 1: exit 0 in 0ms, output sha256 " + domain.CommandHash("out")[:12]})
			}
		}
		checkTimeline(t, st.Timeline(st.Incidents[inc.ID], folded), want)
	}
	if !firsts["bob"] || !firsts["carol"] {
		t.Fatalf("the seeds never folded %v's approval second: pick other seeds", firsts)
	}
}

// A timeline shows only events the fold applied, about the incident's
// subjects, up to the state's last event, with their bodies: callers may
// pass more than that.
func TestTimelineSkips(t *testing.T) {
	tm := timelineTeam(t, 19) // its genesis and roster events belong to no incident
	inc := declare(t, tm, tlAlice, "Vault drain")
	other := declare(t, tm, tlBob, "Oracle stale")
	otherNote := do(t, tm, tlBob, &domain.Note{Incident: other.ID, Text: "about the oracle"})
	otherTask := do(t, tm, tlBob, &domain.TaskAdd{Incident: other.ID, Title: "restart the feeder"})
	otherDone := do(t, tm, tlCarol, &domain.TaskDone{Task: otherTask.ID})
	otherAlert := observe(t, tm, tlAlice, "fp-oracle", "Oracle stale", domain.AlertFiring)
	otherLink := do(t, tm, tlBob, &domain.IncidentLink{Incident: other.ID, Alert: domain.AlertID("fp-oracle")})
	otherAck := do(t, tm, tlCarol, &domain.AlertAck{Alert: domain.AlertID("fp-oracle")})
	unlinked := observe(t, tm, tlAlice, "fp-lone", "Disk full", domain.AlertFiring)
	stranger := do(t, tm, tlZed, &domain.Note{Incident: inc.ID, Text: "I am not on the roster"})
	task := do(t, tm, tlAlice, &domain.TaskAdd{Incident: inc.ID, Title: "freeze treasury"})
	done := do(t, tm, tlBob, &domain.TaskDone{Task: task.ID})
	doneAgain := do(t, tm, tlCarol, &domain.TaskDone{Task: task.ID})
	sameSeverity := do(t, tm, tlBob, &domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"})
	secret := do(t, tm, tlCarol, &domain.Note{Incident: inc.ID, Text: "the seed phrase is ..."})
	kept := do(t, tm, tlBob, &domain.Note{Incident: inc.ID, Text: "kept"})
	st := fold(tm.Events)
	late := do(t, tm, tlDave, &domain.Note{Incident: inc.ID, Text: "after the fold"})
	lateStatus := do(t, tm, tlBob, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})

	rejected(t, st, stranger, "is not a member")
	rejected(t, st, doneAgain, "already done")
	rejected(t, st, sameSeverity, "already P2")
	accepted(t, st, secret, otherNote, otherDone, otherAck, unlinked)
	redacted, err := secret.Redact()
	if err != nil {
		t.Fatal(err)
	}
	var events []*domain.Event // the store's copy: the secret note redacted since
	for _, e := range tm.Events {
		if e == secret {
			e = redacted
		}
		events = append(events, e)
	}
	got := st.Timeline(st.Incidents[inc.ID], events)
	checkTimeline(t, got, []line{
		{inc, "alice", domain.KindIncidentDeclare, "declared [P2] Vault drain"},
		{task, "alice", domain.KindTaskAdd, "task: freeze treasury"},
		{done, "bob", domain.KindTaskDone, "done: freeze treasury"},
		{kept, "bob", domain.KindNote, "kept"},
	})

	skipped := []struct {
		why string
		e   *domain.Event
	}{
		{"genesis", tm.Events[0]},
		{"roster proposal", tm.Events[1]},
		{"roster approval", tm.Events[3]},
		{"another incident's declaration", other},
		{"another incident's note", otherNote},
		{"another incident's task", otherTask},
		{"another incident's task done", otherDone},
		{"another incident's alert", otherAlert},
		{"another incident's link", otherLink},
		{"another incident's alert ack", otherAck},
		{"an alert linked to no incident", unlinked},
		{"rejected: a note by a non-member", stranger},
		{"rejected: a task done twice", doneAgain},
		{"rejected: the severity it already has", sameSeverity},
		{"redacted", secret},
		{"folded after the state's last event", late},
		{"a status change after the state's last event", lateStatus},
	}
	for _, s := range skipped {
		for _, g := range got {
			if g.Event == s.e.ID {
				t.Errorf("%s: shown as %s by %s %q", s.why, g.Kind, g.By, g.Text)
			}
		}
	}
	if !st.Last.Less(late.Key()) || st.Last != kept.Key() {
		t.Fatal("the late events are not after the state's last event")
	}
	if roster := tm.Events[3]; roster.Kind != domain.KindMemberApprove || reason(st, roster.ID) != "" {
		t.Fatalf("event 3 is %s (%s), want an accepted member.approve", roster.Kind, reason(st, roster.ID))
	}
}

// Every observation of an alert linked to the incident shows, those
// before the link included: they are how the incident began. Before the
// link, the alert is not the incident's and none of them shows.
func TestTimelineAlertBeforeLink(t *testing.T) {
	tm := timelineTeam(t, 20)
	inc := declare(t, tm, tlAlice, "Vault drain")
	firing := observe(t, tm, tlAlice, "fp-vault", "Paused() on vault", domain.AlertFiring)
	ack := do(t, tm, tlCarol, &domain.AlertAck{Alert: domain.AlertID("fp-vault")})
	observe(t, tm, tlAlice, "fp-lone", "Disk full", domain.AlertFiring)
	before := len(tm.Events)
	link := do(t, tm, tlBob, &domain.IncidentLink{Incident: inc.ID, Alert: domain.AlertID("fp-vault")})
	calm := observe(t, tm, tlBob, "fp-vault", "Paused() on vault", domain.AlertResolved)

	_, got := timelineOf(t, tm.Events[:before], inc)
	checkTimeline(t, got, []line{{inc, "alice", domain.KindIncidentDeclare, "declared [P2] Vault drain"}})

	st, got := timelineOf(t, tm.Events, inc)
	accepted(t, st, tm.Events...)
	checkTimeline(t, got, []line{
		{inc, "alice", domain.KindIncidentDeclare, "declared [P2] Vault drain"},
		{firing, "alice", domain.KindAlertObserve, "FIRING Paused() on vault fp-vault"},
		{ack, "carol", domain.KindAlertAck, "acknowledged Paused() on vault"},
		{link, "bob", domain.KindIncidentLink, "linked alert Paused() on vault"},
		{calm, "bob", domain.KindAlertObserve, "RESOLVED Paused() on vault fp-vault"},
	})
}

// Subject is what the store indexes an event by: every kind's, from its
// body, and zero for a redacted event whatever its kind.
func TestSubject(t *testing.T) {
	tm := domaintest.NewTeam(21, 2)
	inc, task, timer, proposal, roster := domain.ID{1}, domain.ID{2}, domain.ID{3}, domain.ID{4}, domain.ID{5}
	alert := domain.AlertID("fp-vault")
	cmd := "cast send 0xvault 'pause()'"
	out := domain.CommandHash("out")
	pa := &domain.ProofAdd{ProofKind: "ssh", PublicKey: "ssh-ed25519 AAAA", Statement: "statement", Signature: "signature"}
	cases := []struct {
		body domain.Body
		own  bool // the event's own id: a declaration founds its incident
		want domain.ID
	}{
		// The genesis first: the team's node takes its workspace from it.
		{&domain.Genesis{Name: "acme", Founder: member(tm, 0, "alice", domain.RoleTriage)}, false, domain.ID{}},
		{&domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", domain.RoleTriage)}, false, domain.ID{}},
		{&domain.MemberApprove{Proposal: roster}, false, domain.ID{}},
		{&domain.AlertObserve{Fingerprint: "fp-vault", Title: "Paused()", Status: domain.AlertFiring}, false, alert},
		{&domain.AlertAck{Alert: alert}, false, alert},
		{&domain.IncidentDeclare{Title: "Vault drain", Severity: "P1", Alerts: []domain.ID{alert}}, true, domain.ID{}},
		{&domain.IncidentSeverity{Incident: inc, Severity: "P2"}, false, inc},
		{&domain.IncidentStatus{Incident: inc, Status: domain.StatusTriaged}, false, inc},
		{&domain.IncidentAssign{Incident: inc, Role: domain.RoleTriage, Member: "alice"}, false, inc},
		{&domain.IncidentLink{Incident: inc, Alert: alert}, false, inc},
		{&domain.TaskAdd{Incident: inc, Title: "freeze treasury"}, false, inc},
		{&domain.TaskDone{Task: task}, false, task},
		{&domain.TaskAssign{Task: task, Owner: "alice"}, false, task},
		{&domain.TaskReopen{Task: task}, false, task},
		{&domain.Note{Incident: inc, Text: "looking"}, false, inc},
		{&domain.TimerSet{Incident: inc, Label: "status update", Due: domaintest.Epoch}, false, inc},
		{&domain.TimerDone{Timer: timer}, false, timer},
		{&domain.EvidenceAdd{Incident: inc, Name: "trace.json", SHA256: out}, false, inc},
		{&domain.RunbookPropose{Incident: inc, Runbook: "contract-pause", RunbookHash: out, Step: 1, Command: cmd,
			CommandHash: domain.CommandHash(cmd), Risk: domain.RiskLow}, false, inc},
		{&domain.RunbookApprove{Proposal: proposal}, false, proposal},
		{&domain.RunbookExec{Proposal: proposal, Output: out}, false, proposal},
		// Identity belongs to the roster, no incident.
		{pa, false, domain.ID{}},
		{&domain.ProofRevoke{Proof: proposal}, false, domain.ID{}},
		{&domain.KeyRotate{New: tm.Addr(1), Endorsement: *pa}, false, domain.ID{}},
		{&domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleTriage, MinProofs: 2}, false, domain.ID{}},
	}
	cases = append(cases, onChainSubjectCases(t, inc)...)
	covered := map[string]bool{}
	for _, c := range cases {
		kind := c.body.Kind()
		covered[kind] = true
		e := do(t, tm, 0, c.body)
		want := c.want
		if c.own {
			want = e.ID
		}
		if got := domain.Subject(e.ID, c.body); got != want {
			t.Errorf("%s: Subject %s, want %s", kind, got.Short(), want.Short())
		}
		if got, err := e.Subject(); err != nil || got != want {
			t.Errorf("%s: Event.Subject %s, %v, want %s", kind, got.Short(), err, want.Short())
		}
		if _, err := e.CheckBody(); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got, err := e.Subject(); err != nil || got != want {
			t.Errorf("%s: Event.Subject of the checked body %s, %v, want %s", kind, got.Short(), err, want.Short())
		}
		r, err := e.Redact()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Subject(); err != nil || !got.IsZero() {
			t.Errorf("%s redacted: Event.Subject %s, %v, want zero", kind, got.Short(), err)
		}
	}
	for _, k := range domain.Kinds() {
		if !covered[k] {
			t.Errorf("kind %s has no Subject case", k)
		}
	}
}

// The state's Chain digests every folded event's id in fold order, so
// replicas agree on it in whatever order events arrive, and two event
// sets that differ only in what the state does not keep (a note's text)
// still hash apart.
func TestChain(t *testing.T) {
	tm := timelineTeam(t, 22)
	inc := declare(t, tm, tlAlice, "Vault drain")
	do(t, tm, tlBob, &domain.Note{Incident: inc.ID, Text: "looking"})
	do(t, tm, tlZed, &domain.Note{Incident: inc.ID, Text: "rejected, and chained all the same"})
	do(t, tm, tlCarol, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	want := fold(tm.Events)
	wantHash := stateHash(t, want)
	sorted := append([]*domain.Event(nil), tm.Events...)
	sortByKey(sorted)
	var chain domain.ID
	for _, e := range sorted {
		chain = domain.ID(crypto.Keccak256Hash(chain[:], e.ID[:]))
	}
	if want.Chain != chain {
		t.Fatalf("chain %s, want keccak256 chained over the ids in fold order %s", want.Chain.Short(), chain.Short())
	}
	reversed := make([]*domain.Event, len(tm.Events))
	for i, e := range tm.Events {
		reversed[len(reversed)-1-i] = e
	}
	rng := rand.New(rand.NewSource(22))
	for name, order := range map[string][]*domain.Event{
		"reversed": reversed, "shuffled": shuffled(rng, tm.Events), "shuffled again": shuffled(rng, tm.Events),
	} {
		st := fold(order)
		if st.Chain != want.Chain || stateHash(t, st) != wantHash {
			t.Errorf("%s: chain %s hash %s, want %s %s", name, st.Chain.Short(), stateHash(t, st), want.Chain.Short(), wantHash)
		}
	}

	// Two sets alike but for one note's text. Alice writes the last events
	// without having seen bob's note, so both sets end on the same event.
	withNote := func(text string) *domain.State {
		tm := timelineTeam(t, 23)
		inc := declare(t, tm, tlAlice, "Vault drain")
		bobs := do(t, tm, tlBob, &domain.Note{Incident: inc.ID, Text: text})
		tm.Events = tm.Events[:len(tm.Events)-1]
		do(t, tm, tlAlice, &domain.Note{Incident: inc.ID, Text: "alice, not having seen it"})
		do(t, tm, tlAlice, &domain.Note{Incident: inc.ID, Text: "alice again"})
		st := fold(append(tm.Events, bobs))
		accepted(t, st, bobs)
		return st
	}
	a, b := withNote("the vault is paused"), withNote("the vault is NOT paused")
	if a.Count != b.Count || a.Last != b.Last {
		t.Fatalf("the sets differ in more than the note: count %d and %d, last %v and %v", a.Count, b.Count, a.Last, b.Last)
	}
	if a.Chain == b.Chain || stateHash(t, a) == stateHash(t, b) {
		t.Errorf("a note's text changed neither chain (%s) nor hash (%s)", a.Chain.Short(), stateHash(t, a))
	}
	a.Chain, b.Chain = domain.ID{}, domain.ID{}
	if stateHash(t, a) != stateHash(t, b) {
		t.Error("the states differ beyond their chains: this case no longer isolates the chain")
	}
}

// Who first reached a status and who first acknowledged the incident are
// the signers of those events, as the timeline shows them.
func TestReachedByAndAckedBy(t *testing.T) {
	tm := timelineTeam(t, 24)
	observe(t, tm, tlAlice, "fp-vault", "Paused() on vault", domain.AlertFiring)
	inc := do(t, tm, tlAlice, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P2", Alerts: []domain.ID{domain.AlertID("fp-vault")}})
	do(t, tm, tlDave, &domain.Note{Incident: inc.ID, Text: "notes do not acknowledge"})
	ack := do(t, tm, tlCarol, &domain.AlertAck{Alert: domain.AlertID("fp-vault")})
	triaged := do(t, tm, tlBob, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged})
	contained := do(t, tm, tlCarol, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
	do(t, tm, tlAlice, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusTriaged}) // reached again, not first
	resolved := do(t, tm, tlBob, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusResolved})
	st, got := timelineOf(t, tm.Events, inc)
	accepted(t, st, tm.Events...)
	i := st.Incidents[inc.ID]
	shown := func(e *domain.Event) domain.Entry {
		t.Helper()
		for _, g := range got {
			if g.Event == e.ID {
				return g
			}
		}
		t.Fatalf("%s %s not in the timeline", e.Kind, e.ID.Short())
		return domain.Entry{}
	}

	cases := []struct {
		status string
		e      *domain.Event // the event that first reached it; nil for none
		text   string
	}{
		{domain.StatusDeclared, nil, ""}, // reached by the declaration, not by a status change
		{domain.StatusTriaged, triaged, "status declared -> triaged"},
		{domain.StatusContained, contained, "status triaged -> contained"},
		{domain.StatusRecovered, nil, ""},
		{domain.StatusResolved, resolved, "status triaged -> resolved"},
	}
	for _, c := range cases {
		at, by := domain.Reached(st, i, c.status)
		if c.e == nil {
			if by != "" {
				t.Errorf("%s: reached by %q, want nobody", c.status, by)
			}
			continue
		}
		g := shown(c.e)
		if by != g.By || at != g.At || i.Reached[c.status] != g.At || g.Text != c.text {
			t.Errorf("%s: reached by %q at %d; timeline %s at %d %q", c.status, by, i.Reached[c.status], g.By, g.At, g.Text)
		}
	}
	if i.Reached[domain.StatusDeclared] != int64(inc.Time) {
		t.Errorf("declared reached at %d, want the declaration's %d", i.Reached[domain.StatusDeclared], inc.Time)
	}
	if g := shown(ack); i.AckedBy != "carol" || i.AckedBy != g.By || i.AckedAt != g.At {
		t.Errorf("acknowledged by %q at %d; timeline %s at %d %q", i.AckedBy, i.AckedAt, g.By, g.At, g.Text)
	}
}
