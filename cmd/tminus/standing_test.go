package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/workspace"
)

// joinHome makes a home with a fresh key and no workspace, returning its
// directory and address.
func joinHome(t *testing.T, dir, handle string) (home, addr string) {
	t.Helper()
	home = filepath.Join(dir, handle)
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, home, "join", "--handle", handle, "--light-kdf", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	return home, id.Address
}

// carry brings every event of from into each home by bundle, as a
// responder without a network would.
func carry(t *testing.T, from string, to ...string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, from, "bundle", "export", file)
	for _, h := range to {
		must(t, h, "bundle", "import", file)
	}
}

// founder is alice's home in dir: a new workspace "acme" at the given roster
// quorum, alice its only member.
func founder(t *testing.T, dir string, quorum int) string {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	alice := filepath.Join(dir, "alice")
	must(t, alice, "init", "--name", "acme", "--handle", "alice", "--light-kdf", "--roster-quorum", strconv.Itoa(quorum))
	return alice
}

// provenPair is a workspace at roster quorum 1 in dir: alice, who proved
// the SSH key keyName (its file is key) and declared inc, and bob (triage),
// whose home has not heard of any of it yet.
func provenPair(t *testing.T, dir, keyName string) (alice, inc, key, bob string) {
	t.Helper()
	alice = founder(t, dir, 1)
	inc = must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	key = writeSSHKey(t, dir, keyName, "")
	must(t, alice, "proof", "add", "ssh", "--key", key)
	bob, bobAddr := joinHome(t, dir, "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	return alice, inc, key, bob
}

// plainWrites are the commands that append without reading the state
// first: each must refuse a key whose events would not count.
func plainWrites(t *testing.T, inc string) [][]string {
	t.Helper()
	file := writeFile(t, filepath.Join(t.TempDir(), "balances.csv"), "vault,0\n")
	return [][]string{
		{"note", inc[:8], "from a key that cannot write"},
		{"task", "add", inc[:8], "--title", "Snapshot balances"},
		{"timer", "set", inc[:8], "--label", "Containment", "--in", "15m"},
		{"incident", "severity", inc[:8], "P2"},
		{"incident", "status", inc[:8], "contained"},
		{"incident", "declare", "--title", "Another drain", "--severity", "P1"},
		{"alert", "raise", "--title", "Disk 85%"},
		{"evidence", "add", inc[:8], file},
	}
}

// A note from a key whose events the fold would store but not count (a
// stranger, an observer, a removed member, a rotated-out key) used to print
// an id that then showed nowhere. Every plain write now refuses before
// signing, says why, and stores nothing; a member in good standing writes.
func TestPlainWritesRefusedWhenTheyWouldNotCount(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	inc := must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	bob, bobAddr := joinHome(t, dir, "bob")
	carol, carolAddr := joinHome(t, dir, "carol")
	stranger, _ := joinHome(t, dir, "mallory")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "observer")
	must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	carry(t, alice, bob, carol, stranger)
	must(t, carol, "note", inc[:8], "carol, while a member")
	must(t, alice, "member", "remove", "carol")
	carry(t, alice, bob, carol, stranger)

	for _, c := range []struct{ home, why string }{
		{stranger, "is not a member of this workspace (a member adds you with tminus member add)"},
		{bob, "bob is an observer: observers cannot change anything"},
		{carol, "carol was removed from this workspace; nothing this key signs counts"},
	} {
		for _, args := range plainWrites(t, inc) {
			fails(t, c.home, c.why, args...)
		}
	}
	for _, args := range plainWrites(t, inc) {
		must(t, alice, args...)
	}
}

