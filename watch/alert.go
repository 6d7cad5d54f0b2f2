package watch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Alert is one observation of something wrong, before anyone has signed it.
// Fingerprint is its identity across sources and members: the same problem
// seen by two watchers, or by one watcher through two paths, has the same one.
type Alert struct {
	Fingerprint string
	Title       string
	Source      string
	// Severity is "" (unknown) or one of "P1".."P4".
	Severity string
	// Status is "firing" or "resolved".
	Status       string
	Labels       map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	// Reorged marks an on-chain alert whose log a reorg removed. The alert
	// is kept and resolved rather than deleted, so the record of what was
	// seen (and maybe acted on) survives.
	Reorged bool
	// Payload is the delivery the alert came in, exactly as received (a
	// webhook body, shared by the alerts of one delivery); nil for none.
	Payload []byte
}

// Alert statuses, as Alertmanager spells them.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Sink receives decoded alerts. Observe must return only after each alert is
// durably stored (as a signed event), because a nil error is what lets the
// webhook answer 2xx and the chain watcher advance its cursor. It is called
// concurrently by the webhook handler, and never with an empty slice.
type Sink interface {
	Observe(ctx context.Context, alerts []Alert) error
}

// Checker is a Sink that can tell, before storing anything, an alert it
// could never store: one that breaks a limit of the event it becomes (too
// many labels, a label value too long). The webhook asks it for every alert
// of a delivery first, stores the others and answers 400 naming each one
// refused: a 500 would have the sender retry, for ever, what can never
// succeed, and refusing the whole delivery would lose the good alerts.
type Checker interface {
	Sink
	Check(a Alert) error
}

// ErrRefused marks an Observe error for alerts the sink can never store:
// the webhook answers 400 for it, not 500.
var ErrRefused = errors.New("alert refused")

// DefaultSeverityMap is used when no map is configured. Keys are compared
// case-insensitively against a `severity` label or field.
func DefaultSeverityMap() map[string]string {
	return map[string]string{
		"critical": "P1",
		"high":     "P2",
		"error":    "P2",
		"warning":  "P3",
		"info":     "P4",
	}
}

// validSeverity reports whether s is one of the severities the cockpit ranks.
func validSeverity(s string) bool {
	switch s {
	case "", "P1", "P2", "P3", "P4":
		return true
	}
	return false
}

// mapSeverity resolves a severity as a sender spelled it: P1..P4 in any case,
// or a key of m. ok is false when the value means nothing to us.
func mapSeverity(value string, m map[string]string) (sev string, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", true
	}
	if u := strings.ToUpper(v); validSeverity(u) {
		return u, true
	}
	if p, found := m[strings.ToLower(v)]; found && validSeverity(p) {
		return p, true
	}
	return "", false
}

// normalizeSeverityMap lower-cases keys so lookups need not care how an
// operator capitalised their config, and refuses values the cockpit cannot rank.
func normalizeSeverityMap(m map[string]string) (map[string]string, error) {
	if m == nil {
		return DefaultSeverityMap(), nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		p := strings.ToUpper(strings.TrimSpace(v))
		if p == "" || !validSeverity(p) {
			return nil, fmt.Errorf("watch: severity map %q -> %q: want one of P1, P2, P3, P4", k, v)
		}
		out[strings.ToLower(strings.TrimSpace(k))] = p
	}
	return out, nil
}

// severityNames lists a map's keys for error messages that say what works.
func severityNames(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(append([]string{"P1", "P2", "P3", "P4"}, names...), ", ")
}
