package main

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

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
	_, stderr, code := tryBinary(t, c.bin, c.env, a, "sync", strangerEnode(t, addr), "--timeout", "20s")
	if code == 0 {
		t.Fatal("sync with a closed port exited 0")
	}
	for _, want := range []string{"connection refused", addr.String()} {
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
	for _, want := range []string{"refused this device: not a member of its workspace roster", "ask a member to add " + joined.Address} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
}