// alice lost her laptop; it still holds her old key and the log as it was,
// and the roster (bob) rotates her to a new key. What the lost laptop signs
// before the rotation reaches it is stored elsewhere and not counted; once
// the rotation reaches it, it refuses to sign.
func TestRotatedOutKeyRefusesPlainWrites(t *testing.T) {
	dir := t.TempDir()
	lost, inc, key, bob := provenPair(t, dir, "alice-lost")
	carry(t, lost, bob)

	_, fresh := joinHome(t, dir, "alice-new")
	stmt := must(t, bob, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--member", fresh) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-lost"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	must(t, bob, "member", "rotate", "alice", "--to", fresh, "--kind", "ssh", "--public-key", key+".pub",
		"--statement", writeFile(t, filepath.Join(dir, "st"), stmt), "--signature", writeFile(t, filepath.Join(dir, "st.sig"), string(sig)))

	// The first note is concurrent with the rotation (same lamport) and
	// may sort before it; the rotation's cut voids both all the same.
	first := must(t, lost, "note", inc[:8], "from the lost laptop, before it heard")
	note := must(t, lost, "note", inc[:8], "and again")
	carry(t, lost, bob)
	out := must(t, bob, "verify")
	for _, id := range []string{first, note} {
		if !strings.Contains(out, "NOT COUNTED "+id[:10]+" note.add by alice: key revoked after seq") {
			t.Errorf("verify after the lost laptop's note %s:\n%s", id[:10], out)
		}
	}
	carry(t, bob, lost)
	for _, args := range plainWrites(t, inc) {
		fails(t, lost, "is alice's old key, replaced by "+fresh, args...)
	}
}

// An Alertmanager delivery to a removed member's node is refused with the
// reason, so Alertmanager retries and logs it, and nothing is stored.
func TestWebhookRefusesWhenKeyCannotWrite(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	carol, carolAddr := joinHome(t, dir, "carol")
	must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	carry(t, alice, carol)

	deliver := func(seq int) (int, string) {
		t.Helper()
		a := &app{home: &workspace.Home{Dir: carol}, stdout: io.Discard, stderr: io.Discard}
		defer a.home.Close()
		sink, err := a.sink(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(watch.NewHandler(sink, watch.HandlerOptions{}))
		defer srv.Close()
		var body bytes.Buffer
		benchPayload(&body, seq, 2)
		resp, err := srv.Client().Post(srv.URL+"/alertmanager", "application/json", &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		reply, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(reply)
	}
	if code, reply := deliver(1); code != http.StatusOK {
		t.Fatalf("a member's delivery: %d %s", code, reply)
	}
	must(t, alice, "member", "remove", "carol")
	carry(t, alice, carol)
	before := eventCount(t, carol)
	if code, reply := deliver(2); code != http.StatusInternalServerError || !strings.Contains(reply, "carol was removed from this workspace") {
		t.Errorf("a removed member's delivery: %d %s", code, reply)
	}
	if n := eventCount(t, carol); n != before {
		t.Errorf("the refused delivery stored %d events", n-before)
	}
}

// Setting the severity or status an incident already has changes nothing,
// and the fold refuses it: the command says so instead of printing an id.
func TestIncidentChangeToWhatItIs(t *testing.T) {
	home, inc := newWorkspace(t)
	fails(t, home, "is already P1", "incident", "severity", inc[:8], "P1")
	must(t, home, "incident", "status", inc[:8], "triaged")
	fails(t, home, "is already triaged", "incident", "status", inc[:8], "triaged")
	must(t, home, "incident", "severity", inc[:8], "P2")
	var shown struct{ Severity, Status string }
	if err := json.Unmarshal([]byte(must(t, home, "incident", "show", inc[:8], "--json")), &shown); err != nil || shown.Severity != "P2" || shown.Status != "triaged" {
		t.Errorf("incident show: %+v %v", shown, err)
	}
}

// A thief copied alice's home, old key and all, before she rotated it.
// What the copy signs at the rotation's seq is an equivocation; it used to
// void the rotation on every replica and give the roster back the stolen
// key. The rotation stands, the thief's event does not count, and alice's
// new key writes.
func TestStolenCopyCannotUndoKeyRotate(t *testing.T) {
	dir := t.TempDir()
	alice, inc, key, bob := provenPair(t, dir, "alice-proof")
	thief := filepath.Join(dir, "thief")
	if out, err := exec.Command("cp", "-a", alice, thief).CombinedOutput(); err != nil {
		t.Fatalf("copy the home: %v %s", err, out)
	}
	var rotated struct{ Address, Old string }
	if err := json.Unmarshal([]byte(must(t, alice, "key", "rotate", "--key", key, "--light-kdf", "--json")), &rotated); err != nil {
		t.Fatal(err)
	}
	carry(t, alice, bob)
	must(t, thief, "incident", "status", inc[:8], "resolved") // the copy has not heard of the rotation
	carry(t, thief, bob)
	note := must(t, alice, "note", inc[:8], "from alice's new key")
	carry(t, alice, bob)

	var members []struct {
		Handle string
		Keys   []string
	}
	if err := json.Unmarshal([]byte(must(t, bob, "member", "list", "--json")), &members); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.Handle == "alice" && (len(m.Keys) == 0 || !strings.EqualFold(m.Keys[0], rotated.Address)) {
			t.Errorf("alice's keys on bob: %v, want the new key %s first", m.Keys, rotated.Address)
		}
	}
	var shown struct {
		Status string
		Notes  []struct{ Event, By string }
	}
	if err := json.Unmarshal([]byte(must(t, bob, "incident", "show", inc[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Status == "resolved" {
		t.Errorf("the thief's status change counted")
	}
	if len(shown.Notes) != 1 || shown.Notes[0].Event != note || shown.Notes[0].By != "alice" {
		t.Errorf("alice's note from her new key: %+v", shown.Notes)
	}
	if out, _, _ := tminus(t, bob, "verify"); !strings.Contains(out, "equivocation") {
		t.Errorf("verify does not report the thief's equivocation:\n%s", out)
	}
}

// A roster proposal that applied reports the quorum it met: with one member
// a fixed quorum of 2 is capped at 1, and "1 approval of quorum 2, applied"
// read as a contradiction.
func TestAppliedProposalReportsTheQuorumItMet(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 2)
	_, bobAddr := joinHome(t, dir, "bob")
	var res struct {
		Applied           bool
		Approvals, Quorum int
	}
	if err := json.Unmarshal([]byte(must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Applied || res.Approvals != 1 || res.Quorum != 1 {
		t.Errorf("member add reported %+v, want applied with 1 approval of quorum 1", res)
	}
	_, carolAddr := joinHome(t, dir, "carol")
	if err := json.Unmarshal([]byte(must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "comms", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Applied || res.Approvals != 1 || res.Quorum != 2 {
		t.Errorf("member add with two members reported %+v, want pending at 1 of 2", res)
	}
}

// removedOffline is carol removed while her laptop is offline: it signs on
// from what it last heard, so its events sort before the removal; `member
// remove` cut her key at the seq alice held (her honest note, seq 1), and
// her late events (a severity P4 and a note) reach alice by bundle.
func removedOffline(t *testing.T) (alice, inc, honest string, late []string) {
	t.Helper()
	dir := t.TempDir()
	alice = founder(t, dir, 1)
	inc = must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	carol, carolAddr := joinHome(t, dir, "carol")
	must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	carry(t, alice, carol)
	honest = must(t, carol, "note", inc[:8], "carol, while a member")
	carry(t, carol, alice)
	for range 3 {
		must(t, alice, "note", inc[:8], "alice moves on")
	}
	must(t, alice, "member", "remove", "carol")
	late = []string{
		must(t, carol, "incident", "severity", inc[:8], "P4"),
		must(t, carol, "note", inc[:8], "carol, after her removal"),
	}
	carry(t, carol, alice)
	return alice, inc, honest, late
}

// The removed member's backdated events do not count when they arrive.
func TestRemovedMemberCannotBackdate(t *testing.T) {
	alice, inc, _, late := removedOffline(t)
	out := must(t, alice, "verify")
	for _, id := range late {
		if !strings.Contains(out, "NOT COUNTED "+id[:10]) || !strings.Contains(out, "key revoked after seq 1") {
			t.Errorf("verify does not list carol's backdated %s as cut:\n%s", id[:10], out)
		}
	}
	if show := must(t, alice, "incident", "show", inc[:8], "--json"); !strings.Contains(show, `"severity":"P1"`) {
		t.Errorf("the removed member's backdated severity counted:\n%s", show)
	}
	fails(t, alice, "carol is no longer a member: the roster removed them", "member", "remove", "carol")
	if list := must(t, alice, "member", "list"); !strings.Contains(list, "revoked keys") || !strings.Contains(list, "carol after seq 1") {
		t.Errorf("member list does not show the cut in force:\n%s", list)
	}
}

// alice proposes carol's removal before hearing carol's last note; bob
// holds it. Approving, bob is told which of carol's events the cut leaves
// uncounted.
func TestApproverHearsWhatACutVoids(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 2)
	inc := must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	bob, bobAddr := joinHome(t, dir, "bob")
	carol, carolAddr := joinHome(t, dir, "carol")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	add := must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	carry(t, alice, bob)
	must(t, bob, "member", "approve", add)
	carry(t, bob, alice, carol)
	must(t, carol, "note", inc[:8], "carol's last word")
	carry(t, carol, bob)
	var rmJSON struct {
		ID   string `json:"id"`
		Cuts []struct {
			Key string `json:"key"`
			Seq uint64 `json:"seq"`
		} `json:"cuts"`
	}
	if err := json.Unmarshal([]byte(must(t, alice, "member", "remove", "carol", "--json")), &rmJSON); err != nil {
		t.Fatal(err)
	}
	if len(rmJSON.Cuts) != 1 || !strings.EqualFold(rmJSON.Cuts[0].Key, carolAddr) || rmJSON.Cuts[0].Seq != 0 {
		t.Errorf("member remove --json cuts: %+v", rmJSON.Cuts)
	}
	rm := rmJSON.ID
	if list := must(t, alice, "member", "list"); !strings.Contains(list, "remove carol, counting only "+carolAddr[:10]+"'s events up to seq 0") {
		t.Errorf("member list does not show the cut:\n%s", list)
	}
	carry(t, alice, bob)
	_, errs, code := tminus(t, bob, "member", "approve", rm)
	if code != 0 || !strings.Contains(errs, "holds "+carolAddr+"'s events up to seq 1") || !strings.Contains(errs, "so 1 will not count") {
		t.Errorf("approve: exit %d, stderr %q", code, errs)
	}
}

// Another device key of a member takes the member's roles: --role with
// other roles used to be signed and silently ignored.
func TestMemberAddKeyRefusesOtherRoles(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	_, bobAddr := joinHome(t, dir, "bob")
	_, laptop := joinHome(t, dir, "bob-laptop")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	before := eventCount(t, alice)
	_, errs, code := tminus(t, alice, "member", "add", laptop, "--handle", "bob", "--role", "comms")
	if code != 2 || !strings.Contains(errs, "bob is a member with roles triage") || !strings.Contains(errs, "leave --role out") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if eventCount(t, alice) != before {
		t.Error("the refused add was stored")
	}
	must(t, alice, "member", "add", laptop, "--handle", "bob", "--role", "triage") // the same roles are fine
}

// member list counts the approvals the quorum counts: a removed member's
// stays recorded but no longer counts.
func TestCountingApprovals(t *testing.T) {
	s := domain.NewState()
	s.Members["alice"] = &domain.Member{Handle: "alice", Active: true}
	s.Members["carol"] = &domain.Member{Handle: "carol", Active: false}
	p := &domain.RosterProposal{Approvals: map[string]bool{"alice": true, "carol": true}}
	if n := s.CountingApprovals(p); n != 1 {
		t.Errorf("%d approvals count, want alice's alone", n)
	}
}
