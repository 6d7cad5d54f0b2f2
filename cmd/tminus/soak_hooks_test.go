package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// TMINUS_CLOCK_SKEW moves the signed time of this process's events (the
// soak runs a node 10 minutes ahead with it); a value that is not a
// duration is wrong usage and writes nothing.
func TestClockSkewEnv(t *testing.T) {
	home, inc := newWorkspace(t)
	for _, tc := range []struct {
		skew       string
		wantOffset time.Duration
	}{
		{"", 0},
		{"10m", 10 * time.Minute},
		{"-10m", -10 * time.Minute},
	} {
		t.Run("skew="+tc.skew, func(t *testing.T) {
			t.Setenv("TMINUS_CLOCK_SKEW", tc.skew)
			before := time.Now()
			id := must(t, home, "note", inc, "clock "+tc.skew)
			after := time.Now()
			got := eventTime(t, home, id)
			lo, hi := before.Add(tc.wantOffset).Add(-time.Second), after.Add(tc.wantOffset).Add(time.Second)
			if got.Before(lo) || got.After(hi) {
				t.Fatalf("note signed at %s, want between %s and %s", got, lo, hi)
			}
		})
	}
	t.Run("bad", func(t *testing.T) {
		n := len(strings.Split(must(t, home, "log"), "\n"))
		t.Setenv("TMINUS_CLOCK_SKEW", "ten minutes")
		_, errs, code := tminus(t, home, "note", inc, "never")
		if code != 2 || !strings.Contains(errs, "TMINUS_CLOCK_SKEW") {
			t.Fatalf("exit %d, stderr %q; want 2 naming TMINUS_CLOCK_SKEW", code, errs)
		}
		t.Setenv("TMINUS_CLOCK_SKEW", "")
		if m := len(strings.Split(must(t, home, "log"), "\n")); m != n {
			t.Fatalf("log grew from %d to %d lines after a refused command", n, m)
		}
	})
}

