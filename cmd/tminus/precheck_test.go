package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
)

// precheckTeam is alice's home, with the roles a test gives her, and bob
// (containment, triage) and carol (triage), whose keys sign here as their
// own nodes would; roster quorum 2; the stand-in runbook is on the path.
type precheckTeam struct {
	home string
	st   *store.Store
	lib  *runbooks.Library
	keys map[string]domain.KeySigner
}

func newPrecheckTeam(t *testing.T, aliceRoles string) *precheckTeam {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	dir := t.TempDir()
	pt := &precheckTeam{home: filepath.Join(dir, "alice"), keys: map[string]domain.KeySigner{}}
	must(t, pt.home, "init", "--name", "acme", "--handle", "alice", "--role", aliceRoles, "--roster-quorum", "2", "--light-kdf")
	rbs := filepath.Join(dir, "runbooks")
	if err := os.MkdirAll(rbs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rbs, "stand-in-pause.md"), []byte(standIn), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_RUNBOOKS", rbs)
	var err error
	if pt.lib, err = runbooks.Load(rbs); err != nil {
		t.Fatal(err)
	}
	if pt.st, err = store.Open(context.Background(), filepath.Join(pt.home, "tminus.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pt.st.Close() })
	// Alone, alice adds bob; from then on the quorum is two and bob approves.
	must(t, pt.home, "member", "add", pt.addr(t, "bob"), "--handle", "bob", "--role", "containment,triage")
	carol := must(t, pt.home, "member", "add", pt.addr(t, "carol"), "--handle", "carol", "--role", "triage")
	pt.as(t, "bob", &domain.MemberApprove{Proposal: parseID(t, carol)})
	return pt
}

// signer is who's key, made on first use.
func (pt *precheckTeam) signer(t *testing.T, who string) domain.KeySigner {
	t.Helper()
	k, ok := pt.keys[who]
	if !ok {
		key, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		k = domain.KeySigner{Key: key}
		pt.keys[who] = k
	}
	return k
}

func (pt *precheckTeam) addr(t *testing.T, who string) string {
	t.Helper()
	return pt.signer(t, who).Address().Hex()
}

// as appends b signed by who and returns its id.
func (pt *precheckTeam) as(t *testing.T, who string, b domain.Body) string {
	t.Helper()
	ev, err := pt.st.Append(context.Background(), pt.signer(t, who), b)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID.String()
}

// pause is a proposal of the stand-in runbook's step on inc.
func (pt *precheckTeam) pause(t *testing.T, inc string) *domain.RunbookPropose {
	t.Helper()
	rb, _ := pt.lib.Get("stand-in-pause")
	body, err := rb.Proposal(parseID(t, inc), 1, map[string]string{"target": "vault"})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func parseID(t *testing.T, s string) domain.ID {
	t.Helper()
	id, err := domain.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Each write the fold would store and refuse is refused before it is
// signed: exit 1, the fold's reason, nothing stored (fails counts the
// events). Its accepted counterpart still goes through.
func TestPrecheckRefusesBeforeSigning(t *testing.T) {
	pt := newPrecheckTeam(t, "reporter,triage,comms,containment,recorder")
	home := pt.home
	inc := must(t, home, "incident", "declare", "--title", "Vault drain", "--severity", "P1")

	t.Run("alert ack twice", func(t *testing.T) {
		al := must(t, home, "alert", "raise", "--title", "Paused() on the bridge")
		must(t, home, "alert", "ack", al[:8])
		fails(t, home, "alice already acknowledged alert "+al[:10], "alert", "ack", al[:8])
	})

	t.Run("member approve applied or void", func(t *testing.T) {
		// Two proposals for dave's key: alice's approval applies the first,
		// carol's then voids the second.
		dave := pt.signer(t, "dave").Address()
		first := pt.as(t, "bob", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: dave, Handle: "dave", Roles: []string{"comms"}}})
		second := pt.as(t, "bob", &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: dave, Handle: "davey", Roles: []string{"comms"}}})
		must(t, home, "member", "approve", first[:8])
		pt.as(t, "carol", &domain.MemberApprove{Proposal: parseID(t, second)})
		fails(t, home, "roster proposal "+first[:10]+" already applied", "member", "approve", first[:8])
		fails(t, home, "roster proposal "+second[:10]+" is void: key already belongs to dave", "member", "approve", second[:8])
	})

	t.Run("member add", func(t *testing.T) {
		fails(t, home, "is already a key of bob", "member", "add", pt.addr(t, "bob"), "--handle", "bobby", "--role", "reporter")
		fails(t, home, "a new member needs at least one role", "member", "add", pt.addr(t, "erin"), "--handle", "erin")
		must(t, home, "member", "add", pt.addr(t, "erin"), "--handle", "erin", "--role", "reporter")
	})

	t.Run("runbook approve executed", func(t *testing.T) {
		prop := pt.as(t, "bob", pt.pause(t, inc))
		must(t, home, "runbook", "approve", prop[:8])
		pt.as(t, "bob", &domain.RunbookExec{Proposal: parseID(t, prop), Output: domain.CommandHash("paused vault")})
		fails(t, home, "runbook proposal "+prop[:10]+" already executed", "runbook", "approve", prop[:8])
	})

	t.Run("incident assign a lead without the role", func(t *testing.T) {
		fails(t, home, "carol does not hold the comms role", "incident", "assign", inc[:8], "comms", "carol")
		must(t, home, "incident", "assign", inc[:8], "triage", "carol")
	})
}

// A member without an approver role, or without triage on an incident she
// did not declare, is refused before signing.
func TestPrecheckRefusesWhatTheRolesDoNotAllow(t *testing.T) {
	pt := newPrecheckTeam(t, "comms")
	home := pt.home
	inc := pt.as(t, "bob", &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	prop := pt.as(t, "bob", pt.pause(t, inc))
	fails(t, home, "alice is not an approver for stand-in-pause (needs containment or triage)", "runbook", "approve", prop[:8])
	fails(t, home, "alice may not assign leads: needs the triage role or to have declared the incident",
		"incident", "assign", inc[:8], "comms", "alice")
	own := must(t, home, "incident", "declare", "--title", "Relayer key", "--severity", "P2")
	must(t, home, "incident", "assign", own[:8], "comms", "alice")
}

// The last member cannot propose her own removal: the fold would refuse it.
func TestPrecheckRefusesRemovingTheLastMember(t *testing.T) {
	home, _ := newWorkspace(t)
	fails(t, home, "cannot remove the last member", "member", "remove", "alice")
}
