package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/safe"
	"golang.org/x/crypto/ssh"
)

// identityOnly keeps the events of the kinds that decide who may write.
func identityOnly(events []*domain.Event) []*domain.Event {
	var out []*domain.Event
	for _, e := range events {
		if slices.Contains(domain.IdentityKinds, e.Kind) {
			out = append(out, e)
		}
	}
	return out
}

// sameStanding fails when the full fold and the identity-only fold answer
// MayWrite differently for key.
func sameStanding(t *testing.T, full, ident *domain.State, key common.Address, where string) {
	t.Helper()
	a, b := full.MayWrite(key), ident.MayWrite(key)
	if (a == nil) != (b == nil) || (a != nil && a.Error() != b.Error()) {
		t.Errorf("%s, %s: full fold says %v, identity fold says %v", where, key.Hex()[:10], a, b)
	}
}

// Each reason a key cannot write has its own message, and the identity
// kinds alone reach the same verdict as the whole log.
func TestMayWrite(t *testing.T) {
	tm := domaintest.NewTeam(5, 7)
	const (
		alice, bob, carol, dave, erin, aliceNew, stranger = 0, 1, 2, 3, 4, 5, 6
	)
	g := do(t, tm, alice, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1},
		Founder: member(tm, alice, "alice", domain.RoleContainment, domain.RoleTriage)})
	for _, m := range []domain.MemberSpec{
		member(tm, bob, "bob", domain.RoleContainment),
		member(tm, carol, "carol", domain.RoleTriage),
		member(tm, dave, "dave", domain.RoleObserver),
		member(tm, erin, "erin", domain.RoleComms),
	} {
		do(t, tm, alice, &domain.MemberPropose{Action: domain.ActionAdd, Member: m})
	}
	inc := do(t, tm, bob, &domain.IncidentDeclare{Title: "drain", Severity: "P1"})
	do(t, tm, carol, &domain.Note{Incident: inc.ID, Text: "before the removal"})
	do(t, tm, alice, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "carol"}})
	key := domaintest.SSHKey("alice")
	epoch := time.UnixMilli(domaintest.Epoch).UTC()
	own, err := domaintest.KeyProof(key, g.ID, tm.Addr(alice), epoch, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	do(t, tm, alice, own)
	endorse, err := domaintest.KeyProof(key, g.ID, tm.Addr(aliceNew), epoch, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	do(t, tm, alice, &domain.KeyRotate{New: tm.Addr(aliceNew), Endorsement: *endorse})
	for i := 0; i < 3; i++ {
		do(t, tm, erin, &domain.Note{Incident: inc.ID, Text: "erin's notes"})
	}
	forks := map[common.Address]uint64{tm.Addr(erin): 2}

	full, ident := tm.Fold(forks), domain.Fold(identityOnly(tm.Events), forks)
	for _, c := range []struct {
		who  int
		want string // "" = may write
	}{
		{bob, ""},
		{aliceNew, ""},
		{alice, "old key, replaced by " + tm.Addr(aliceNew).Hex()},
		{carol, "carol was removed from this workspace"},
		{dave, "dave is an observer"},
		{erin, "signed two events at seq 2"},
		{stranger, "is not a member of this workspace"},
	} {
		err := full.MayWrite(tm.Addr(c.who))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("node %d: %v, want allowed", c.who, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, domain.ErrCannotWrite)):
			t.Errorf("node %d: %v, want %q", c.who, err, c.want)
		}
		sameStanding(t, full, ident, tm.Addr(c.who), "scenario")
	}
}

// In random histories the identity fold agrees with the whole log at every
// point, for every author: no other kind changes who may write.
func TestMayWriteFromIdentityKindsAlone(t *testing.T) {
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		for n := 1; n <= len(h.Events); n += 1 + n/4 {
			prefix := h.Events[:n]
			full, ident := fold(prefix), fold(identityOnly(prefix))
			for _, node := range h.Nodes {
				sameStanding(t, full, ident, node.Address(), fmt.Sprintf("seed %d, %d events", seed, n))
			}
		}
	}
}

