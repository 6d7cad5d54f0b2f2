package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"github.com/tminus-ir/tminus/internal/nettest"
	"github.com/tminus-ir/tminus/workspace"
)

// joinAt is joinHome with the address the home's node would listen on,
// returning the home, its address and its enode.
func joinAt(t *testing.T, dir, handle, listen string) (home, addr, enode string) {
	t.Helper()
	home = filepath.Join(dir, handle)
	var id struct{ Address, Enode string }
	if err := json.Unmarshal([]byte(must(t, home, "join", "--handle", handle, "--light-kdf", "--listen", listen, "--json")), &id); err != nil {
		t.Fatal(err)
	}
	return home, id.Address, id.Enode
}

// stolenAndReadded is a workspace at roster quorum 1 where dave's laptop
// (thief: his old home, still holding his old key) was stolen after one
// honest note, dave was removed (cutting that key at seq 1), and dave came
// back under his handle with a new key (dave2's home). The thief's home has
// heard all of it, as a node that admitted it would have told it.
func stolenAndReadded(t *testing.T, dir string) (alice, inc, thief, thiefEnode, dave2 string) {
	t.Helper()
	alice = founder(t, dir, 1)
	inc = must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	thief, oldAddr, thiefEnode := joinAt(t, dir, "dave", nettest.ClosedPort(t))
	must(t, alice, "member", "add", oldAddr, "--handle", "dave", "--role", "triage", "--enode", thiefEnode)
	carry(t, alice, thief)
	must(t, thief, "note", inc[:8], "dave, before the theft")
	carry(t, thief, alice)
	must(t, alice, "member", "remove", "dave")
	dave2, newAddr, newEnode := joinAt(t, filepath.Join(dir, "new"), "dave", nettest.ClosedPort(t))
	must(t, alice, "member", "add", newAddr, "--handle", "dave", "--role", "triage", "--enode", newEnode)
	carry(t, alice, thief, dave2)
	return alice, inc, thief, thiefEnode, dave2
}

// Dave's laptop was stolen; the team removed him and added him back with a
// new key under his handle. The roster keeps the old key among dave's, for
// display, so the thief's home took itself for dave's device in good
// standing: every write was signed and printed an id, though no replica
// counts it (the cut). Now it refuses before signing and says why; id says
// it cannot write; member list marks the old key revoked; dave's new home
// writes.
func TestReaddedMembersStolenKeyCannotWrite(t *testing.T) {
	dir := t.TempDir()
	alice, inc, thief, _, dave2 := stolenAndReadded(t, dir)

	for _, args := range plainWrites(t, inc) {
		fails(t, thief, "was revoked at seq 1 by roster proposal", args...)
	}
	fails(t, thief, "dave is on the roster again with another key", "note", inc[:8], "all clear, false alarm")
	var id struct {
		CannotWrite string `json:"cannot_write"`
	}
	mustJSON(t, must(t, thief, "id", "--json"), &id)
	if !strings.Contains(id.CannotWrite, "revoked") {
		t.Errorf("the thief's id --json: cannot_write %q, want it to say the key was revoked", id.CannotWrite)
	}

	list := must(t, alice, "member", "list")
	var row string
	for _, l := range strings.Split(list, "\n") {
		if strings.HasPrefix(l, "dave ") {
			row = l
		}
	}
	if strings.Count(row, "(revoked)") != 1 {
		t.Errorf("dave's row should mark exactly his old key revoked: %q", row)
	}
	must(t, dave2, "note", inc[:8], "dave, from his new laptop")
}

// key rotate hands the rotation to every peer it knows. A stolen laptop's
// node left a peer row, and its key stays on the roster once its member is
// back with a new key: rotate offered it the workspace, and reported the
// thief's node as a teammate still to reach ("not delivered: ... dave").
// A cut key's node, and a removed member's, are not peers to deliver to.
func TestKeyRotateDoesNotDeliverToARevokedKeysNode(t *testing.T) {
	dir := t.TempDir()
	alice, _, _, thiefEnode, _ := stolenAndReadded(t, dir)
	must(t, alice, "peer", "add", thiefEnode) // the row a node that met the laptop keeps
	key := writeSSHKey(t, dir, "alice-rotate-past-thief", "")
	must(t, alice, "proof", "add", "ssh", "--key", key)

	_, errs, code := tminus(t, alice, "key", "rotate", "--key", key, "--light-kdf")
	if code != 0 {
		t.Fatalf("key rotate: exit %d: %s", code, errs)
	}
	thiefAt := thiefEnode[strings.LastIndex(thiefEnode, "@")+1:]
	if strings.Contains(errs, thiefAt) {
		t.Errorf("key rotate tried the stolen key's node at %s:\n%s", thiefAt, errs)
	}
	if !strings.Contains(errs, "not delivered") || !strings.Contains(errs, "dave (") {
		t.Errorf("key rotate should still try dave's new node (nothing listens there):\n%s", errs)
	}
}

