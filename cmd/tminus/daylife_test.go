package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Found by walking an incident with three homes as the README says: each
// shell ran eval "$(tminus agent)" and no passphrase, and serve ran. bob's
// `sync ENODE` with alice, whom his serve already replicated with, failed
// asking for a passphrase (a one-shot node needs the key) instead of
// saying, as it does with a passphrase, that his serve keeps him in step.
func TestSyncBesideOwnServeWithAgentOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	sa := c.serve(a)
	c.run(b, "peer", "add", sa.enode)
	c.serve(b)
	waitPeerInStep(t, c, b)
	// The shell after eval "$(tminus agent)" on a home whose serve is the
	// agent (agent.sock in the home): no TMINUS_PASSPHRASE.
	out, stderr, code := tryBinary(t, c.bin, agentShell(""), b, "sync", sa.enode, "--timeout", "20s")
	if code != 0 || !strings.Contains(stderr, "keeps this store in step with it: nothing is behind") || !strings.HasPrefix(out, "pulled 0") {
		t.Fatalf("sync beside bob's serve, agent only: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// waitPeerInStep waits until home's running node shows its one peer
// connected and nothing behind it.
func waitPeerInStep(t *testing.T, c *realCLI, home string) {
	t.Helper()
	var rows []struct {
		Enode     string
		Connected bool
		Behind    int64
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := json.Unmarshal([]byte(c.run(home, "peer", "list", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 && rows[0].Connected && rows[0].Behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's serve is not in step with its peer within 60s: %+v", home, rows)
		}
	}
}

// incident show named each runbook proposal in its timeline but gave no
// id: a responder asked in chat to approve one had to read --json or open
// the cockpit to find what runbook approve takes.
func TestIncidentShowListsProposals(t *testing.T) {
	home, inc := newWorkspace(t)
	prop := must(t, home, "runbook", "propose", inc[:8], "host-quarantine", "--param", "host=web1")
	low := must(t, home, "runbook", "propose", inc[:8], "evidence-process-list", "--param", "host=web1")
	out := must(t, home, "incident", "show", inc[:8])
	for _, want := range []string{
		"runbook proposals (tminus runbook approve ID, runbook exec ID):",
		prop[:10] + " host-quarantine step 1 by alice (high risk, quorum 2, approved by alice): awaiting approvals",
		low[:10] + " evidence-process-list step 1 by alice (low risk): ready to run",
		"\n    ssh ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("incident show lacks %q:\n%s", want, out)
		}
	}
}

// A note without its text, and sync given two peers, answered with cobra's
// "requires at least 2 arg(s), only received 1": what to give, in words.
func TestArgumentsSaidInWords(t *testing.T) {
	home, inc := newWorkspace(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"note", inc[:8]}, "tminus note: want the incident id, then the text"},
		{[]string{"note"}, "tminus note: want the incident id, then the text"},
		{[]string{"sync", "a", "b"}, "sync: give one ENODE, or --ssh HOST, or --stdio"},
		{[]string{"sync"}, "sync: give one ENODE, or --ssh HOST, or --stdio"},
	} {
		out, stderr, code := tminus(t, home, tc.args...)
		if code != 2 || out != "" || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "arg(s)") {
			t.Errorf("tminus %s: exit %d, stdout %q, stderr %q; want exit 2 saying %q", strings.Join(tc.args, " "), code, out, stderr, tc.want)
		}
	}
	if got := must(t, home, "note", inc[:8], "two", "words"); got == "" {
		t.Fatal("a note of several words printed no id")
	}
}