// The nodes of the check scene.
const (
	nAlice, nBob, nCarol, nDave, nErin, nSim, nStranger, nFrank, nGina, nHank, nIvy, nJay = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
)

// checkScene is a workspace with something for each fold rule to refuse:
// alice (containment, triage, founder), bob (containment), carol
// (triage), dave (comms, whose approvals need 2 proofs), erin (observer),
// sim (observer and reporter: a drill's simulated peer), ivy (reporter),
// frank (removed). Roster quorum 2.
type checkScene struct {
	tm                                     *domaintest.Team
	ws, inc, drill, alert                  domain.ID
	applied, void, gina                    domain.ID // roster proposals
	doneTask, openTask, metTimer, openTime domain.ID
	executed, pending                      domain.ID // runbook proposals
	safe                                   *domain.Event
}

func newCheckScene(t *testing.T) *checkScene {
	t.Helper()
	tm := domaintest.NewTeam(41, 12)
	sc := &checkScene{tm: tm}
	sc.ws = do(t, tm, nAlice, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 2},
		Founder: member(tm, nAlice, "alice", domain.RoleContainment, domain.RoleTriage)}).ID
	// With one member the quorum is capped at 1; from bob on, bob approves.
	join := func(spec domain.MemberSpec) domain.ID {
		p := do(t, tm, nAlice, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec})
		if !tm.Fold(nil).Roster[p.ID].Applied {
			do(t, tm, nBob, &domain.MemberApprove{Proposal: p.ID})
		}
		return p.ID
	}
	join(member(tm, nBob, "bob", domain.RoleContainment))
	sc.applied = join(member(tm, nCarol, "carol", domain.RoleTriage))
	join(member(tm, nDave, "dave", domain.RoleComms))
	join(member(tm, nErin, "erin", domain.RoleObserver))
	join(member(tm, nSim, "sim", domain.RoleObserver, domain.RoleReporter))
	join(member(tm, nIvy, "ivy", domain.RoleReporter))
	join(member(tm, nFrank, "frank", domain.RoleReporter))
	rm := do(t, tm, nAlice, &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "frank"}})
	do(t, tm, nBob, &domain.MemberApprove{Proposal: rm.ID})
	policy := do(t, tm, nAlice, &domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleComms, MinProofs: 2})
	do(t, tm, nBob, &domain.MemberApprove{Proposal: policy.ID})
	// Two proposals for hank's key: the first applies, the second is void.
	first := do(t, tm, nAlice, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, nHank, "hank", domain.RoleReporter)})
	sc.void = do(t, tm, nBob, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, nHank, "hank2", domain.RoleReporter)}).ID
	do(t, tm, nCarol, &domain.MemberApprove{Proposal: first.ID})
	do(t, tm, nCarol, &domain.MemberApprove{Proposal: sc.void})
	sc.gina = do(t, tm, nAlice, &domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, nGina, "gina", domain.RoleReporter)}).ID

	sc.inc = do(t, tm, nBob, &domain.IncidentDeclare{Title: "drain", Severity: "P1"}).ID
	do(t, tm, nAlice, &domain.IncidentStatus{Incident: sc.inc, Status: domain.StatusTriaged})
	sc.drill = do(t, tm, nAlice, &domain.IncidentDeclare{Title: "game day", Severity: "P3", Drill: true}).ID
	do(t, tm, nAlice, &domain.AlertObserve{Fingerprint: "vault", Title: "Vault outflow", Source: "chain", Status: domain.AlertFiring})
	sc.alert = domain.AlertID("vault")
	do(t, tm, nBob, &domain.AlertAck{Alert: sc.alert})
	sc.doneTask = do(t, tm, nAlice, &domain.TaskAdd{Incident: sc.inc, Title: "snapshot"}).ID
	do(t, tm, nBob, &domain.TaskDone{Task: sc.doneTask})
	sc.openTask = do(t, tm, nAlice, &domain.TaskAdd{Incident: sc.inc, Title: "rotate"}).ID
	sc.metTimer = do(t, tm, nAlice, &domain.TimerSet{Incident: sc.inc, Label: "check", Due: tm.Clock + 60_000}).ID
	do(t, tm, nAlice, &domain.TimerDone{Timer: sc.metTimer})
	sc.openTime = do(t, tm, nAlice, &domain.TimerSet{Incident: sc.inc, Label: "update", Due: tm.Clock + 60_000}).ID
	propose := func(by, quorum int) domain.ID {
		cmd := fmt.Sprintf("cast send 0xvault 'pause()' # %d", len(tm.Events))
		return do(t, tm, by, &domain.RunbookPropose{Incident: sc.inc, Runbook: "contract-pause", RunbookHash: domain.CommandHash("rb"),
			Step: 1, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: quorum,
			Approvers: []string{domain.RoleContainment, domain.RoleTriage}}).ID
	}
	sc.executed = propose(nAlice, 1)
	do(t, tm, nAlice, &domain.RunbookExec{Proposal: sc.executed, Output: domain.CommandHash("paused")})
	sc.pending = propose(nCarol, 2)
	sc.safe = do(t, tm, nBob, proposeBody(sc.inc, safeTx(t, 1337, 0, safe.Call)))
	if st := tm.Fold(nil); len(st.Rejected) != 0 {
		t.Fatalf("the scene has rejected events: %+v", st.Rejected)
	}
	return sc
}

