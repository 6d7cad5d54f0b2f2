package watch

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/internal/suggest"
)

// Canonical signatures of the events incident responders most often watch.
const (
	EventPaused               = "Paused(address)"
	EventUnpaused             = "Unpaused(address)"
	EventOwnershipTransferred = "OwnershipTransferred(address,address)"
	EventUpgraded             = "Upgraded(address)"
	EventChangedThreshold     = "ChangedThreshold(uint256)" // Safe
	EventTransfer             = "Transfer(address,address,uint256)"
)

// wellKnown lets a rule name one of the events above without its arguments,
// as DESIGN.md does ("OwnershipTransferred").
var wellKnown = map[string]string{
	"Paused":               EventPaused,
	"Unpaused":             EventUnpaused,
	"OwnershipTransferred": EventOwnershipTransferred,
	"Upgraded":             EventUpgraded,
	"ChangedThreshold":     EventChangedThreshold,
	"Transfer":             EventTransfer,
}

// noAmount are the well-known events whose first data word is not an
// amount, or which have none.
var noAmount = map[string]bool{EventPaused: true, EventUnpaused: true, EventOwnershipTransferred: true, EventUpgraded: true}

// nearEvent is the well-known event name within two edits of ev, ignoring
// case ("Pausd", "paused"), or "".
func nearEvent(ev string) string {
	names := make([]string, 0, len(wellKnown))
	for name := range wellKnown {
		names = append(names, name)
	}
	return suggest.Nearest(ev, names)
}