// evidence list padded every line with spaces past its last column, which
// a terminal hides and a diff or a pasted retro shows.
func TestEvidenceListNoTrailingSpaces(t *testing.T) {
	home, inc := newWorkspace(t)
	file := filepath.Join(t.TempDir(), "balances.csv")
	if err := os.WriteFile(file, []byte("block,balance\n19442001,1234.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "evidence", "add", inc[:8], file)
	out := must(t, home, "evidence", "list", inc[:8])
	if lines := strings.Split(out, "\n"); len(lines) != 2 || !strings.Contains(lines[1], "balances.csv") {
		t.Fatalf("evidence list: %q", out)
	}
	var untrimmed bytes.Buffer
	code := run(context.Background(), []string{"--home", home, "evidence", "list", inc[:8]}, strings.NewReader(""), &untrimmed, io.Discard)
	for i, line := range strings.Split(strings.TrimSuffix(untrimmed.String(), "\n"), "\n") {
		if code != 0 || strings.TrimRight(line, " \t") != line {
			t.Errorf("evidence list line %d ends in spaces (exit %d): %q", i+1, code, line)
		}
	}
}

// init and join wrote 127.0.0.1:30317 into config.yaml and into the enode
// they print, which the founder's genesis and member add --enode carry to
// the roster: three homes on one machine all claimed one port, and a
// teammate on another machine was told to dial 127.0.0.1. --listen sets the
// address serve listens on and the enode names.
func TestInitJoinListen(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	dir := t.TempDir()
	alice, bob := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	var founded, joined struct{ Enode string }
	if err := json.Unmarshal([]byte(must(t, alice, "init", "--name", "acme", "--handle", "alice", "--light-kdf", "--listen", "127.0.0.1:30401", "--json")), &founded); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(must(t, bob, "join", "--handle", "bob", "--light-kdf", "--listen", "10.0.0.5:30402", "--json")), &joined); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(founded.Enode, "@127.0.0.1:30401") || !strings.HasSuffix(joined.Enode, "@10.0.0.5:30402") {
		t.Fatalf("enodes: init %q, join %q", founded.Enode, joined.Enode)
	}
	var members []struct{ Enode string }
	if err := json.Unmarshal([]byte(must(t, alice, "member", "list", "--json")), &members); err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].Enode != founded.Enode {
		t.Fatalf("the roster names the founder at %+v, want %s", members, founded.Enode)
	}
	if cfg, err := os.ReadFile(filepath.Join(bob, "config.yaml")); err != nil || !strings.Contains(string(cfg), "listen: 10.0.0.5:30402") {
		t.Fatalf("bob's config.yaml (%v):\n%s", err, cfg)
	}
	for _, tc := range []struct{ cmd, listen, want string }{
		{"join", "0.0.0.0:30317", "want the IP teammates dial"},
		{"join", "[::]:30317", "want the IP teammates dial"},
		{"join", "laptop.lan:30317", "want the IP teammates dial"},
		{"join", "127.0.0.1", "want IP:PORT"},
		{"join", "127.0.0.1:0", "want a number 1..65535"},
		{"join", "127.0.0.1:70000", "want a number 1..65535"},
		{"init", "0.0.0.0:30317", "want the IP teammates dial"},
	} {
		home := filepath.Join(t.TempDir(), "h")
		args := []string{tc.cmd, "--handle", "carol", "--light-kdf", "--listen", tc.listen}
		if tc.cmd == "init" {
			args = append(args, "--name", "acme")
		}
		out, stderr, code := tminus(t, home, args...)
		if code != 2 || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s --listen %q: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.cmd, tc.listen, code, out, stderr, tc.want)
		}
		if _, err := os.Stat(home); !os.IsNotExist(err) {
			t.Errorf("%s --listen %q left %s behind (%v)", tc.cmd, tc.listen, home, err)
		}
	}
}

// peer list gave 128 hex digits of key per peer, so "who is cut off?"
// meant matching keys by eye, and a peer gone since the morning still
// read "BEHIND 0". It names each peer's member and shows no count for a
// peer it is not connected to.
func TestPeerListNamesMembers(t *testing.T) {
	home, _ := newWorkspace(t)
	bobHome := filepath.Join(t.TempDir(), "bob")
	var bob struct{ Address, Enode string }
	if err := json.Unmarshal([]byte(must(t, bobHome, "join", "--handle", "bob", "--light-kdf", "--listen", "127.0.0.1:30402", "--json")), &bob); err != nil {
		t.Fatal(err)
	}
	must(t, home, "member", "add", bob.Address, "--handle", "bob", "--role", "triage")
	stranger := strangerEnode(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 30409})
	must(t, home, "peer", "add", bob.Enode)
	must(t, home, "peer", "add", stranger)
	var rows []struct {
		Enode, Member string
		Connected     bool
		Behind        int64
	}
	if err := json.Unmarshal([]byte(must(t, home, "peer", "list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	members := map[string]string{}
	for _, r := range rows {
		members[r.Enode] = r.Member
	}
	if len(rows) != 2 || members[bob.Enode] != "bob" || members[stranger] != "" {
		t.Fatalf("peer list --json: %+v", rows)
	}
	out := must(t, home, "peer", "list")
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "MEMBER CONNECTED BEHIND LAST SEEN ENODE" {
		t.Fatalf("peer list:\n%s", out)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		want := "-"
		if strings.Contains(l, bob.Enode) {
			want = "bob"
		}
		if len(f) != 5 || f[0] != want || f[1] != "false" || f[2] != "-" {
			t.Errorf("peer list row %q: want member %s, not connected, no behind count", l, want)
		}
	}
}

// member add printed the proposal id alone whether the roster changed or
// not: alice's second add (quorum 2 by then) sat pending while she told
// carol to sync. What it waits for is said on stderr; stdout stays the id.
func TestMemberAddSaysPendingOrApplied(t *testing.T) {
	home, _ := newWorkspace(t)
	newAddr := func() string {
		var j struct{ Address string }
		if err := json.Unmarshal([]byte(must(t, filepath.Join(t.TempDir(), "h"), "join", "--handle", "someone", "--light-kdf", "--json")), &j); err != nil {
			t.Fatal(err)
		}
		return j.Address
	}
	bob, carol := newAddr(), newAddr()
	for _, tc := range []struct {
		addr, handle, want string
	}{
		{bob, "bob", "applied: the roster changed"},
		{carol, "carol", "pending: 1 of 2 approvals; it applies once other members run tminus member approve "},
	} {
		out, stderr, code := tminus(t, home, "member", "add", tc.addr, "--handle", tc.handle, "--role", "triage")
		if code != 0 || len(out) != 64 || !strings.Contains(stderr, tc.want) {
			t.Errorf("member add %s: exit %d, stdout %q, stderr %q; want the id alone and %q", tc.handle, code, out, stderr, tc.want)
		}
		if tc.handle == "carol" && !strings.Contains(stderr, "approve "+out[:10]) {
			t.Errorf("member add carol names no proposal to approve: %q", stderr)
		}
	}
}
