package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/tminus-ir/tminus/watch/watchtest"
	"github.com/tminus-ir/tminus/workspace"
)

// A watcher config serve could only half use stops it at startup, naming
// the file and what to fix, and stores nothing: two watchers of one name
// (they would share a cursor and skip each other's blocks), a watcher
// without rpc (ethclient said "dial unix: missing address"), and a
// mixed-case address whose EIP-55 checksum is wrong (a typo that would
// watch nothing).
func TestServeRefusesBadWatcherConfig(t *testing.T) {
	target := "0xd981f978acb667dc848e8dda5f8448e7e023582b"
	rule := func(addr string) []workspace.WatcherRule {
		return []workspace.WatcherRule{{Name: "paused", Event: "Paused", Severity: "P1", Addresses: []string{addr}}}
	}
	for _, tc := range []struct {
		name     string
		watchers []workspace.WatcherConfig
		want     []string
	}{
		{"two watchers named alike", []workspace.WatcherConfig{
			{Name: "dev", RPC: "http://127.0.0.1:1", ChainID: 1337, Rules: rule(target)},
			{Name: "dev", RPC: "http://127.0.0.1:2", ChainID: 1337, Rules: rule(target)},
		}, []string{`watchers 1 and 2 are both named "dev"`, "give each its own name"}},
		{"two unnamed watchers of one endpoint", []workspace.WatcherConfig{
			{RPC: "http://127.0.0.1:1", ChainID: 1337, Rules: rule(target)},
			{RPC: "http://127.0.0.1:1", ChainID: 1337, Rules: rule(target)},
		}, []string{`both named "http://127.0.0.1:1#1337"`}},
		{"no rpc", []workspace.WatcherConfig{{Name: "dev", ChainID: 1337, Rules: rule(target)}},
			[]string{"watcher dev: no rpc", "rpc: http://"}},
		{"an rpc no client speaks", []workspace.WatcherConfig{{Name: "dev", RPC: "ftp://127.0.0.1:1", ChainID: 1337, Rules: rule(target)}},
			[]string{`rpc "ftp://127.0.0.1:1": want an http(s):// or ws(s):// URL`}},
		{"wrong checksum", []workspace.WatcherConfig{{Name: "dev", RPC: "http://127.0.0.1:1", ChainID: 1337,
			Rules: rule("0xD981f978acB667dC848E8dda5f8448e7e023582b")}}, []string{"rule paused", "bad EIP-55 checksum"}},
		{"short address", []workspace.WatcherConfig{{Name: "dev", RPC: "http://127.0.0.1:1", ChainID: 1337,
			Rules: rule(target[:41])}}, []string{"rule paused", "want 0x and 40 hex digits"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, _ := newWorkspace(t)
			setConfig(t, home, func(c *workspace.Config) { c.Watchers = tc.watchers })
			before := must(t, home, "log", "--json")
			code, last := serveRefused(t, home)
			for _, want := range append([]string{"tminus: ", filepath.Join(home, "config.yaml")}, tc.want...) {
				if !strings.Contains(last, want) {
					t.Errorf("stderr %q does not say %q", last, want)
				}
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if after := must(t, home, "log", "--json"); after != before {
				t.Errorf("the refused serve stored events:\n%s", after)
			}
		})
	}
}

// TestWatcherBlindE2E runs the real serve against a simulated chain behind
// a proxy the test can take down: a watcher whose node stops answering
// raises an alert about itself once blind_after has passed (a blind watcher
// looks like a quiet chain), catches up on what it missed when the node is
// back, and resolves that alert.
func TestWatcherBlindE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := binary(t)
	chain := watchtest.NewChain(t, true)
	u, err := url.Parse(chain.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(u)
	port := watchtest.FreePort(t)
	srv := &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(port), ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "node down", http.StatusBadGateway)
				return
			}
			proxy.ServeHTTP(w, r)
		})}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })

	e := newServeE2E(t, bin)
	setConfig(t, e.home, func(c *workspace.Config) {
		c.Watchers = []workspace.WatcherConfig{{Name: "bridge", RPC: "http://" + srv.Addr, ChainID: watchtest.ChainID,
			Poll: 50 * time.Millisecond, BlindAfter: 300 * time.Millisecond,
			Rules: []workspace.WatcherRule{{Name: "bridge paused", Event: "Paused", Severity: "P1", Addresses: []string{chain.Contract.Hex()}},
				{Name: "bridge unpaused", Event: "Unpaused", Severity: "P3", Addresses: []string{chain.Contract.Hex()}}}}}
	})
	e.serve()
	// A first alert shows the watcher scanning (it starts at the head, so
	// the block mined while it is blind must come after its first scan).
	r := chain.Call("pause")
	e.waitAlert(chainFingerprint(r), 20*time.Second, func(a alertView) bool { return a.Status == "firing" })

	down.Store(true)
	a := e.waitAlert(e.watcherFP("bridge"), 20*time.Second, func(a alertView) bool { return a.Status == "firing" })
	if a.Severity != "P2" || a.Source != "tminus" || !strings.Contains(a.Title, "Watcher bridge (alice) blind since") ||
		!strings.Contains(a.Labels["error"], "502") {
		t.Errorf("blind alert %+v", a)
	}
	r = chain.Call("unpause") // mined while the watcher is blind

	down.Store(false)
	a = e.waitAlert(e.watcherFP("bridge"), 30*time.Second, func(a alertView) bool { return a.Status == "resolved" })
	if !strings.Contains(a.Title, "scans the chain again") {
		t.Errorf("resolved alert %+v", a)
	}
	e.waitAlert(chainFingerprint(r), 20*time.Second, func(a alertView) bool { return a.Status == "firing" && a.Severity == "P3" })
	if !strings.Contains(e.stderr.String(), "watcher bridge scans again after") {
		t.Errorf("serve's stderr does not say the watcher sees again:\n%s", e.stderr)
	}
}

func chainFingerprint(r *types.Receipt) string {
	return strings.ToLower(r.TxHash.Hex()) + ":" + strconv.FormatUint(uint64(r.Logs[0].Index), 10)
}

// A WebSocket endpoint down when serve starts: ethclient dials a WebSocket
// at once, and that used to stop serve, webhook and all. Now serve runs,
// and the watcher, blind, raises its alert.
func TestWatcherWebSocketDownAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	e := newServeE2E(t, binary(t))
	setConfig(t, e.home, func(c *workspace.Config) {
		c.Watchers = []workspace.WatcherConfig{{Name: "bridge", RPC: "ws://127.0.0.1:" + strconv.Itoa(watchtest.FreePort(t)),
			ChainID: watchtest.ChainID, Poll: 50 * time.Millisecond, BlindAfter: 300 * time.Millisecond,
			Rules: []workspace.WatcherRule{{Name: "bridge paused", Event: "Paused", Severity: "P1"}}}}
	})
	e.serve() // fails the test if serve exits
	a := e.waitAlert(e.watcherFP("bridge"), 20*time.Second, func(a alertView) bool { return a.Status == "firing" })
	if !strings.Contains(a.Title, "blind since") || !strings.Contains(a.Labels["error"], "dialing ws://") {
		t.Errorf("blind alert %+v", a)
	}
}
