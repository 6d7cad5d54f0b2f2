package main

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/watch"
)

// alertSink signs each alert as an alert.observe by this device, all of a
// delivery in one transaction, before the webhook answers. A key whose
// events would not count (removed, rotated out) stores nothing and fails the
// delivery, so Alertmanager retries and logs why instead of the alert
// vanishing into a log nobody folds.
type alertSink struct{ home *workspace.Home }

func (s alertSink) Observe(ctx context.Context, alerts []watch.Alert) error {
	bodies := make([]domain.Body, 0, len(alerts))
	var blobs [][]byte
	kept := map[string]bool{}
	var last []byte // the payload hashed last: a delivery's alerts share one
	hash := ""
	for _, a := range alerts {
		payload := ""
		if len(a.Payload) > 0 && len(a.Payload) <= store.MaxBlob {
			if len(a.Payload) != len(last) || &a.Payload[0] != &last[0] {
				last, hash = a.Payload, store.BlobHash(a.Payload)
			}
			payload = hash
		}
		b := observation(a, payload)
		if err := b.Validate(); err != nil {
			return fmt.Errorf("%w: alert %q: %v", watch.ErrRefused, a.Fingerprint, err)
		}
		// One delivery's alerts share its payload: one blob, stored first.
		if b.Payload != "" && !kept[b.Payload] {
			kept[b.Payload] = true
			blobs = append(blobs, a.Payload)
		}
		bodies = append(bodies, b)
	}
	if err := homeMayWrite(ctx, s.home); err != nil {
		return err
	}
	_, err := s.home.Write(ctx, blobs, bodies...)
	return err
}

// Check refuses an alert whose event the domain would refuse (65 labels, a
// 300 kB label value), so the webhook answers 400 before storing anything.
func (s alertSink) Check(a watch.Alert) error { return observation(a, "").Validate() }

// observation is the body an alert is signed as, with the payload's blob
// hash, "" for none. A title over the domain's
// limit is cut, not refused, unlike alert raise --title: Alertmanager cannot
// shorten what it sends, and the alert matters more than its title's tail.
func observation(a watch.Alert, payload string) *domain.AlertObserve {
	b := &domain.AlertObserve{Fingerprint: a.Fingerprint, Title: cutText(a.Title, maxAlertTitle), Source: a.Source,
		Severity: a.Severity, Status: a.Status, Labels: a.Labels, Reorged: a.Reorged, Payload: payload}
	if !a.StartsAt.IsZero() && a.StartsAt.Unix() > 0 {
		b.StartsAt = a.StartsAt.UnixMilli()
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return b
}

// maxAlertTitle is domain.AlertObserve's limit on a title, in bytes.
const maxAlertTitle = 500

// cutText cuts s to at most max bytes, "..." included, at a rune boundary.
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max - len("...")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func (a *app) sink(ctx context.Context) (alertSink, error) {
	if _, err := a.home.Signer(ctx); err != nil {
		return alertSink{}, err
	}
	return alertSink{a.home}, nil
}

// checkAlertConfig refuses a config the webhook or the watchers could not
// use, so that serve stops at startup with the reason instead of answering
// 500 to every alert (the handler's behaviour with a bad severity map).
func (a *app) checkAlertConfig() (*workspace.Config, error) {
	cfg, err := a.home.Config()
	if err != nil {
		return nil, err
	}
	if err := watch.CheckSeverityMap(cfg.Severities); err != nil {
		return nil, fmt.Errorf("%s: %w (fix that entry under severities:, or delete the map to use the defaults)",
			a.home.ConfigPath(), err)
	}
	return cfg, nil
}

func (a *app) webhookServer(ctx context.Context, addr, token string) (*http.Server, error) {
	cfg, err := a.checkAlertConfig()
	if err != nil {
		return nil, err
	}
	sink, err := a.sink(ctx)
	if err != nil {
		return nil, err
	}
	// Log: the sender (Alertmanager) may drop an answer's refusals and
	// warnings, so the operator reads them on serve's stderr, made safe for
	// a terminal (they quote what the sender sent).
	h := watch.NewHandler(sink, watch.HandlerOptions{Token: token, SeverityMap: cfg.Severities, Log: a.textErr()})
	return watch.NewServer(addr, h), nil
}

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
	for i, wc := range cfg.Watchers {
		if watchers[i], err = a.chainWatcher(ctx, wc, st); err != nil {
			return fmt.Errorf("watcher %s: %w", wc.Name, err)
		}
	}
	for i, w := range watchers {
		go func() {
			if err := w.Run(ctx, sink); err != nil && ctx.Err() == nil {
				name := cfg.Watchers[i].Name
				fmt.Fprintf(a.stderr, "tminus: watcher %s stopped: %v\n", name, err)
				if err := sink.Observe(context.WithoutCancel(ctx), []watch.Alert{watcherDown(name, err)}); err != nil {
					fmt.Fprintf(a.stderr, "tminus: watcher %s: could not raise its alert: %v\n", name, err)
				}
			}
		}()
	}
	return nil
}

// watcherDown is the alert a stopped watcher raises in the workspace: a blind
// watcher looks like a quiet chain, and only this serve's log said otherwise.
// Every responder's cockpit shows it; its fingerprint is the watcher's, so a
// restart that fails the same way adds a sighting, not a new alert.
func watcherDown(name string, err error) watch.Alert {
	return watch.Alert{Fingerprint: "tminus-watcher-" + name, Title: "Watcher " + name + " stopped: " + err.Error(),
		Source: "tminus", Severity: "P2", Status: domain.AlertFiring, Labels: map[string]string{"watcher": name}}
}

func (a *app) chainWatcher(ctx context.Context, wc workspace.WatcherConfig, st *store.Store) (*watch.ChainWatcher, error) {
	client, err := ethclient.DialContext(ctx, wc.RPC)
	if err != nil {
		return nil, err
	}
	var rules []watch.ChainRule
	for _, r := range wc.Rules {
		cr := watch.ChainRule{Name: r.Name, Event: r.Event, Severity: r.Severity}
		for _, ad := range r.Addresses {
			if !common.IsHexAddress(ad) {
				return nil, fmt.Errorf("rule %s: %q is not an address", r.Name, ad)
			}
			cr.Addresses = append(cr.Addresses, common.HexToAddress(ad))
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
	name := wc.Name
	if name == "" {
		name = wc.RPC + "#" + strconv.FormatUint(wc.ChainID, 10)
	}
	return watch.NewChainWatcher(client, storeCursor{ctx, st}, watch.ChainConfig{Name: name, ChainID: wc.ChainID,
		Rules: rules, Poll: wc.Poll, Confirmations: wc.Confirmations,
		OnError: func(err error, retry time.Duration) {
			fmt.Fprintf(a.stderr, "tminus: watcher %s: %v (retry in %s)\n", name, err, retry)
		}})
}
