package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// strangerEnode is an enode URL of a fresh key at addr.
func strangerEnode(t *testing.T, addr *net.TCPAddr) string {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return enode.NewV4(&k.PublicKey, addr.IP, addr.Port, 0).URLv4()
}

// enodeName is how tminus names the node at url in errors when it does not
// know the key as a member's: the key's first 8 hex digits and host:port.
func enodeName(url string) string {
	key, rest, _ := strings.Cut(strings.TrimPrefix(url, "enode://"), "@")
	hostPort, _, _ := strings.Cut(rest, "?")
	return "enode://" + key[:8] + "…@" + hostPort
}

// `tminus sync` to a port nobody listens on fails at once and says so,
// naming the address, instead of waiting out --timeout.
func TestSyncClosedPortFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, _ := twoHomes(t, c)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	url := strangerEnode(t, addr)
	_, stderr, code := tryBinary(t, c.bin, c.env, a, "sync", url, "--timeout", "20s")
	if code == 0 {
		t.Fatal("sync with a closed port exited 0")
	}
	for _, want := range []string{"sync with " + enodeName(url), "connection refused"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "deadline exceeded") {
		t.Errorf("sync waited out its timeout: %s", stderr)
	}
}

// A device that is not a member, syncing with a member's serve, is told
// so, with the address a member would add, rather than "EOF".
func TestSyncNonMemberIsToldWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, _ := twoHomes(t, c)
	carol := filepath.Join(t.TempDir(), "carol")
	var joined struct{ Address string }
	if err := json.Unmarshal([]byte(c.run(carol, "join", "--handle", "carol", "--light-kdf", "--json")), &joined); err != nil {
		t.Fatal(err)
	}
	sa := c.serve(a)
	_, stderr, code := tryBinary(t, c.bin, c.env, carol, "sync", sa.enode, "--timeout", "20s")
	if code == 0 {
		t.Fatal("a non-member's sync exited 0")
	}
	for _, want := range []string{enodeName(sa.enode) + " refused this device: not a member of its workspace roster", "ask a member to add " + joined.Address} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
}

// With bob's serve connected to alice, alice refuses a second connection
// from bob's key: bob's `sync` says that his serve replicates with her and
// exits 0 once it is not behind. The same key in another home, with no
// node of its own connected, is told that something else uses the key.
func TestSyncBesideOwnServe(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	sa := c.serve(a)
	c.run(b, "peer", "add", sa.enode)
	// bob's key in a second home, as on a second machine
	twin := filepath.Join(t.TempDir(), "twin")
	if err := os.CopyFS(twin, os.DirFS(b)); err != nil {
		t.Fatal(err)
	}
	c.serve(b)
	type peerRow struct {
		Enode     string
		Connected bool
		Behind    int64
	}
	var rows []peerRow
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := json.Unmarshal([]byte(c.run(b, "peer", "list", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 && rows[0].Connected && rows[0].Behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's serve is not in step with alice within 30s: %+v", rows)
		}
	}
	out, stderr, code := tryBinary(t, c.bin, c.env, b, "sync", sa.enode, "--timeout", "20s")
	if code != 0 || !strings.Contains(stderr, "keeps this store in step with it: nothing is behind") || !strings.HasPrefix(out, "pulled 0") {
		t.Fatalf("sync beside bob's serve: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	_, stderr, code = tryBinary(t, c.bin, c.env, twin, "sync", sa.enode, "--timeout", "20s")
	if code == 0 || !strings.Contains(stderr, "already has a connection from this device's key") || !strings.Contains(stderr, "another process or machine is using this device's key") {
		t.Fatalf("sync from bob's key in a second home: exit %d, stderr %q", code, stderr)
	}
}