// CheckBody refuses, before signing, each event the fold would refuse,
// with the fold's reason; the fold, given the same event, refuses it for
// that reason; and what the fold accepts CheckBody lets through.
func TestCheckBodyForesees(t *testing.T) {
	var (
		notMember = domaintest.SSHKey("not-a-member")
		rotate    = func(sc *checkScene, to common.Address) domain.Body {
			end, err := domaintest.KeyProof(domaintest.SSHKey("alice"), sc.ws, to, epoch, 30*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return &domain.KeyRotate{New: to, Endorsement: *end}
		}
		ownProof = func(sc *checkScene, i int, key ssh.Signer) domain.Body {
			b, err := domaintest.KeyProof(key, sc.ws, sc.tm.Addr(i), epoch, 30*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	)
	for _, c := range []struct {
		name string
		who  int
		body func(sc *checkScene) domain.Body
		want string // "" = accepted; else in both reasons
		fold string // the fold's reason when it words it otherwise
	}{
		// Standing.
		{"stranger", nStranger, func(sc *checkScene) domain.Body { return &domain.Note{Incident: sc.inc, Text: "hi"} }, "is not a member", ""},
		{"removed member", nFrank, func(sc *checkScene) domain.Body { return &domain.Note{Incident: sc.inc, Text: "hi"} }, "frank was removed", "is not a member"},
		{"observer", nErin, func(sc *checkScene) domain.Body { return &domain.Note{Incident: sc.inc, Text: "hi"} }, "erin is an observer", ""},
		{"drill peer on a real incident", nSim, func(sc *checkScene) domain.Body { return &domain.Note{Incident: sc.inc, Text: "hi"} }, "may write only on drill incidents", ""},
		{"drill peer on its drill", nSim, func(sc *checkScene) domain.Body { return &domain.Note{Incident: sc.drill, Text: "hi"} }, "", ""},
		{"drill peer's other kinds", nSim, func(sc *checkScene) domain.Body { return &domain.TimerSet{Incident: sc.drill, Label: "x", Due: 1} }, "it may not write timer.set", ""},
		// Roster.
		{"add an active member's key", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: sc.tm.Addr(nBob), Handle: "bobby", Roles: []string{domain.RoleReporter}}}
		}, "is already a key of bob", ""},
		{"add a new member without a role", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: sc.tm.Addr(nJay), Handle: "jay"}}
		}, "needs at least one role", ""},
		{"add a new member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionAdd, Member: member(sc.tm, nJay, "jay", domain.RoleReporter)}
		}, "", ""},
		{"add a device to a member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: sc.tm.Addr(nJay), Handle: "bob"}}
		}, "", ""},
		{"remove a non-member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "frank"}}
		}, "frank is not a member", ""},
		{"remove a member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "ivy"}}
		}, "", ""},
		{"approve an applied proposal", nCarol, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: sc.applied} }, "already applied", ""},
		{"approve a void proposal", nAlice, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: sc.void} }, "is void: key already belongs to hank", ""},
		{"approve twice", nAlice, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: sc.gina} }, "alice already approved roster proposal", ""},
		{"approve an unknown proposal", nAlice, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: domain.ID{9}} }, "not found", ""},
		{"approve below the proof policy", nDave, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: sc.gina} },
			"dave's approval would not count: role comms needs 2 proofs", "dave's approval does not count: role comms needs 2 proofs"},
		{"approve a pending proposal", nCarol, func(sc *checkScene) domain.Body { return &domain.MemberApprove{Proposal: sc.gina} }, "", ""},
		// Alerts.
		{"ack twice", nBob, func(sc *checkScene) domain.Body { return &domain.AlertAck{Alert: sc.alert} }, "bob already acknowledged alert", ""},
		{"ack an unknown alert", nBob, func(sc *checkScene) domain.Body { return &domain.AlertAck{Alert: domain.AlertID("nope")} }, "not found", ""},
		{"ack", nCarol, func(sc *checkScene) domain.Body { return &domain.AlertAck{Alert: sc.alert} }, "", ""},
		{"link an unknown alert", nAlice, func(sc *checkScene) domain.Body {
			return &domain.IncidentLink{Incident: sc.inc, Alert: domain.AlertID("nope")}
		}, "not found", ""},
		{"declare from an unknown alert", nAlice, func(sc *checkScene) domain.Body {
			return &domain.IncidentDeclare{Title: "x", Severity: "P2", Alerts: []domain.ID{domain.AlertID("nope")}}
		}, "not found", ""},
		// Incidents.
		{"severity it has", nAlice, func(sc *checkScene) domain.Body { return &domain.IncidentSeverity{Incident: sc.inc, Severity: "P1"} }, "is already P1", ""},
		{"severity", nAlice, func(sc *checkScene) domain.Body { return &domain.IncidentSeverity{Incident: sc.inc, Severity: "P2"} }, "", ""},
		{"status it has", nAlice, func(sc *checkScene) domain.Body {
			return &domain.IncidentStatus{Incident: sc.inc, Status: domain.StatusTriaged}
		}, "is already triaged", ""},
		{"lead without the role", nAlice, func(sc *checkScene) domain.Body {
			return &domain.IncidentAssign{Incident: sc.inc, Role: domain.RoleComms, Member: "carol"}
		}, "carol does not hold the comms role", ""},
		{"lead named by neither triage nor declarer", nDave, func(sc *checkScene) domain.Body {
			return &domain.IncidentAssign{Incident: sc.inc, Role: domain.RoleComms, Member: "dave"}
		}, "dave may not assign leads", ""},
		{"lead named by the declarer", nBob, func(sc *checkScene) domain.Body {
			return &domain.IncidentAssign{Incident: sc.inc, Role: domain.RoleComms, Member: "dave"}
		}, "", ""},
		{"lead not a member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.IncidentAssign{Incident: sc.inc, Role: domain.RoleReporter, Member: "frank"}
		}, "frank is not a member", ""},
		{"note on an unknown incident", nAlice, func(sc *checkScene) domain.Body { return &domain.Note{Incident: domain.ID{7}, Text: "x"} }, "incident 07", ""},
		// Tasks and timers.
		{"task done twice", nAlice, func(sc *checkScene) domain.Body { return &domain.TaskDone{Task: sc.doneTask} }, "is already done", ""},
		{"task done", nAlice, func(sc *checkScene) domain.Body { return &domain.TaskDone{Task: sc.openTask} }, "", ""},
		{"reopen a task not done", nAlice, func(sc *checkScene) domain.Body { return &domain.TaskReopen{Task: sc.openTask} }, "is not done", ""},
		{"reopen a done task", nAlice, func(sc *checkScene) domain.Body { return &domain.TaskReopen{Task: sc.doneTask} }, "", ""},
		{"task to a non-member", nAlice, func(sc *checkScene) domain.Body { return &domain.TaskAssign{Task: sc.openTask, Owner: "frank"} }, "frank is not a member", ""},
		{"task owned by a non-member", nAlice, func(sc *checkScene) domain.Body {
			return &domain.TaskAdd{Incident: sc.inc, Title: "x", Owner: "zed"}
		}, "zed is not a member", ""},
		{"timer met twice", nAlice, func(sc *checkScene) domain.Body { return &domain.TimerDone{Timer: sc.metTimer} }, "is already met", ""},
		{"timer met", nAlice, func(sc *checkScene) domain.Body { return &domain.TimerDone{Timer: sc.openTime} }, "", ""},
		// Runbooks.
		{"approve an executed proposal", nCarol, func(sc *checkScene) domain.Body { return &domain.RunbookApprove{Proposal: sc.executed} }, "already executed", ""},
		{"approve without an approver role", nIvy, func(sc *checkScene) domain.Body { return &domain.RunbookApprove{Proposal: sc.pending} },
			"ivy is not an approver for contract-pause (needs containment or triage)", ""},
		{"approve a runbook twice", nCarol, func(sc *checkScene) domain.Body { return &domain.RunbookApprove{Proposal: sc.pending} }, "carol already approved runbook proposal", ""},
		{"approve a runbook", nBob, func(sc *checkScene) domain.Body { return &domain.RunbookApprove{Proposal: sc.pending} }, "", ""},
		{"execute without containment", nCarol, func(sc *checkScene) domain.Body {
			return &domain.RunbookExec{Proposal: sc.pending, Output: domain.CommandHash("x")}
		}, "carol may not execute", ""},
		{"execute below the quorum", nBob, func(sc *checkScene) domain.Body {
			return &domain.RunbookExec{Proposal: sc.pending, Output: domain.CommandHash("x")}
		}, "has 1 of 2 approvals", ""},
		// Safe transactions.
		{"sign for a non-owner", nAlice, func(sc *checkScene) domain.Body {
			return &domain.SafeSign{Proposal: sc.safe.ID, Owner: ownerAddr(5), Signature: ownerSig(t, 5, sc.safe0Hash(t))}
		}, "is not an owner of Safe", ""},
		{"sign for an owner", nAlice, func(sc *checkScene) domain.Body {
			return &domain.SafeSign{Proposal: sc.safe.ID, Owner: ownerAddr(0), Signature: ownerSig(t, 0, sc.safe0Hash(t))}
		}, "", ""},
		{"execute a Safe tx below its threshold", nAlice, func(sc *checkScene) domain.Body { return execBody(sc.safe, "ExecutionSuccess") },
			"has 0 of 2 owner signatures", ""},
		// Identity.
		{"revoke an unknown proof", nAlice, func(sc *checkScene) domain.Body { return &domain.ProofRevoke{Proof: domain.ID{5}} }, "not found", ""},
		{"rotate to a member's key", nAlice, func(sc *checkScene) domain.Body { return rotate(sc, sc.tm.Addr(nBob)) }, "is already a key of bob", ""},
		{"rotate without a proof key", nAlice, func(sc *checkScene) domain.Body { return rotate(sc, sc.tm.Addr(nJay)) }, "is not a valid proof key of alice", ""},
		{"stop trusting an unknown CA", nAlice, func(sc *checkScene) domain.Body {
			return &domain.MemberChange{Action: domain.ChangeCARemove, Fingerprint: "SHA256:nope"}
		}, "is not trusted", ""},
		{"prove a key", nAlice, func(sc *checkScene) domain.Body { return ownProof(sc, nAlice, domaintest.SSHKey("alice")) }, "", ""},
		{"prove a key for another member's address", nCarol, func(sc *checkScene) domain.Body { return ownProof(sc, nAlice, notMember) }, "statement names key", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := newCheckScene(t)
			body := c.body(sc)
			st := sc.tm.Fold(nil)
			before := stateHash(t, st)
			err := st.CheckBody(sc.tm.Addr(c.who), body, sc.tm.Clock)
			if after := stateHash(t, st); after != before {
				t.Errorf("CheckBody changed the state")
			}
			e := do(t, sc.tm, c.who, body)
			r := reason(sc.tm.Fold(nil), e.ID)
			fold := c.fold
			if fold == "" {
				fold = c.want
			}
			switch {
			case c.want == "" && (err != nil || r != ""):
				t.Errorf("want accepted: CheckBody says %v, the fold %q", err, r)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("CheckBody says %v, want %q", err, c.want)
			case c.want != "" && !strings.Contains(r, fold):
				t.Errorf("the fold says %q, want %q", r, fold)
			}
		})
	}
}