func wellKnownNames() string {
	names := make([]string, 0, len(wellKnown))
	for name := range wellKnown {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// SourceChain is the Source of alerts raised by a ChainWatcher.
const SourceChain = "chain"

// EventTopic is topic 0 of logs of the event with canonical signature sig.
func EventTopic(sig string) common.Hash {
	return crypto.Keccak256Hash([]byte(sig))
}

// ChainRule raises an alert for each log of Event emitted by one of
// Addresses (any address when empty).
type ChainRule struct {
	Name string
	// Event is a canonical signature, "Paused(address)", or the bare name
	// of one of the Event* constants.
	Event    string
	Severity string
	// Addresses limits the rule to these contracts; empty means any.
	Addresses []common.Address
	// MinValue, when set, keeps only logs whose first non-indexed word
	// (an ERC-20 Transfer's value) is strictly above it. A log with no data
	// word, such as an ERC-721 Transfer whose token id is indexed, never
	// matches.
	MinValue *big.Int
}

var canonicalEvent = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*\([A-Za-z0-9_,\[\]()]*\)$`)

type compiledRule struct {
	ChainRule
	topic common.Hash
	addrs map[common.Address]bool // nil means any address
}

func compileRule(r ChainRule) (compiledRule, error) {
	c := compiledRule{ChainRule: r}
	c.Name = strings.TrimSpace(r.Name)
	if c.Name == "" {
		return c, fmt.Errorf("watch: chain rule for %q has no name (it titles the alerts)", r.Event)
	}
	ev := strings.Join(strings.Fields(r.Event), "")
	if sig, ok := wellKnown[ev]; ok {
		ev = sig
	}
	if !canonicalEvent.MatchString(ev) {
		if near := nearEvent(ev); near != "" {
			return c, fmt.Errorf("watch: chain rule %q: event %q: did you mean %s? (a bare name must be one of %s; any other event needs its canonical signature, like %s)",
				c.Name, r.Event, near, wellKnownNames(), EventTransfer)
		}
		return c, fmt.Errorf("watch: chain rule %q: event %q is not a canonical signature like %s", c.Name, r.Event, EventTransfer)
	}
	for _, sig := range wellKnown {
		// The topic hashes the exact spelling: paused(address) is another
		// event, one no contract emits.
		if ev != sig && strings.EqualFold(ev, sig) {
			return c, fmt.Errorf("watch: chain rule %q: event %q: did you mean %s? (signatures are case-sensitive)", c.Name, r.Event, sig)
		}
	}
	c.Event = ev
	c.topic = EventTopic(ev)
	c.Severity = strings.ToUpper(strings.TrimSpace(r.Severity))
	if !validSeverity(c.Severity) {
		return c, fmt.Errorf("watch: chain rule %q: severity %q, want P1, P2, P3, P4 or empty", c.Name, r.Severity)
	}
	if r.MinValue != nil && r.MinValue.Sign() < 0 {
		return c, fmt.Errorf("watch: chain rule %q: negative MinValue %s", c.Name, r.MinValue)
	}
	if r.MinValue != nil && noAmount[ev] {
		// Paused's data word is an address: min_value would compare it as
		// a number; the others have no data word, and would never match.
		return c, fmt.Errorf("watch: chain rule %q: min_value applies to an amount (a Transfer's value), and %s carries no amount: drop min_value",
			c.Name, ev)
	}
	if len(r.Addresses) > 0 {
		c.addrs = make(map[common.Address]bool, len(r.Addresses))
		for _, a := range r.Addresses {
			c.addrs[a] = true
		}
	}
	return c, nil
}

// matches re-checks what the node was asked to filter, because a node
// that ignores the filter must not raise alerts for other contracts.
func (c compiledRule) matches(l types.Log) (value *big.Int, ok bool) {
	if len(l.Topics) == 0 || l.Topics[0] != c.topic {
		return nil, false
	}
	if c.addrs != nil && !c.addrs[l.Address] {
		return nil, false
	}
	if c.MinValue == nil {
		return nil, true
	}
	if len(l.Data) < 32 {
		return nil, false
	}
	v := new(big.Int).SetBytes(l.Data[:32])
	return v, v.Cmp(c.MinValue) > 0
}

// severityRank orders severities so the most urgent matching rule wins.
func severityRank(s string) int {
	if s == "" {
		return 5
	}
	return int(s[1] - '0')
}

// chainAlert turns one log into an alert under the most severe rule it
// matches (the first such rule on ties): a log has one fingerprint, so two
// rules matching it must not raise two alerts. ok is false when none match.
// blockTime is the log's block time, zero when unknown; now stamps when a
// reorg was seen.
func chainAlert(rules []compiledRule, chainID uint64, l types.Log, blockTime, now time.Time) (Alert, bool) {
	best := -1
	var value *big.Int
	for i, r := range rules {
		v, ok := r.matches(l)
		if ok && (best < 0 || severityRank(r.Severity) < severityRank(rules[best].Severity)) {
			best, value = i, v
		}
	}
	if best < 0 {
		return Alert{}, false
	}
	r := rules[best]
	contract := strings.ToLower(l.Address.Hex())
	tx := strings.ToLower(l.TxHash.Hex())
	labels := map[string]string{
		"chain_id":   strconv.FormatUint(chainID, 10),
		"contract":   contract,
		"event":      r.Event,
		"rule":       r.Name,
		"tx":         tx,
		"block":      strconv.FormatUint(l.BlockNumber, 10),
		"block_hash": strings.ToLower(l.BlockHash.Hex()),
		"log_index":  strconv.FormatUint(uint64(l.Index), 10),
	}
	if value != nil {
		labels["value"] = value.String()
	}
	a := Alert{
		Fingerprint: ChainFingerprint(l),
		Title:       fmt.Sprintf("%s on %s (%s)", r.Event, contract[:8]+"…", r.Name),
		Source:      SourceChain,
		Severity:    r.Severity,
		Status:      StatusFiring,
		Labels:      labels,
		StartsAt:    blockTime,
	}
	if l.Removed {
		a = reorged(a, now)
	}
	return a, true
}

// reorged is a's record after a reorg took its log out of the chain:
// resolved and marked, under the same fingerprint, so the store keeps what
// was seen instead of forgetting it. a's labels are copied, not changed.
func reorged(a Alert, now time.Time) Alert {
	labels := make(map[string]string, len(a.Labels)+1)
	for k, v := range a.Labels {
		labels[k] = v
	}
	labels["reorged"] = "true"
	a.Labels = labels
	a.Status = StatusResolved
	a.Reorged = true
	a.EndsAt = now
	return a
}

// ChainFingerprint identifies a log across members' watchers and across a
// reorg that removes it: "txhash:logIndex", hash in lower-case 0x hex.
func ChainFingerprint(l types.Log) string {
	return strings.ToLower(l.TxHash.Hex()) + ":" + strconv.FormatUint(uint64(l.Index), 10)
}

// ParseAddress reads a contract address as a rule names it: 0x and 40 hex
// digits, a mixed-case one with a valid EIP-55 checksum (safe.ParseAddress;
// a rule on a mistyped address watches nothing, silently).
func ParseAddress(s string) (common.Address, error) { return safe.ParseAddress(s) }
