package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"unicode/utf8"

	"github.com/tminus-ir/tminus/workspace"

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
		b, err := checkedObservation(a, payload)
		if err != nil {
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
// Observe runs the same check, as the chain watchers call it without Check.
func (s alertSink) Check(a watch.Alert) error {
	_, err := checkedObservation(a, "")
	return err
}

// checkedObservation is a's body, refused as the domain would refuse its
// event: the one check both Check and Observe run.
func checkedObservation(a watch.Alert, payload string) (*domain.AlertObserve, error) {
	b := observation(a, payload)
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

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

// webhookTokenEnv gives the webhook's token without putting it on serve's
// command line, which every local user reads (ps, /proc/PID/cmdline).
const webhookTokenEnv = "TMINUS_WEBHOOK_TOKEN"

func (a *app) webhookServer(ctx context.Context, addr, token string) (*http.Server, error) {
	cfg, err := a.checkAlertConfig()
	if err != nil {
		return nil, err
	}
	if token == "" {
		token = os.Getenv(webhookTokenEnv)
	}
	if token == "" && !loopbackAddr(addr) {
		fmt.Fprintf(a.stderr, "warning: the webhook on %s has no token: anyone who reaches it raises alerts signed by you (set %s, or --webhook-token)\n",
			addr, webhookTokenEnv)
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

// loopbackAddr reports whether a listen address is reachable only from this
// machine: a loopback IP or localhost. An empty host listens everywhere.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