// eventTime is the signed time of event id, from log --json.
func eventTime(t *testing.T, home, id string) time.Time {
	t.Helper()
	for _, line := range strings.Split(must(t, home, "log", "--json"), "\n") {
		var e struct {
			ID   string `json:"id"`
			Time int64  `json:"time"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.ID == id {
			return time.UnixMilli(e.Time)
		}
	}
	t.Fatalf("event %s not in the log", id)
	return time.Time{}
}

// alert raise --json names the observation's event besides the alert: the
// alert id is the fingerprint's, so without it a caller could not tell
// which event to look for on a peer (the soak checks every write arrived).
func TestAlertRaiseJSONNamesItsEvent(t *testing.T) {
	home, _ := newWorkspace(t)
	var out struct{ ID, Fingerprint, Event string }
	if err := json.Unmarshal([]byte(must(t, home, "alert", "raise", "--title", "Oracle deviation", "--json")), &out); err != nil {
		t.Fatal(err)
	}
	if out.ID == "" || out.Event == "" || out.ID == out.Event {
		t.Fatalf("alert raise --json = %+v; want the alert id and a distinct event id", out)
	}
	if eventTime(t, home, out.Event).IsZero() {
		t.Fatalf("event %s has no time", out.Event)
	}
}

// A proof's window is judged before signing at the time its event will
// carry, the home's clock that TMINUS_CLOCK_SKEW moves, so the check agrees
// with the fold of the written event: a statement valid only at the skewed
// time is recorded and counts; one valid at real time but not at the skewed
// time is refused before anything is stored (judged at real time, it was
// signed and then refused by the fold, or refused though the fold counts it).
func TestProofJudgedAtSkewedClock(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := domaintest.SSHKey("skewed")
	pub := writeFile(t, filepath.Join(dir, "skewed.pub"), domaintest.AuthorizedKey(key.PublicKey())+"\n")
	tmpl, err := proof.ParseStatement([]byte(must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", pub) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	// signedElsewhere is proof add's arguments for a statement valid from
	// issued to expires after the real time now, signed by key.
	signedElsewhere := func(name string, issued, expires time.Duration) []string {
		now := time.Now().UTC().Truncate(time.Second)
		st := tmpl
		st.IssuedAt, st.Expires = now.Add(issued), now.Add(expires)
		sig, err := proof.SignSSH(key, st.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		return []string{"proof", "add", "ssh", "--public-key", pub, "--statement", writeFile(t, filepath.Join(dir, name), string(st.Marshal())),
			"--signature", writeFile(t, filepath.Join(dir, name+".sig"), string(sig)), "--json"}
	}
	for _, c := range []struct {
		name            string
		skew            string
		issued, expires time.Duration
		refused         string // "": recorded, and the fold counts it
	}{
		{"expired at the clock ahead", "10m", -time.Minute, 5 * time.Minute, "expired at"},
		{"not yet issued at the clock behind", "-10m", -time.Minute, time.Hour, "issued at"},
		{"valid only at the clock ahead", "10m", 5 * time.Minute, time.Hour, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TMINUS_CLOCK_SKEW", c.skew)
			args := signedElsewhere(strings.ReplaceAll(c.name, " ", "-"), c.issued, c.expires)
			if c.refused != "" {
				fails(t, home, "proof not valid at the event's time", args...)
				fails(t, home, c.refused, args...)
				return
			}
			var added struct{ ID string }
			if err := json.Unmarshal([]byte(must(t, home, args...)), &added); err != nil {
				t.Fatal(err)
			}
			if ps := proofList(t, home); len(ps) != 1 || ps[0].ID != added.ID {
				t.Errorf("proofs after adding %s: %+v", added.ID, ps)
			}
		})
	}
}

// A statement tminus prints or signs is issued by the home's clock, the one
// the event is signed with: with the clock behind, a proof signed here and a
// rotation it endorses are recorded (issued at real time, both were after
// their events' time, and the fold refused them once stored).
func TestProofSignedAtSkewedClock(t *testing.T) {
	home, _ := newWorkspace(t)
	t.Setenv("TMINUS_CLOCK_SKEW", "-10m")
	before := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	key := writeSSHKey(t, t.TempDir(), "behind", "")
	st, err := proof.ParseStatement([]byte(must(t, home, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if after := time.Now().Add(-10 * time.Minute); st.IssuedAt.Before(before) || st.IssuedAt.After(after) {
		t.Errorf("statement issued at %s, want the skewed clock's %s..%s", st.IssuedAt, before, after)
	}
	old := idAddress(t, home)
	must(t, home, "proof", "add", "ssh", "--key", key)
	if ps := proofList(t, home); len(ps) != 1 {
		t.Fatalf("proofs: %+v", ps)
	}
	if addr := must(t, home, "key", "rotate", "--key", key, "--light-kdf"); addr == old || addr != idAddress(t, home) {
		t.Errorf("key rotate printed %s; the old address was %s, id says %s", addr, old, idAddress(t, home))
	}
}

// An approval counts only from a member whose proofs meet their roles'
// minimum at its signed time; one that would not count is refused before
// it is signed, judged at the home's clock: alice's proof lapses in five
// minutes, so with her clock ten minutes ahead her approvals are refused
// and nothing is stored, and at the real time they count.
func TestApprovalBelowPolicyRefusedBeforeSigning(t *testing.T) {
	w := newCockpitWorkspace(t) // alice, an incident, bob (triage) whose key signs here, the stand-in runbook
	must(t, w.home, "proof", "add", "ssh", "--key", writeSSHKey(t, t.TempDir(), "alice-lapsing", ""), "--expires", "5m")
	policy, err := domain.ParseID(must(t, w.home, "member", "policy", "--role", "containment", "--min-proofs", "2"))
	if err != nil {
		t.Fatal(err)
	}
	w.bobs(t, &domain.MemberApprove{Proposal: policy})
	carol, _ := crypto.GenerateKey()
	roster := w.bobs(t, &domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: crypto.PubkeyToAddress(carol.PublicKey), Handle: "carol", Roles: []string{"observer"}}})
	runbook := w.bobs(t, w.pauseProposal(t))
	for _, args := range [][]string{{"member", "approve", roster}, {"runbook", "approve", runbook}} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			t.Setenv("TMINUS_CLOCK_SKEW", "10m")
			fails(t, w.home, "alice's approval would not count: role containment needs 2 proofs of distinct kinds", args...)
			t.Setenv("TMINUS_CLOCK_SKEW", "")
			must(t, w.home, args...)
		})
	}
}

// Deadlines and proof statuses are reckoned by the clock the home signs
// with: a task due in 15 minutes on a node 3 hours behind is due 15 minutes
// after that node's now, as its own cockpit counts down, and a proof that
// lapses in 2 hours has lapsed for a node 3 hours ahead.
func TestDeadlinesAndStatusesAtSkewedClock(t *testing.T) {
	home, inc := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "lapsing", "")
	must(t, home, "proof", "add", "ssh", "--key", key, "--expires", "2h")
	t.Setenv("TMINUS_CLOCK_SKEW", "-3h")
	before := time.Now().Add(-3 * time.Hour)
	must(t, home, "task", "add", inc[:8], "--title", "Snapshot balances", "--due", "15m")
	must(t, home, "timer", "set", inc[:8], "--label", "Containment", "--in", "15m")
	after := time.Now().Add(-3 * time.Hour)
	var shown struct {
		Tasks  []struct{ Due string }
		Timers []struct{ Due string }
	}
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Tasks) != 1 || len(shown.Timers) != 1 {
		t.Fatalf("incident show: %+v", shown)
	}
	for what, due := range map[string]string{"task": shown.Tasks[0].Due, "timer": shown.Timers[0].Due} {
		got, err := time.Parse(time.RFC3339, due)
		lo, hi := before.Add(15*time.Minute).Add(-time.Second), after.Add(15*time.Minute).Add(time.Second)
		if err != nil || got.Before(lo) || got.After(hi) {
			t.Errorf("%s due %s (%v), want between %s and %s: 15 minutes after the skewed now", what, due, err, lo, hi)
		}
	}

	status := func(skew string) string {
		t.Helper()
		t.Setenv("TMINUS_CLOCK_SKEW", skew)
		var proofs []struct{ Kind, Status string }
		if err := json.Unmarshal([]byte(must(t, home, "proof", "list", "--json")), &proofs); err != nil {
			t.Fatal(err)
		}
		for _, p := range proofs {
			if p.Kind == "ssh" {
				return p.Status
			}
		}
		t.Fatalf("no ssh proof listed: %+v", proofs)
		return ""
	}
	if got := status(""); got != domain.ProofValid {
		t.Errorf("proof status now: %s, want %s", got, domain.ProofValid)
	}
	if got := status("3h"); got != domain.ProofExpired {
		t.Errorf("proof status 3 hours ahead: %s, want %s", got, domain.ProofExpired)
	}
}
