package workspace

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// liveHome is a home with a config for a fresh key, and a listener on its
// node socket as a running serve holds, until the test ends.
func liveHome(t *testing.T) (*Home, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &Home{Dir: dir}
	cfg := fmt.Sprintf("address: %s\nhandle: alice\npubkey: %x\n", crypto.PubkeyToAddress(key.PublicKey).Hex(), crypto.FromECDSAPub(&key.PublicKey))
	if err := os.WriteFile(h.ConfigPath(), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", h.NodeSock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	own, err := h.Enode()
	if err != nil {
		t.Fatal(err)
	}
	return h, strings.Replace(own, DefaultListen, "127.0.0.1:41234", 1)
}

// A running node's record is what LiveEnode reports, and only while it is
// believable: written by a live process, for this home's key, with a node
// on the socket. Scenarios mirror LiveEnode's checks.
func TestLiveEnode(t *testing.T) {
	h, url := liveHome(t)
	if got := h.LiveEnode(); got != "" {
		t.Fatalf("no record: got %q", got)
	}
	forget, err := h.RecordNode(url)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.LiveEnode(); got != url {
		t.Fatalf("recorded: got %q, want %q", got, url)
	}
	forget()
	if got := h.LiveEnode(); got != "" {
		t.Fatalf("forgotten: got %q", got)
	}

	other, _ := crypto.GenerateKey()
	stranger := fmt.Sprintf("enode://%x@127.0.0.1:1", crypto.FromECDSAPub(&other.PublicKey)[1:])
	if _, err := h.RecordNode(stranger); err == nil || !strings.Contains(err.Error(), "another key's") {
		t.Errorf("RecordNode of another key: %v", err)
	}
	if _, err := h.RecordNode("not an enode"); err == nil {
		t.Error("RecordNode accepted garbage")
	}
	for _, tc := range []struct{ name, record string }{
		{"dead process", fmt.Sprintf(`{"enode":%q,"pid":%d}`, url, 1<<30)},
		{"no pid", fmt.Sprintf(`{"enode":%q}`, url)},
		{"another key", fmt.Sprintf(`{"enode":%q,"pid":%d}`, stranger, os.Getpid())},
		{"garbage", "\x00\x01not json"},
		{"oversized", `{"enode":"` + strings.Repeat("a", 8<<10) + `","pid":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(h.Dir, "node.live"), []byte(tc.record), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := h.LiveEnode(); got != "" {
				t.Errorf("believed %q", got)
			}
		})
	}

	// A record whose node socket no one answers on (the serve crashed and
	// its pid went to another process) is not believed.
	if _, err := h.RecordNode(url); err != nil {
		t.Fatal(err)
	}
	os.Remove(h.NodeSock())
	if got := h.LiveEnode(); got != "" {
		t.Errorf("no node on the socket: believed %q", got)
	}
}
