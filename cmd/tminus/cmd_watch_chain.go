package main

import (
	"context"
	"fmt"
	"math/big"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/workspace"
)

// storeCursor keeps a chain watcher's last block in the store.
type storeCursor struct {
	ctx context.Context
	st  *store.Store
}

func (c storeCursor) Load(name string) (uint64, bool, error) {
	v, ok, err := c.st.Cursor(c.ctx, "chain:"+name)
	return uint64(v), ok, err
}

func (c storeCursor) Save(name string, block uint64) error {
	return c.st.SetCursor(c.ctx, "chain:"+name, int64(block))
}

// watcherName is a watcher's name, which keys its cursor and its alert:
// the configured one, or RPC#CHAIN.
func watcherName(wc workspace.WatcherConfig) string {
	if wc.Name != "" {
		return wc.Name
	}
	return wc.RPC + "#" + strconv.FormatUint(wc.ChainID, 10)
}

// startWatchers runs the config's on-chain watchers until ctx ends. serve
// calls it with or without --webhook, so it is also where a bad alert
// config stops a serve that has no webhook.
func (a *app) startWatchers(ctx context.Context) error {
	cfg, err := a.checkAlertConfig()
	if err != nil || len(cfg.Watchers) == 0 {
		return err
	}
	if err := a.home.CheckWatchers(); err != nil {
		return err
	}
	sink, err := a.sink(ctx)
	if err != nil {
		return err
	}
	// All are built before any starts, so a bad one stops serve with
	// none running.
	watchers := make([]*watch.ChainWatcher, len(cfg.Watchers))
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	who, err := a.watcherOwner(ctx, st)
	if err != nil {
		return err
	}
	// Two watchers of one name would share a cursor: each would skip the
	// blocks the other scanned, and their alerts would share one fingerprint.
	seen := map[string]int{}
	for i, wc := range cfg.Watchers {
		name := watcherName(wc)
		if j, dup := seen[name]; dup {
			return fmt.Errorf("%s: watchers %d and %d are both named %q: give each its own name (it keys where each has scanned to)",
				a.home.ConfigPath(), j+1, i+1, name)
		}
		seen[name] = i
		if watchers[i], err = a.chainWatcher(ctx, wc, st, sink, who); err != nil {
			return fmt.Errorf("%s: watcher %s: %w", a.home.ConfigPath(), name, err)
		}
	}
	for i, w := range watchers {
		go func() {
			if err := w.Run(ctx, sink); err != nil && ctx.Err() == nil {
				name := watcherName(cfg.Watchers[i])
				fmt.Fprintf(a.stderr, "tminus: watcher %s stopped: %v\n", name, err)
				a.raiseWatcherAlert(ctx, sink, watcherDown(name, who, err))
			}
		}()
	}
	return nil
}

// watcherOwner is the device whose watchers raise alerts about themselves.
type watcherOwner struct {
	device string // this device's address, lower-case hex
	handle string // its member's handle (the address when the roster lacks it), for titles
}

func (a *app) watcherOwner(ctx context.Context, st *store.Store) (watcherOwner, error) {
	addr, err := a.home.Address()
	if err != nil {
		return watcherOwner{}, err
	}
	who := watcherOwner{device: strings.ToLower(addr.Hex()), handle: addr.Hex()}
	v, err := st.NewView(ctx)
	if err != nil {
		return watcherOwner{}, err
	}
	if m := v.State().MemberByKey(addr); m != nil {
		who.handle = m.Handle
	}
	return who, nil
}

// watcherFingerprint keys the alert a watcher raises about itself: a
// restart that fails the same way adds a sighting, not a new alert. The
// device is part of it: two members (or two machines of one member) running
// a watcher of one name used to share one alert, and the first to see the
// chain again resolved it while the other was still blind.
func watcherFingerprint(name string, who watcherOwner) string {
	return legacyWatcherFingerprint(name) + "@" + who.device
}

