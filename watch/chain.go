package watch

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ChainBackend is what a watcher asks of a JSON-RPC endpoint.
// *ethclient.Client and the simulated backend's Client satisfy it.
type ChainBackend interface {
	ChainID(ctx context.Context) (*big.Int, error)
	BlockNumber(ctx context.Context) (uint64, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
}

// Cursor persists the last block a watcher has fully scanned, so a restart
// resumes there instead of rescanning or skipping blocks.
type Cursor interface {
	Load(watcher string) (block uint64, ok bool, err error)
	Save(watcher string, block uint64) error
}

// ErrWrongChain means the endpoint serves another chain than configured;
// Run stops on it, as retrying cannot help and alerts would carry a wrong
// chain_id.
var ErrWrongChain = errors.New("watch: endpoint serves a different chain")

// ChainConfig configures a ChainWatcher. Zero durations mean the defaults.
type ChainConfig struct {
	// Name keys the cursor; it must be unique among a node's watchers.
	Name    string
	ChainID uint64
	Rules   []ChainRule
	// Poll is the wait between scans once caught up (default 12s, one
	// mainnet slot).
	Poll time.Duration
	// Confirmations is how many blocks behind the head to stay, so that
	// shallow reorgs rarely reach an alert.
	Confirmations uint64
	// ReorgDepth is how far below the last scanned block the watcher keeps
	// block hashes and the alerts it raised, to notice a reorg that replaced
	// blocks it already scanned (default 64 blocks, two mainnet epochs:
	// older blocks are final). Such alerts are sent again marked Reorged.
	ReorgDepth uint64
	// MaxRange bounds one eth_getLogs call, in blocks (default 2,000, the
	// smallest limit common among hosted providers).
	MaxRange uint64
	// Start is the first block to scan when the cursor has none; 0 means
	// the current confirmed head, so a new watcher does not replay history.
	Start uint64
	// BackoffMin and BackoffMax bound the exponential wait after a failed
	// scan (defaults 1s and 1m: a node back after an outage is seen within
	// a minute, while a rate-limiting provider gets one call a minute; 5m
	// left a watcher blind for minutes after a geth restart). CallTimeout
	// bounds one RPC (default 30s).
	BackoffMin, BackoffMax time.Duration
	CallTimeout            time.Duration
	// OnError hears every failed scan and the wait before the next; nil
	// drops them.
	OnError func(err error, retryIn time.Duration)
	// BlindAfter is how long scans may fail in a row before OnBlind hears
	// of it (default 1m). A watcher that cannot reach its node looks like
	// a quiet chain, so the outage must reach the responders, not only a
	// log line.
	BlindAfter time.Duration
	// OnBlind is called once when every scan has failed for BlindAfter,
	// with the last error and when the failures began. OnSight is called
	// after the first scan of a Run that succeeds, and after the first
	// one that succeeds following OnBlind, with how long the watcher was
	// blind (0 for the first scan), so a caller can clear what it raised.
	// nil drops them.
	OnBlind func(err error, since time.Time)
	OnSight func(blindFor time.Duration)
	// Now is the clock stamped on reorged alerts; nil means time.Now.
	Now func() time.Time
}

// ChainWatcher polls eth_getLogs for its rules' events and hands matching
// logs to a Sink as alerts. It is not safe for concurrent use.
type ChainWatcher struct {
	backend ChainBackend
	cursor  Cursor
	cfg     ChainConfig
	rules   []compiledRule
	query   ethereum.FilterQuery
	span    uint64 // current range per call, shrunk after errors
	checked bool   // chain id verified
	next    uint64 // first block not yet scanned, valid when positioned
	placed  bool
	// recent holds the scanned ranges that end within ReorgDepth of the
	// newest, ascending, all from one chain.
	recent []checkpoint
	// orphans are alerts raised from blocks a reorg replaced, by
	// fingerprint; a rescan that finds a log again takes it out. Those left
	// once the rescan passes rescanTo are sent marked Reorged.
	orphans  map[string]Alert
	rescanTo uint64
}

// NewChainWatcher checks cfg and returns a watcher; it makes no RPC call.
func NewChainWatcher(backend ChainBackend, cursor Cursor, cfg ChainConfig) (*ChainWatcher, error) {
	if backend == nil || cursor == nil {
		return nil, errors.New("watch: chain watcher needs a backend and a cursor")
	}
	if cfg.Name == "" {
		return nil, errors.New("watch: chain watcher needs a name (it keys the cursor)")
	}
	if cfg.ChainID == 0 {
		return nil, fmt.Errorf("watch: chain watcher %q needs its chain id (1 for Ethereum mainnet)", cfg.Name)
	}
	if len(cfg.Rules) == 0 {
		return nil, fmt.Errorf("watch: chain watcher %q has no rules", cfg.Name)
	}
	// Zero means the default; below zero is a mistake that used to mean it too.
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"poll", cfg.Poll}, {"blind_after", cfg.BlindAfter}, {"BackoffMin", cfg.BackoffMin},
		{"BackoffMax", cfg.BackoffMax}, {"CallTimeout", cfg.CallTimeout}} {
		if d.v < 0 {
			return nil, fmt.Errorf("watch: chain watcher %q: %s %s: want a positive duration (leave it out for the default)",
				cfg.Name, d.name, d.v)
		}
	}
	setDefault(&cfg.Poll, 12*time.Second)
	setDefault(&cfg.BackoffMin, time.Second)
	setDefault(&cfg.BackoffMax, time.Minute)
	setDefault(&cfg.CallTimeout, 30*time.Second)
	setDefault(&cfg.BlindAfter, time.Minute)
	if cfg.MaxRange == 0 {
		cfg.MaxRange = 2000
	}
	if cfg.ReorgDepth == 0 {
		cfg.ReorgDepth = 64
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = cfg.BackoffMin
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &ChainWatcher{backend: backend, cursor: cursor, cfg: cfg, span: cfg.MaxRange}
	var topics []common.Hash
	var addrs []common.Address
	anyAddress := false
	seenTopic := map[common.Hash]bool{}
	seenAddr := map[common.Address]bool{}
	for _, r := range cfg.Rules {
		c, err := compileRule(r)
		if err != nil {
			return nil, err
		}
		w.rules = append(w.rules, c)
		if !seenTopic[c.topic] {
			seenTopic[c.topic] = true
			topics = append(topics, c.topic)
		}
		anyAddress = anyAddress || len(c.Addresses) == 0
		for _, a := range c.Addresses {
			if !seenAddr[a] {
				seenAddr[a] = true
				addrs = append(addrs, a)
			}
		}
	}
	if anyAddress {
		addrs = nil
	}
	w.query = ethereum.FilterQuery{Addresses: addrs, Topics: [][]common.Hash{topics}}
	return w, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Run scans until ctx ends, waiting Poll between scans and backing off
// exponentially (BackoffMin doubling up to BackoffMax) after failures, which
// it reports to OnError. It returns ctx's error, or ErrWrongChain.
func (w *ChainWatcher) Run(ctx context.Context, sink Sink) error {
	var backoff time.Duration
	h := health{cfg: &w.cfg}
	for {
		_, err := w.Poll(ctx, sink)
		wait := w.cfg.Poll
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrWrongChain):
			return err
		case err != nil:
			backoff = min(max(2*backoff, w.cfg.BackoffMin), w.cfg.BackoffMax)
			wait = backoff
			if w.cfg.OnError != nil {
				w.cfg.OnError(err, wait)
			}
			h.failed(err)
		default:
			backoff = 0
			h.succeeded()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Poll scans every confirmed block not yet scanned, in ranges of at most
// MaxRange blocks, hands each range's alerts to sink and then saves the
// cursor. It returns how many alerts the sink accepted. After an error the
// next Poll resumes at the first range not handed over, so an alert may be
// observed twice (at least once), never skipped.
//
// Before scanning it checks that the newest block it scanned is still in
// the chain. If a reorg replaced it, the scan rewinds to the newest
// remembered block still in the chain, and each alert raised from a
// replaced block whose log the rescan does not find again (up to the height
// scanned before the reorg) is sent once more, resolved and marked Reorged:
// the record stays, it is not deleted. Hashes are kept in memory only, so a
// reorg that happens while the node is down is not noticed.
//
// The chain id is asked at the first Poll and again after any failed one:
// an endpoint that went away may come back serving another chain (a node
// restarted on another network, a provider failing over), and scanning it
// with this chain's cursor raised its alerts, or none.
func (w *ChainWatcher) Poll(ctx context.Context, sink Sink) (int, error) {
	n, err := w.poll(ctx, sink)
	if err != nil {
		w.checked = false
	}
	return n, err
}

func (w *ChainWatcher) poll(ctx context.Context, sink Sink) (int, error) {
	if !w.checked {
		id, err := call(ctx, w.cfg.CallTimeout, w.backend.ChainID)
		if err != nil {
			return 0, fmt.Errorf("watch: %s: asking the chain id: %w", w.cfg.Name, err)
		}
		if id == nil || !id.IsUint64() || id.Uint64() != w.cfg.ChainID {
			return 0, fmt.Errorf("%w: %s is configured for chain %d, the endpoint says %v (fix the RPC URL or chain id)",
				ErrWrongChain, w.cfg.Name, w.cfg.ChainID, id)
		}
		w.checked = true
	}
	head, err := call(ctx, w.cfg.CallTimeout, w.backend.BlockNumber)
	if err != nil {
		return 0, fmt.Errorf("watch: %s: asking the head block: %w", w.cfg.Name, err)
	}
	if head < w.cfg.Confirmations {
		return 0, nil
	}
	safe := head - w.cfg.Confirmations
	if err := w.position(safe); err != nil {
		return 0, err
	}
	if err := w.checkReorg(ctx, head); err != nil {
		return 0, err
	}
	stored := 0
	for w.next <= safe {
		if err := ctx.Err(); err != nil {
			return stored, err
		}
		from, to := w.next, safe
		if to-from >= w.span {
			to = from + w.span - 1
		}
		n, err := w.scan(ctx, sink, from, to, safe)
		stored += n
		if err != nil {
			return stored, err
		}
		w.next = to + 1
		// Saved after the sink so a crash repeats alerts rather than losing
		// them; a failed save is retried with the next range.
		if err := w.cursor.Save(w.cfg.Name, to); err != nil {
			return stored, fmt.Errorf("watch: %s: saving cursor at block %d: %w", w.cfg.Name, to, err)
		}
	}
	n, err := w.settleOrphans(ctx, sink)
	return stored + n, err
}

// position loads the cursor once per watcher.
func (w *ChainWatcher) position(safe uint64) error {
	if w.placed {
		return nil
	}
	last, ok, err := w.cursor.Load(w.cfg.Name)
	if err != nil {
		return fmt.Errorf("watch: %s: loading cursor: %w", w.cfg.Name, err)
	}
	switch {
	case ok:
		w.next = last + 1
	case w.cfg.Start != 0:
		w.next = w.cfg.Start
	default:
		w.next = safe
	}
	w.placed = true
	return nil
}

// scan hands the alerts of blocks from..to to sink and, when to is within
// ReorgDepth of safe, remembers the range for checkReorg.
func (w *ChainWatcher) scan(ctx context.Context, sink Sink, from, to, safe uint64) (int, error) {
	recentFrom := uint64(0)
	if safe > w.cfg.ReorgDepth {
		recentFrom = safe - w.cfg.ReorgDepth
	}
	// The range end's header is asked before the logs: if a reorg lands
	// between the two calls, the hash kept is the old branch's and the next
	// Poll rescans, at worst for nothing. The other order could keep the
	// new branch's hash next to the old branch's logs and miss the reorg.
	var end *types.Header
	if to >= recentFrom {
		h, err := w.header(ctx, to)
		if err != nil {
			return 0, err
		}
		end = h
	}
	q := w.query
	q.FromBlock, q.ToBlock = new(big.Int).SetUint64(from), new(big.Int).SetUint64(to)
	logs, err := call(ctx, w.cfg.CallTimeout, func(ctx context.Context) ([]types.Log, error) {
		return w.backend.FilterLogs(ctx, q)
	})
	if err != nil {
		// Providers refuse large ranges or result sets; a smaller range
		// is the retry most likely to pass.
		w.span = max(1, w.span/2)
		return 0, fmt.Errorf("watch: %s: eth_getLogs blocks %d-%d: %w", w.cfg.Name, from, to, err)
	}
	w.span = min(2*w.span, w.cfg.MaxRange)
	var alerts, tracked []Alert
	times := map[uint64]time.Time{}
	for _, l := range logs {
		// A node answering outside the range is not trusted, except for a
		// removed log, which by nature reports on an earlier block.
		if !l.Removed && (l.BlockNumber < from || l.BlockNumber > to) {
			continue
		}
		bt, err := w.blockTime(ctx, l, times)
		if err != nil {
			return 0, err
		}
		a, ok := chainAlert(w.rules, w.cfg.ChainID, l, bt, w.cfg.Now())
		if !ok {
			continue
		}
		alerts = append(alerts, a)
		if !a.Reorged {
			tracked = append(tracked, a)
		}
	}
	if len(alerts) > 0 {
		if err := sink.Observe(ctx, alerts); err != nil {
			return 0, fmt.Errorf("watch: %s: storing %d alerts from blocks %d-%d: %w", w.cfg.Name, len(alerts), from, to, err)
		}
	}
	for _, a := range tracked {
		delete(w.orphans, a.Fingerprint)
	}
	if end != nil {
		w.remember(checkpoint{from: from, number: to, hash: end.Hash(), alerts: tracked})
	}
	return len(alerts), nil
}

// header fetches the header of block n; an endpoint without one is an error,
// as the callers only ask for blocks at or below the head.
func (w *ChainWatcher) header(ctx context.Context, n uint64) (*types.Header, error) {
	h, err := call(ctx, w.cfg.CallTimeout, func(ctx context.Context) (*types.Header, error) {
		return w.backend.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
	})
	if err != nil {
		return nil, fmt.Errorf("watch: %s: header of block %d: %w", w.cfg.Name, n, err)
	}
	if h == nil {
		return nil, fmt.Errorf("watch: %s: header of block %d: endpoint returned none", w.cfg.Name, n)
	}
	return h, nil
}

// blockTime prefers the timestamp newer nodes put on each log, and fetches
// the header otherwise, once per block. A removed log's block is no longer
// canonical, so its number would name another block: its time stays zero.
func (w *ChainWatcher) blockTime(ctx context.Context, l types.Log, cache map[uint64]time.Time) (time.Time, error) {
	if l.BlockTimestamp != 0 {
		return time.Unix(int64(l.BlockTimestamp), 0).UTC(), nil
	}
	if l.Removed || !w.anyRuleMatches(l) {
		return time.Time{}, nil
	}
	if t, ok := cache[l.BlockNumber]; ok {
		return t, nil
	}
	h, err := w.header(ctx, l.BlockNumber)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Unix(int64(h.Time), 0).UTC()
	cache[l.BlockNumber] = t
	return t, nil
}

func (w *ChainWatcher) anyRuleMatches(l types.Log) bool {
	for _, r := range w.rules {
		if _, ok := r.matches(l); ok {
			return true
		}
	}
	return false
}

func call[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return f(ctx)
}