// During a partition alice and bob both proposed adding frank. carol's
// approval applied alice's; bob's twin then sat in member list as pending,
// and approving it printed "pending: 2 of 2 approvals; it applies once
// other members run tminus member approve ..." for a proposal the fold had
// voided. Its approval is refused unsigned, naming why, and member list
// says it is moot.
func TestApprovingATwinAlreadyAppliedIsRefused(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 2)
	bob, bobAddr := joinHome(t, dir, "bob")
	carol, carolAddr := joinHome(t, dir, "carol")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage") // quorum 1 of 1
	add := must(t, alice, "member", "add", carolAddr, "--handle", "carol", "--role", "triage")
	carry(t, alice, bob, carol)
	must(t, bob, "member", "approve", add[:10])
	carry(t, bob, alice, carol)

	_, frankAddr := joinHome(t, dir, "frank")
	mine := must(t, alice, "member", "add", frankAddr, "--handle", "frank", "--role", "triage")
	twin := must(t, bob, "member", "add", frankAddr, "--handle", "frank", "--role", "triage")
	carry(t, alice, carol)
	must(t, carol, "member", "approve", mine[:10])
	carry(t, carol, alice, bob)
	carry(t, bob, alice, carol)

	if list := must(t, carol, "member", "list"); !strings.Contains(list, twin[:10]) || !strings.Contains(list, "(moot: "+frankAddr) {
		t.Errorf("member list should show bob's twin as moot:\n%s", list)
	}
	for _, h := range []string{alice, carol} {
		fails(t, h, "can no longer change the roster: "+frankAddr+" is already a key of frank", "member", "approve", twin[:10])
	}
}

// An on-call responder from another team was added as triage; giving them
// containment mid-incident with member add said to "leave --role out",
// which changes nothing. There is no role change in place: the error says
// what does give them the role.
func TestMemberAddWithOtherRolesSaysHowRolesChange(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	_, erin := joinHome(t, dir, "erin")
	must(t, alice, "member", "add", erin, "--handle", "erin", "--role", "triage")
	_, errs, code := tminus(t, alice, "member", "add", erin, "--handle", "erin", "--role", "triage,containment")
	if code != 2 {
		t.Fatalf("member add with other roles: exit %d, want 2: %s", code, errs)
	}
	for _, want := range []string{"Roles cannot be changed in place", "tminus member remove erin", "a fresh tminus join"} {
		if !strings.Contains(errs, want) {
			t.Errorf("member add with other roles: %q, want %q", errs, want)
		}
	}
}

