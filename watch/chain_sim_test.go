package watch

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/tminus-ir/tminus/watch/watchtest"
)

// simChain is watchtest's chain with the watcher's own helpers.
type simChain struct{ *watchtest.Chain }

func newSimChain(t *testing.T, withHTTP bool) *simChain {
	return &simChain{watchtest.NewChain(t, withHTTP)}
}

func (c *simChain) watcher(backend ChainBackend, cursor Cursor, rules []ChainRule, tune func(*ChainConfig)) *ChainWatcher {
	c.T.Helper()
	cfg := ChainConfig{Name: "pausable", ChainID: watchtest.ChainID, Rules: rules, Start: 1,
		Poll: 10 * time.Millisecond, CallTimeout: 2 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	w, err := NewChainWatcher(backend, cursor, cfg)
	if err != nil {
		c.T.Fatal(err)
	}
	return w
}

func (c *simChain) pausedRule() []ChainRule {
	return []ChainRule{{Name: "bridge paused", Event: EventPaused, Severity: "P1", Addresses: []common.Address{c.Contract}}}
}

func poll(t *testing.T, w *ChainWatcher, sink Sink) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := w.Poll(ctx, sink)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantFingerprint(r *types.Receipt) string {
	return strings.ToLower(r.TxHash.Hex()) + ":" + strconv.FormatUint(uint64(r.Logs[0].Index), 10)
}

func TestSimPauseRaisesP1(t *testing.T) {
	c := newSimChain(t, false)
	sink := &recordingSink{}
	w := c.watcher(c.Client, &memCursor{}, append(c.pausedRule(),
		ChainRule{Name: "owner changed", Event: "OwnershipTransferred", Severity: "P2", Addresses: []common.Address{c.Contract}}), nil)
	if n := poll(t, w, sink); n != 0 {
		t.Fatalf("deploying raised %d alerts, want none", n)
	}
	r := c.Call("pause")
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("pause raised %d alerts, want 1", n)
	}
	_, alerts := sink.stored()
	a := alerts[0]
	contract := strings.ToLower(c.Contract.Hex())
	if a.Fingerprint != wantFingerprint(r) || a.Severity != "P1" || a.Status != StatusFiring || a.Source != SourceChain {
		t.Errorf("alert %+v, want P1 firing with fingerprint %s", a, wantFingerprint(r))
	}
	if want := "Paused(address) on " + contract[:8] + "… (bridge paused)"; a.Title != want {
		t.Errorf("title %q, want %q", a.Title, want)
	}
	for k, v := range map[string]string{
		"chain_id": "1337", "contract": contract, "event": EventPaused, "tx": strings.ToLower(r.TxHash.Hex()),
		"block": r.BlockNumber.String(), "log_index": strconv.FormatUint(uint64(r.Logs[0].Index), 10),
	} {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
	if a.StartsAt.IsZero() {
		t.Error("no block time on the alert")
	}
	newOwner := common.HexToAddress("0x00000000000000000000000000000000000000b0")
	r = c.Call("transferOwnership", newOwner)
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("transferOwnership raised %d alerts, want 1", n)
	}
	if _, alerts = sink.stored(); alerts[1].Fingerprint != wantFingerprint(r) || alerts[1].Severity != "P2" {
		t.Errorf("ownership alert %+v", alerts[1])
	}
}

// value > MinValue, strictly: below and equal raise nothing, above raises one.
func TestSimTransferThreshold(t *testing.T) {
	c := newSimChain(t, false)
	sink := &recordingSink{}
	threshold := new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))
	w := c.watcher(c.Client, &memCursor{}, []ChainRule{{Name: "large transfer", Event: EventTransfer, Severity: "P2",
		Addresses: []common.Address{c.Contract}, MinValue: threshold}}, nil)
	to := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	c.Call("transfer", to, new(big.Int).Sub(threshold, big.NewInt(1)))
	c.Call("transfer", to, threshold)
	if n := poll(t, w, sink); n != 0 {
		t.Fatalf("transfers at or below the threshold raised %d alerts", n)
	}
	above := new(big.Int).Add(threshold, big.NewInt(1))
	r := c.Call("transfer", to, above)
	if n := poll(t, w, sink); n != 1 {
		t.Fatalf("transfer above the threshold raised %d alerts, want 1", n)
	}
	if _, alerts := sink.stored(); alerts[0].Fingerprint != wantFingerprint(r) || alerts[0].Labels["value"] != above.String() {
		t.Errorf("alert %+v", alerts[0])
	}
}

// A new watcher on the same cursor (a restart) resumes after the last
// scanned block: nothing is raised twice, nothing is skipped.
func TestSimCursorSurvivesRestart(t *testing.T) {
	c := newSimChain(t, false)
	cursor := &memCursor{}
	sink := &recordingSink{}
	c.Call("pause")
	if n := poll(t, c.watcher(c.Client, cursor, c.pausedRule(), nil), sink); n != 1 {
		t.Fatalf("first run raised %d alerts, want 1", n)
	}
	c.Call("unpause")
	r := c.Call("pause")
	restarted := c.watcher(c.Client, cursor, c.pausedRule(), nil)
	if n := poll(t, restarted, sink); n != 1 {
		t.Fatalf("after restart raised %d alerts, want only the new pause", n)
	}
	if _, alerts := sink.stored(); alerts[1].Fingerprint != wantFingerprint(r) || alerts[0].Fingerprint == alerts[1].Fingerprint {
		t.Errorf("alerts %s then %s, want the second to be %s", alerts[0].Fingerprint, alerts[1].Fingerprint, wantFingerprint(r))
	}
	if n := poll(t, restarted, sink); n != 0 {
		t.Errorf("a poll with no new blocks raised %d", n)
	}
}

// waitAlerts waits for the sink to hold n alerts, bounded in time.
func waitAlerts(t *testing.T, sink *recordingSink, n int, within time.Duration) []Alert {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if _, alerts := sink.stored(); len(alerts) >= n {
			return alerts
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, alerts := sink.stored()
	t.Fatalf("after %v the sink holds %d alerts, want %d", within, len(alerts), n)
	return nil
}

// errorLog collects what Run reports, safe for the watcher goroutine.
type errorLog struct {
	ch chan error
}

func newErrorLog() *errorLog { return &errorLog{ch: make(chan error, 1000)} }

func (e *errorLog) hear(err error, _ time.Duration) {
	select {
	case e.ch <- err:
	default:
	}
}

func (e *errorLog) waitFor(t *testing.T, n int) []error {
	t.Helper()
	var errs []error
	timeout := time.After(10 * time.Second)
	for len(errs) < n {
		select {
		case err := <-e.ch:
			errs = append(errs, err)
		case <-timeout:
			t.Fatalf("heard %d errors, want %d", len(errs), n)
		}
	}
	return errs
}

func runWatcher(t *testing.T, w *ChainWatcher, sink Sink) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, sink) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop after cancel")
		}
	}
}
