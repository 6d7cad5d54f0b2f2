package watch

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// memCursor is the Cursor a store would provide, kept in memory.
type memCursor struct {
	mu    sync.Mutex
	last  map[string]uint64
	saves int
}

func (c *memCursor) Load(w string) (uint64, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.last[w]
	return b, ok, nil
}

func (c *memCursor) Save(w string, b uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]uint64{}
	}
	c.last[w] = b
	c.saves++
	return nil
}

// fakeChain is a scripted endpoint: it serves logs by block range from a
// list the test edits, and fails the next failures calls.
type fakeChain struct {
	mu       sync.Mutex
	chainID  uint64
	head     uint64
	logs     []types.Log
	times    map[uint64]uint64
	failures int
	queries  [][2]uint64
	headers  []uint64 // block numbers asked for, in order
	// forks salts the headers of the blocks it names, as a reorg would
	// replace them with other blocks at the same heights.
	forks map[uint64]byte
}

func (f *fakeChain) fail() error {
	if f.failures > 0 {
		f.failures--
		return errors.New("fake: 429 too many requests")
	}
	return nil
}

func (f *fakeChain) ChainID(context.Context) (*big.Int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return new(big.Int).SetUint64(f.chainID), f.fail()
}

func (f *fakeChain) BlockNumber(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head, f.fail()
}

func (f *fakeChain) HeaderByNumber(_ context.Context, n *big.Int) (*types.Header, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.headers = append(f.headers, n.Uint64())
	return f.header(n.Uint64()), f.fail()
}

func (f *fakeChain) header(n uint64) *types.Header {
	h := &types.Header{Number: new(big.Int).SetUint64(n), Time: f.times[n]}
	if salt, ok := f.forks[n]; ok {
		h.Extra = []byte{salt}
	}
	return h
}

func (f *fakeChain) FilterLogs(_ context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return nil, err
	}
	from, to := q.FromBlock.Uint64(), q.ToBlock.Uint64()
	f.queries = append(f.queries, [2]uint64{from, to})
	var out []types.Log
	for _, l := range f.logs {
		if l.Removed || (l.BlockNumber >= from && l.BlockNumber <= to) {
			out = append(out, l)
		}
	}
	return out, nil
}

var (
	vault   = common.HexToAddress("0x00000000000000000000000000000000000Ba117")
	other   = common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	pausedT = EventTopic(EventPaused)
)

func pausedLog(block uint64, tx byte, index uint) types.Log {
	return types.Log{
		Address: vault, Topics: []common.Hash{pausedT}, Data: make([]byte, 32),
		BlockNumber: block, BlockHash: common.Hash{byte(block)}, TxHash: common.Hash{tx}, Index: index,
	}
}

func TestEventTopics(t *testing.T) {
	// Topic 0 values as published on Etherscan / 4byte.directory.
	for sig, want := range map[string]string{
		EventTransfer:             "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
		EventPaused:               "0x62e78cea01bee320cd4e420270b5ea74000d11b0c9f74754ebdbfc544b05a258",
		EventUnpaused:             "0x5db9ee0a495bf2e6ff9c91a7834c1ba4fdd244a5e8aa4e537bd38aeae4b073aa",
		EventOwnershipTransferred: "0x8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0",
		EventUpgraded:             "0xbc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b",
		EventChangedThreshold:     "0x610f7ff2b304ae8903c3de74c60c6ab1f7d6226b3f52c5161905bb5ad4039c93",
	} {
		if got := EventTopic(sig).Hex(); got != want {
			t.Errorf("EventTopic(%s) = %s, want %s", sig, got, want)
		}
	}
}