// legacyWatcherFingerprint is the key before it named the device; a
// healthy start still resolves such an alert when this member alone raised it.
func legacyWatcherFingerprint(name string) string { return "tminus-watcher-" + name }

func watcherLabels(name string, who watcherOwner) map[string]string {
	return map[string]string{"watcher": name, "member": who.handle, "device": who.device}
}

// watcherDown is the alert a stopped watcher raises in the workspace: a blind
// watcher looks like a quiet chain, and only this serve's log said otherwise.
// Every responder's cockpit shows it.
func watcherDown(name string, who watcherOwner, err error) watch.Alert {
	return watch.Alert{Fingerprint: watcherFingerprint(name, who),
		Title:  "Watcher " + name + " (" + who.handle + ") stopped: " + err.Error(),
		Source: "tminus", Severity: "P2", Status: domain.AlertFiring, Labels: watcherLabels(name, who)}
}

// watcherBlind is the alert of a watcher whose scans have failed since
// `since` (its node down, unreachable or answering garbage): it keeps
// trying, but until it sees the chain again nothing on chain raises an alert.
func watcherBlind(name string, who watcherOwner, err error, since time.Time) watch.Alert {
	labels := watcherLabels(name, who)
	labels["error"] = cutText(err.Error(), maxLabelError)
	return watch.Alert{Fingerprint: watcherFingerprint(name, who),
		Title: fmt.Sprintf("Watcher %s (%s) blind since %s UTC, still retrying (label error says why)", name, who.handle,
			since.UTC().Format("15:04:05")),
		Source: "tminus", Severity: "P2", Status: domain.AlertFiring, StartsAt: since, Labels: labels}
}

// maxLabelError bounds the error kept in a blind watcher's alert: a node
// answering garbage can make it long.
const maxLabelError = 1000

// raiseWatcherAlert stores a watcher's alert about itself; the watcher
// goes on, so a failure is only said on stderr.
func (a *app) raiseWatcherAlert(ctx context.Context, sink alertSink, al watch.Alert) {
	if err := sink.Observe(context.WithoutCancel(ctx), []watch.Alert{al}); err != nil {
		fmt.Fprintf(a.stderr, "tminus: watcher %s: could not store its alert: %v\n", al.Labels["watcher"], err)
	}
}

// clearWatcherAlert resolves the watcher's alert about itself when it still
// fires: raised by this serve before its node came back, or by an earlier
// serve (stopped on a wrong chain id, or blind when it ended) whose cause
// is gone, since the watcher now scans. An alert under the legacy key,
// shared by every device's watcher of that name, is resolved only when
// this member alone raised it: another's may still be blind.
func (a *app) clearWatcherAlert(ctx context.Context, st *store.Store, sink alertSink, name string, who watcherOwner) {
	v, err := st.NewView(ctx) // its own view: the watcher runs beside serve's other readers
	if err != nil {
		fmt.Fprintf(a.stderr, "tminus: watcher %s: reading the workspace: %v\n", name, err)
		return
	}
	s := v.State()
	addr, err := a.home.Address()
	if err != nil {
		return
	}
	m := s.MemberByKey(addr)
	if m == nil {
		return
	}
	for _, fp := range []string{watcherFingerprint(name, who), legacyWatcherFingerprint(name)} {
		al := s.Alerts[domain.AlertID(fp)]
		if al == nil || al.Status != domain.AlertFiring || !slices.Contains(al.Observers, m.Handle) {
			continue
		}
		if fp == legacyWatcherFingerprint(name) && len(al.Observers) > 1 {
			continue
		}
		a.raiseWatcherAlert(ctx, sink, watch.Alert{Fingerprint: fp,
			Title:  "Watcher " + name + " (" + who.handle + ") scans the chain again",
			Source: "tminus", Severity: "P2", Status: domain.AlertResolved, Labels: watcherLabels(name, who)})
	}
}