// After a rotation the roster's enode hint still names the old key's node,
// which no node answers as: a peer that had not met the new node could not
// dial it (bob's and carol's rotated nodes never connected again), and a
// lost key's replacement home sat empty. Both commands say what reaches the
// new node.
func TestRotationsSayHowPeersReachTheNewNode(t *testing.T) {
	dir := t.TempDir()
	lost, _, key, bob := provenPair(t, dir, "alice-lost-hint")
	carry(t, lost, bob)
	_, fresh := joinHome(t, dir, "alice-new")
	stmt := must(t, bob, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--member", fresh) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-lost-hint"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	_, errs, code := tminus(t, bob, "member", "rotate", "alice", "--to", fresh, "--kind", "ssh", "--public-key", key+".pub",
		"--statement", writeFile(t, filepath.Join(dir, "st"), stmt), "--signature", writeFile(t, filepath.Join(dir, "st.sig"), string(sig)))
	if code != 0 {
		t.Fatalf("member rotate: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "alice's new home pulls the workspace with tminus sync enode://") {
		t.Errorf("member rotate does not say how alice's new home gets the workspace:\n%s", errs)
	}

	home, _ := newWorkspace(t)
	k := writeSSHKey(t, t.TempDir(), "alice-rotate-hint", "")
	must(t, home, "proof", "add", "ssh", "--key", k)
	_, errs, code = tminus(t, home, "key", "rotate", "--key", k, "--light-kdf")
	if code != 0 {
		t.Fatalf("key rotate: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "The roster still gives peers your old enode to dial") || !strings.Contains(errs, "tminus peer add enode://") {
		t.Errorf("key rotate does not say how peers reach the new node:\n%s", errs)
	}
}

// member remove --json named the cut key in lower case, where every other
// member address a view prints is EIP-55 (docs/cli.md, "members"): a
// script matching it against member list --json missed it.
func TestMemberRemoveJSONCutsAreChecksummed(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 2)
	_, bobAddr := joinHome(t, dir, "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	var rm struct {
		Cuts []struct {
			Key string `json:"key"`
			Seq uint64 `json:"seq"`
		} `json:"cuts"`
	}
	mustJSON(t, must(t, alice, "member", "remove", "bob", "--json"), &rm)
	if len(rm.Cuts) != 1 || rm.Cuts[0].Key != bobAddr || rm.Cuts[0].Seq != 0 {
		t.Errorf("member remove --json cuts: %+v, want bob's key %s (EIP-55) at seq 0", rm.Cuts, bobAddr)
	}
}

// With two peers linked to each other, rotate's delivery to the first is
// relayed to the second within milliseconds, which then refuses the old
// key as rotated out: rotate called it "not delivered" and told the user
// to have the old key added. A peer that refuses the old key is asked
// again with the new one, and counts as reached when it admits it. Here
// bob holds the rotation before the delivery (a rotate cut short after
// signing, carried to bob by bundle, then run again), so he always
// refuses the old key.
func TestKeyRotateCountsAPeerThatAlreadyHasTheRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	key := writeSSHKey(t, t.TempDir(), "alice-rotate-relayed", "")
	c.run(a, "proof", "add", "ssh", "--key", key)
	oldKey, err := os.ReadFile(filepath.Join(a, "key.json"))
	if err != nil {
		t.Fatal(err)
	}
	oldCfg, err := os.ReadFile(filepath.Join(a, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.run(a, "key", "rotate", "--key", key, "--light-kdf") // no peer yet
	file := filepath.Join(t.TempDir(), "rot.jsonl")
	c.run(a, "bundle", "export", file)
	c.run(b, "bundle", "import", file)
	// Back to the moment after signing: the old key in place, the new one
	// pending.
	if err := os.Rename(filepath.Join(a, "key.json"), filepath.Join(a, "key.next.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a, "key.json"), string(oldKey))
	writeFile(t, filepath.Join(a, "config.yaml"), string(oldCfg))

	sb := c.serve(b)
	c.run(a, "peer", "add", sb.enode)
	cmd := exec.Command(c.bin, "--home", a, "key", "rotate", "--key", key, "--light-kdf")
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("key rotate, run again: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "the rotation reached bob") || strings.Contains(string(out), "not delivered") {
		t.Errorf("bob, who holds the rotation, should count as reached:\n%s", out)
	}
}

// A stolen laptop's node stays connected until someone notices, so the
// thief's events (the incident resolved, a task done) reach the team
// before the removal is proposed, and a cut at the newest seq held counted
// them for good: there was no way to cut earlier. member remove --cut SEQ
// cuts at the member's last honest event; a seq past the newest held, or a
// member with several keys not yet cut, is wrong usage and signs nothing.
func TestMemberRemoveCutsBeforeEventsAlreadyHeld(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	inc := must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	dave, daveAddr := joinHome(t, dir, "dave")
	must(t, alice, "member", "add", daveAddr, "--handle", "dave", "--role", "triage")
	carry(t, alice, dave)
	must(t, dave, "note", inc[:8], "dave: snapshot taken")   // seq 1, honest
	must(t, dave, "note", inc[:8], "all clear, false alarm") // seq 2, the thief
	must(t, dave, "incident", "status", inc[:8], "resolved") // seq 3, the thief
	carry(t, dave, alice)

	fails(t, alice, "has events up to seq 3 here", "member", "remove", "dave", "--cut", "4")
	fails(t, alice, "give a seq from 0 to 3", "member", "remove", "dave", "--cut", "-1")
	var rm struct {
		Cuts []struct {
			Key string `json:"key"`
			Seq uint64 `json:"seq"`
		} `json:"cuts"`
	}
	out, errs, code := tminus(t, alice, "member", "remove", "dave", "--cut", "1", "--json")
	if code != 0 {
		t.Fatalf("member remove --cut 1: exit %d: %s", code, errs)
	}
	mustJSON(t, out, &rm)
	if len(rm.Cuts) != 1 || rm.Cuts[0].Seq != 1 {
		t.Errorf("member remove --cut 1 --json: cuts %+v, want dave's key at seq 1", rm.Cuts)
	}
	if !strings.Contains(errs, "so 2 will not count") {
		t.Errorf("the proposer is not told which held events the cut leaves out: %q", errs)
	}
	var show struct {
		Status     string `json:"status"`
		NotCounted []struct {
			Kind string `json:"kind"`
		} `json:"not_counted"`
	}
	mustJSON(t, must(t, alice, "incident", "show", inc[:8], "--json"), &show)
	if show.Status == "resolved" || len(show.NotCounted) != 2 {
		t.Errorf("after the cut at seq 1: status %q, %d not counted; want the thief's resolve and note not counted", show.Status, len(show.NotCounted))
	}
	if got := must(t, alice, "incident", "show", inc[:8]); !strings.Contains(got, "dave: snapshot taken") {
		t.Errorf("dave's honest note (seq 1) should still count:\n%s", got)
	}
}

// seqOf is the seq of event id in home's log.
func seqOf(t *testing.T, home, id string) uint64 {
	t.Helper()
	for _, line := range strings.Split(must(t, home, "log", "--json"), "\n") {
		var e struct {
			ID  string `json:"id"`
			Seq uint64 `json:"seq"`
		}
		mustJSON(t, line, &e)
		if e.ID == id {
			return e.Seq
		}
	}
	t.Fatalf("event %s is not in %s's log", id, home)
	return 0
}

// The roster's replacement of a lost key cuts it as a removal does, and a
// thief's events already held counted for the same reason: member rotate
// takes --cut SEQ too.
func TestMemberRotateCutsBeforeEventsAlreadyHeld(t *testing.T) {
	dir := t.TempDir()
	lost, inc, key, bob := provenPair(t, dir, "alice-lost-cut")
	honest := must(t, lost, "note", inc[:8], "alice: snapshot taken")
	must(t, lost, "incident", "status", inc[:8], "resolved") // the thief
	carry(t, lost, bob)
	_, fresh := joinHome(t, dir, "alice-new")
	stmt := must(t, bob, "proof", "statement", "--kind", "ssh", "--public-key", key+".pub", "--member", fresh) + "\n"
	sig, err := proof.SignSSH(domaintest.SSHKey("alice-lost-cut"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	seq := seqOf(t, bob, honest)
	args := []string{"member", "rotate", "alice", "--to", fresh, "--kind", "ssh", "--public-key", key + ".pub",
		"--statement", writeFile(t, filepath.Join(dir, "st"), stmt), "--signature", writeFile(t, filepath.Join(dir, "st.sig"), string(sig))}
	fails(t, bob, "give a seq from 0 to", append(args, "--cut", strconv.FormatUint(seq+2, 10))...)
	must(t, bob, append(args, "--cut", strconv.FormatUint(seq, 10))...)
	var show struct {
		Status string `json:"status"`
	}
	mustJSON(t, must(t, bob, "incident", "show", inc[:8], "--json"), &show)
	if show.Status == "resolved" {
		t.Errorf("the lost key's resolve, past the cut at seq %d, still counts", seq)
	}
	if got := must(t, bob, "incident", "show", inc[:8]); !strings.Contains(got, "alice: snapshot taken") {
		t.Errorf("alice's honest note (seq %d) should still count:\n%s", seq, got)
	}
}

// After a rotation the roster still names the node of the old key; serve
// says peers knowing only the roster will not reach the new one.
func TestServeNotesTheRosterNamesTheOldKey(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-rotate-hint", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	if _, errs, code := tminus(t, home, "key", "rotate", "--key", key, "--light-kdf"); code != 0 {
		t.Fatalf("key rotate: %s", errs)
	}
	var id struct{ Enode string }
	mustJSON(t, must(t, home, "id", "--json"), &id)
	var errb bytes.Buffer
	a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb}
	defer a.home.Close()
	a.warnRosterHint(context.Background(), id.Enode)
	if !strings.Contains(errb.String(), "names alice's node with another key") || !strings.Contains(errb.String(), "peer add "+id.Enode) {
		t.Errorf("serve's note after a rotation: %q", errb.String())
	}
}

// The stolen key of a member added back names no one: member remove
// OLDKEY resolved to dave and would have removed his new key.
func TestRevokedKeyNamesNoMember(t *testing.T) {
	dir := t.TempDir()
	alice, inc, thief, _, _ := stolenAndReadded(t, dir)
	var id struct{ Address string }
	mustJSON(t, must(t, thief, "id", "--json"), &id)
	fails(t, alice, "is dave's revoked key (cut at seq", "member", "remove", id.Address)
	task := must(t, alice, "task", "add", inc[:8], "--title", "Rotate the bridge key")
	fails(t, alice, "name them by handle or that key", "task", "assign", task[:8], id.Address)
	must(t, alice, "task", "assign", task[:8], "dave")
}