func TestChainRuleChecks(t *testing.T) {
	for _, tc := range []struct {
		rule   ChainRule
		reason string
	}{
		{ChainRule{Event: EventPaused}, "no name"},
		{ChainRule{Name: "x", Event: "Paused"}, ""}, // well-known bare name
		{ChainRule{Name: "x", Event: "Transfer(address, address, uint256)"}, ""},
		{ChainRule{Name: "x", Event: "Paused(address"}, "not a canonical signature"},
		{ChainRule{Name: "x", Event: "Paused(address);"}, "not a canonical signature"},
		{ChainRule{Name: "x", Event: EventPaused, Severity: "P0"}, `severity "P0"`},
		{ChainRule{Name: "x", Event: EventTransfer, MinValue: big.NewInt(-1)}, "negative MinValue"},
	} {
		_, err := NewChainWatcher(&fakeChain{}, &memCursor{}, ChainConfig{Name: "w", ChainID: 1, Rules: []ChainRule{tc.rule}})
		if tc.reason == "" && err != nil || tc.reason != "" && (err == nil || !strings.Contains(err.Error(), tc.reason)) {
			t.Errorf("%+v: got %v, want %q", tc.rule, err, tc.reason)
		}
	}
}

func newFakeWatcher(t *testing.T, f *fakeChain, c Cursor, cfg ChainConfig) *ChainWatcher {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "vault"
	}
	if cfg.Rules == nil {
		cfg.Rules = []ChainRule{{Name: "vault paused", Event: EventPaused, Severity: "P1", Addresses: []common.Address{vault}}}
	}
	cfg.ChainID = f.chainID
	w, err := NewChainWatcher(f, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A reorg removes a log after its alert was raised: the watcher sends the
// same fingerprint again, resolved and marked, so the store keeps the
// record and shows it as reorged.
func TestChainReorgMarksAlert(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	f := &fakeChain{chainID: 1, head: 5, logs: []types.Log{pausedLog(3, 0xaa, 7)}, times: map[uint64]uint64{3: 1700000000}}
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{Start: 1, Now: func() time.Time { return now }})
	sink := &recordingSink{}
	if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
		t.Fatalf("first poll: %d, %v", n, err)
	}
	removed := pausedLog(3, 0xaa, 7)
	removed.Removed = true
	f.logs, f.head = []types.Log{removed}, 6
	if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
		t.Fatalf("poll after reorg: %d, %v", n, err)
	}
	_, alerts := sink.stored()
	fire, gone := alerts[0], alerts[1]
	wantFP := "0xaa00000000000000000000000000000000000000000000000000000000000000:7"
	if fire.Fingerprint != wantFP || gone.Fingerprint != wantFP {
		t.Fatalf("fingerprints %s and %s, want both %s", fire.Fingerprint, gone.Fingerprint, wantFP)
	}
	if fire.Reorged || fire.Status != StatusFiring || !fire.StartsAt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("first alert %+v", fire)
	}
	if !gone.Reorged || gone.Status != StatusResolved || gone.Labels["reorged"] != "true" || !gone.EndsAt.Equal(now) {
		t.Errorf("reorged alert not marked: %+v", gone)
	}
	if n := slices.Index(f.headers, 3); n < 0 || slices.Index(f.headers[n+1:], 3) >= 0 {
		t.Errorf("headers asked %v, want block 3 once (none for the removed log's stale block)", f.headers)
	}
}

// Scans stay MaxRange blocks wide, stop Confirmations short of the head,
// and halve after a failure, growing back after successes.
func TestChainScanRanges(t *testing.T) {
	f := &fakeChain{chainID: 1, head: 13}
	c := &memCursor{}
	w := newFakeWatcher(t, f, c, ChainConfig{Start: 1, MaxRange: 4, Confirmations: 3})
	if _, err := w.Poll(context.Background(), &recordingSink{}); err != nil {
		t.Fatal(err)
	}
	want := [][2]uint64{{1, 4}, {5, 8}, {9, 10}}
	if len(f.queries) != len(want) {
		t.Fatalf("queries %v, want %v", f.queries, want)
	}
	for i := range want {
		if f.queries[i] != want[i] {
			t.Fatalf("queries %v, want %v", f.queries, want)
		}
	}
	if c.last["vault"] != 10 {
		t.Errorf("cursor at %d, want 10 (head 13 minus 3 confirmations)", c.last["vault"])
	}
	f.head, f.failures, f.queries = 23, 0, nil
	f.logs = nil
	// Fail eth_getLogs once: the retry asks for half the range.
	w.backend = &failLogsOnce{fakeChain: f}
	if _, err := w.Poll(context.Background(), &recordingSink{}); err == nil {
		t.Fatal("want the injected failure")
	}
	if _, err := w.Poll(context.Background(), &recordingSink{}); err != nil {
		t.Fatal(err)
	}
	want = [][2]uint64{{11, 12}, {13, 16}, {17, 20}}
	for i := range want {
		if f.queries[i] != want[i] {
			t.Fatalf("after a failure, queries %v, want %v", f.queries, want)
		}
	}
}