func (a *app) chainWatcher(ctx context.Context, wc workspace.WatcherConfig, st *store.Store, sink alertSink,
	who watcherOwner) (*watch.ChainWatcher, error) {
	if wc.RPC == "" {
		return nil, fmt.Errorf("no rpc: give the JSON-RPC URL of a node on chain %d (rpc: http://127.0.0.1:8545)", wc.ChainID)
	}
	client, err := newLazyClient(wc.RPC)
	if err != nil {
		return nil, err
	}
	var rules []watch.ChainRule
	for _, r := range wc.Rules {
		cr := watch.ChainRule{Name: r.Name, Event: r.Event, Severity: r.Severity}
		for _, ad := range r.Addresses {
			addr, err := watch.ParseAddress(ad)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", r.Name, err)
			}
			cr.Addresses = append(cr.Addresses, addr)
		}
		if r.MinValue != "" {
			v, ok := new(big.Int).SetString(r.MinValue, 10)
			if !ok {
				return nil, fmt.Errorf("rule %s: min_value %q is not a decimal integer", r.Name, r.MinValue)
			}
			cr.MinValue = v
		}
		rules = append(rules, cr)
	}
	name := watcherName(wc)
	return watch.NewChainWatcher(client, storeCursor{ctx, st}, watch.ChainConfig{Name: name, ChainID: wc.ChainID,
		Rules: rules, Poll: wc.Poll, Confirmations: wc.Confirmations, BlindAfter: wc.BlindAfter,
		OnError: func(err error, retry time.Duration) {
			fmt.Fprintf(a.stderr, "tminus: watcher %s: %v (retry in %s)\n", name, err, retry)
		},
		OnBlind: func(err error, since time.Time) {
			fmt.Fprintf(a.stderr, "tminus: watcher %s has not scanned since %s: raising its alert (it keeps retrying)\n",
				name, since.UTC().Format(time.RFC3339))
			a.raiseWatcherAlert(ctx, sink, watcherBlind(name, who, err, since))
		},
		OnSight: func(blindFor time.Duration) {
			if blindFor > 0 {
				fmt.Fprintf(a.stderr, "tminus: watcher %s scans again after %s blind\n", name, blindFor.Round(time.Second))
			}
			a.clearWatcherAlert(ctx, st, sink, name, who)
		}})
}

// lazyClient dials a watcher's endpoint at its first call, and again after
// a failed dial. An HTTP client never dials ahead, but a WebSocket one
// does: a node down when serve started stopped serve, webhook and all,
// where it should leave that one watcher blind, retrying and saying so.
type lazyClient struct {
	url string
	mu  sync.Mutex
	c   *ethclient.Client
}

// newLazyClient refuses at once what no retry can fix: a URL ethclient has
// no transport for.
func newLazyClient(url string) (*lazyClient, error) {
	u, err := neturl.Parse(url)
	switch {
	case err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss") && u.Host != "":
	case err == nil && u.Scheme == "" && strings.HasPrefix(url, "/"): // an IPC socket path
	default:
		return nil, fmt.Errorf("rpc %q: want an http(s):// or ws(s):// URL, or the path of a node's IPC socket", url)
	}
	return &lazyClient{url: url}, nil
}

func (l *lazyClient) client(ctx context.Context) (*ethclient.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		c, err := ethclient.DialContext(ctx, l.url)
		if err != nil {
			return nil, fmt.Errorf("dialing %s: %w", l.url, err)
		}
		l.c = c
	}
	return l.c, nil
}

func (l *lazyClient) ChainID(ctx context.Context) (*big.Int, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.ChainID(ctx)
}

func (l *lazyClient) BlockNumber(ctx context.Context) (uint64, error) {
	c, err := l.client(ctx)
	if err != nil {
		return 0, err
	}
	return c.BlockNumber(ctx)
}

func (l *lazyClient) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.HeaderByNumber(ctx, n)
}

func (l *lazyClient) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.FilterLogs(ctx, q)
}
