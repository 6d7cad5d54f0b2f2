package watch

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/tminus-ir/tminus/watch/watchtest"
)

func proxyTo(t *testing.T, target string) http.Handler {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// The RPC endpoint is down (nothing listens on its loopback port): the
// watcher backs off without crashing, and once the endpoint comes up on
// the same address it raises the alert it missed.
func TestSimRPCDownThenUp(t *testing.T) {
	c := newSimChain(t, true)
	r := c.Call("pause")
	port := watchtest.FreePort(t) // closed again: connections are refused
	client, err := ethclient.Dial("http://127.0.0.1:" + strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	errs := newErrorLog()
	sink := &recordingSink{}
	w := c.watcher(client, &memCursor{}, c.pausedRule(), func(cfg *ChainConfig) {
		cfg.BackoffMin, cfg.BackoffMax, cfg.OnError = 5*time.Millisecond, 40*time.Millisecond, errs.hear
	})
	stop := runWatcher(t, w, sink)
	defer stop()
	for _, err := range errs.waitFor(t, 4) {
		if !bytes.Contains([]byte(err.Error()), []byte("refused")) {
			t.Errorf("error %q does not say the connection was refused", err)
		}
	}
	if _, alerts := sink.stored(); len(alerts) != 0 {
		t.Fatal("alerts raised while the endpoint was down")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", port, err)
	}
	srv := &http.Server{Handler: proxyTo(t, c.RPCURL), ReadHeaderTimeout: time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	alerts := waitAlerts(t, sink, 1, 10*time.Second)
	if alerts[0].Fingerprint != wantFingerprint(r) || alerts[0].Severity != "P1" {
		t.Errorf("alert after recovery %+v", alerts[0])
	}
}

// junkRPC answers each JSON-RPC method wrongly the first two times, in
// rotating ways (HTML, broken JSON, a 500, a result of the wrong shape),
// then passes requests to the real node.
type junkRPC struct {
	mu    sync.Mutex
	real  http.Handler
	calls map[string]int
	junk  int
}

func (j *junkRPC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	_ = json.Unmarshal(body, &req)
	j.mu.Lock()
	j.calls[req.Method]++
	n := j.calls[req.Method]
	j.junk++
	kind := j.junk % 4
	j.mu.Unlock()
	if n > 2 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		j.real.ServeHTTP(w, r)
		return
	}
	switch kind {
	case 0:
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
	case 1:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(req.ID)+`,"result":`)
	case 2:
		http.Error(w, "upstream exploded", http.StatusInternalServerError)
	case 3:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(req.ID)+`,"result":[{"address":"0xzz","topics":"nope"}]}`)
	}
}

// The endpoint answers garbage to eth_chainId, eth_blockNumber and
// eth_getLogs: the watcher reports and backs off, never raises an alert
// from it, and recovers when the answers become sane.
func TestSimRPCGarbageThenSane(t *testing.T) {
	c := newSimChain(t, true)
	r := c.Call("pause")
	junk := &junkRPC{real: proxyTo(t, c.RPCURL), calls: map[string]int{}}
	srv := httptest.NewServer(junk) // listens on 127.0.0.1
	defer srv.Close()
	client, err := ethclient.Dial(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	errs := newErrorLog()
	sink := &recordingSink{}
	w := c.watcher(client, &memCursor{}, c.pausedRule(), func(cfg *ChainConfig) {
		cfg.BackoffMin, cfg.BackoffMax, cfg.OnError = 5*time.Millisecond, 40*time.Millisecond, errs.hear
	})
	stop := runWatcher(t, w, sink)
	defer stop()
	alerts := waitAlerts(t, sink, 1, 10*time.Second)
	if len(alerts) != 1 || alerts[0].Fingerprint != wantFingerprint(r) {
		t.Errorf("alerts after garbage %+v", alerts)
	}
	junk.mu.Lock()
	defer junk.mu.Unlock()
	for _, m := range []string{"eth_chainId", "eth_blockNumber", "eth_getLogs"} {
		if junk.calls[m] < 3 {
			t.Errorf("%s asked %d times, want garbage twice then a real answer", m, junk.calls[m])
		}
	}
	if got := len(errs.ch); got < 6 {
		t.Errorf("heard %d errors, want one per garbage answer (6)", got)
	}
}