type failLogsOnce struct {
	*fakeChain
	failed bool
}

func (f *failLogsOnce) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if !f.failed {
		f.failed = true
		return nil, errors.New("fake: query returned more than 10000 results")
	}
	return f.fakeChain.FilterLogs(ctx, q)
}

// Logs the node should not have returned (another contract, another
// event, another range) raise nothing; two rules matching one log raise
// one alert, under the more severe rule.
func TestChainMatchesLocally(t *testing.T) {
	big1 := make([]byte, 32)
	big1[0] = 1 // 2^248, above any threshold here
	transfer := func(addr common.Address, block uint64, tx byte, data []byte) types.Log {
		return types.Log{Address: addr, Topics: []common.Hash{EventTopic(EventTransfer), {}, {}}, Data: data,
			BlockNumber: block, TxHash: common.Hash{tx}, BlockTimestamp: 1700000000}
	}
	f := &fakeChain{chainID: 10, head: 5, logs: []types.Log{
		transfer(vault, 2, 1, big1),
		transfer(other, 2, 2, big1),                              // not a watched contract
		transfer(vault, 9, 3, big1),                              // outside the range asked
		transfer(vault, 2, 4, nil),                               // ERC-721 style: no value word
		{Address: vault, BlockNumber: 2, TxHash: common.Hash{5}}, // anonymous, no topics
	}}
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{Start: 1, Rules: []ChainRule{
		{Name: "large transfer", Event: "Transfer", Severity: "P3", Addresses: []common.Address{vault}, MinValue: big.NewInt(1000)},
		{Name: "huge transfer", Event: "Transfer", Severity: "P1", Addresses: []common.Address{vault}, MinValue: big.NewInt(1_000_000)},
	}})
	sink := &recordingSink{}
	if n, err := w.Poll(context.Background(), sink); err != nil || n != 1 {
		t.Fatalf("got %d alerts, %v; want 1", n, err)
	}
	_, alerts := sink.stored()
	a := alerts[0]
	if a.Severity != "P1" || a.Labels["rule"] != "huge transfer" || a.Labels["chain_id"] != "10" ||
		a.Labels["value"] != new(big.Int).SetBytes(big1).String() || a.Source != SourceChain {
		t.Errorf("alert %+v", a)
	}
}

func TestChainRunStopsOnWrongChain(t *testing.T) {
	f := &fakeChain{chainID: 1, head: 5}
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{})
	w.cfg.ChainID = 137
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Run(ctx, &recordingSink{}); !errors.Is(err, ErrWrongChain) || !strings.Contains(err.Error(), "137") {
		t.Fatalf("got %v, want ErrWrongChain naming both chains", err)
	}
}

// Back-off doubles from BackoffMin to BackoffMax while the endpoint fails,
// and resets once a scan succeeds.
func TestChainBackoffSchedule(t *testing.T) {
	f := &fakeChain{chainID: 1, head: 5, failures: 6}
	var mu sync.Mutex
	var waits []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w := newFakeWatcher(t, f, &memCursor{}, ChainConfig{
		Poll: 5 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: 8 * time.Millisecond,
		OnError: func(err error, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			if len(waits) == 6 {
				// Fail once more after the recovery below.
				go func() {
					time.Sleep(50 * time.Millisecond)
					f.mu.Lock()
					f.failures = 1
					f.mu.Unlock()
				}()
			}
			if len(waits) == 7 {
				cancel()
			}
		},
	})
	if err := w.Run(ctx, &recordingSink{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	want := []time.Duration{1, 2, 4, 8, 8, 8, 1}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}