// safe0Hash is the safeTxHash of the scene's Safe proposal.
func (sc *checkScene) safe0Hash(t *testing.T) common.Hash {
	t.Helper()
	return sc.tm.Fold(nil).Safe[sc.safe.ID].SafeTxHash
}

// Over random histories, each event in fold order meets the state folded
// from the events before it: CheckBody on that state, for the event's
// author, body and signed time, refuses exactly what the fold refuses,
// and for the same reason but where it words the author's standing or an
// approval's policy for the one about to sign. It leaves the state as it
// found it. (No exceptions are needed here because the check is asked of
// the very state the fold applies the event to. Asked of a replica's own
// view, CheckBody cannot see what a peer wrote concurrently; and for a
// forked key it refuses every new event, where the fold keeps the ones
// before the fork: these histories have no fork.)
func TestCheckBodyAgreesWithTheFold(t *testing.T) {
	refused := map[string]int{}
	for _, seed := range convergenceSeeds {
		h := history(t, seed)
		events := append([]*domain.Event(nil), h.Events...)
		sortByKey(events)
		st := domain.NewState()
		for i, e := range events {
			if e.Kind == domain.KindGenesis { // no member before it to ask about
				st.Apply(e)
				continue
			}
			body, err := domain.DecodeBody(e.Kind, e.Body)
			if err != nil {
				t.Fatalf("seed %d event %d: %v", seed, i, err)
			}
			var before string
			if i%16 == 0 || e.Kind == domain.KindMemberChange {
				before = stateHash(t, st)
			}
			check := st.CheckBody(e.Author, body, int64(e.Time))
			if before != "" && stateHash(t, st) != before {
				t.Fatalf("seed %d event %d: CheckBody of a %s changed the state", seed, i, e.Kind)
			}
			n := len(st.Rejected)
			st.Apply(e)
			r := ""
			if len(st.Rejected) > n {
				r = st.Rejected[n].Reason
				refused[e.Kind]++
			}
			where := fmt.Sprintf("seed %d event %d, %s by %s", seed, i, e.Kind, st.Handle(e.Author))
			switch {
			case check == nil && r != "":
				t.Errorf("%s: CheckBody let it through, the fold refused it: %s", where, r)
			case check != nil && r == "":
				t.Errorf("%s: CheckBody refused it (%v), the fold accepted it", where, check)
			case check != nil && !errors.Is(check, domain.ErrCannotWrite) && !strings.Contains(check.Error(), "would not count") && check.Error() != r:
				t.Errorf("%s: CheckBody says %q, the fold %q", where, check, r)
			}
		}
	}
	// The histories are concurrent enough to have refusals worth agreeing on.
	if len(refused) < 3 {
		t.Errorf("refusals by kind %v: want at least 3 kinds", refused)
	}
	t.Logf("refusals by kind: %v", refused)
}

// Checking a policy change tries it on the live state; the workspace that
// never used proofs keeps no identity part afterwards (its hash unchanged).
func TestCheckBodyLeavesNoIdentityBehind(t *testing.T) {
	tm := domaintest.NewTeam(43, 2)
	found(t, tm, quorum1, domain.RoleContainment)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	st := tm.Fold(nil)
	if st.Identity != nil {
		t.Fatal("the scene already has an identity part")
	}
	before := stateHash(t, st)
	for _, b := range []*domain.MemberChange{
		{Action: domain.ChangePolicy, Role: domain.RoleTriage, MinProofs: 2},
		{Action: domain.ChangePolicy, Role: domain.RoleObserver, MinProofs: 2},
	} {
		err := st.CheckBody(tm.Addr(0), b, tm.Clock)
		if st.Identity != nil || stateHash(t, st) != before {
			t.Errorf("checking %s (%v) left the state changed", b.Describe(), err)
		}
	}
}
