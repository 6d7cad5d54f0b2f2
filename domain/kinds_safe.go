package domain

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tminus-ir/tminus/domain/safe"
)

// On-chain kinds: a Safe transaction proposed from a runbook, its owners'
// signatures, its execution, and the log root anchored on a chain
// (docs/design.md, "On chain").
const (
	KindSafePropose  = "safe.propose"
	KindSafeSign     = "safe.sign"
	KindSafeExec     = "safe.exec"
	KindAnchorRecord = "anchor.record"
)

func init() {
	kinds[KindSafePropose] = func() Body { return new(SafePropose) }
	kinds[KindSafeSign] = func() Body { return new(SafeSign) }
	kinds[KindSafeExec] = func() Body { return new(SafeExec) }
	kinds[KindAnchorRecord] = func() Body { return new(AnchorRecord) }
}

// Limits of the on-chain bodies. A Safe has at most a few dozen owners in
// practice; a workspace anchor names one head per author.
const (
	MaxSafeOwners  = 256
	MaxCallArgs    = 32
	MaxAnchorHeads = 1000
)

// SafePropose is a Safe transaction built from a runbook's `safe:` block,
// with what the Safe said at propose time (version, owners, threshold and,
// in Tx, the nonce) and the three EIP-712 hashes an owner compares on their
// device. Validate recomputes the call data and the hashes: a proposal
// whose recorded hashes or data do not follow from its fields is malformed.
type SafePropose struct {
	Incident    ID                `json:"incident"`
	Runbook     string            `json:"runbook"`
	RunbookHash string            `json:"runbook_hash"` // sha256 of the runbook file
	Params      map[string]string `json:"params,omitempty"`
	Function    string            `json:"function"` // "pause()", as the runbook names it
	Args        []string          `json:"args"`     // rendered, as EncodeCall takes them
	// AllowDelegateCall is the runbook's allow_delegatecall: without it a
	// DELEGATECALL proposal is refused.
	AllowDelegateCall bool             `json:"allow_delegatecall,omitempty"`
	Tx                *safe.Tx         `json:"tx"`
	Version           string           `json:"version"`
	Owners            []common.Address `json:"owners"`
	Threshold         uint64           `json:"threshold"`
	DomainHash        common.Hash      `json:"domain_hash"`
	MessageHash       common.Hash      `json:"message_hash"`
	SafeTxHash        common.Hash      `json:"safe_tx_hash"`
}

func (*SafePropose) Kind() string { return KindSafePropose }
func (b *SafePropose) Validate() error {
	if err := text("runbook", b.Runbook, 100, true); err != nil {
		return err
	}
	if !sha256RE.MatchString(b.RunbookHash) {
		return fmt.Errorf("runbook_hash must be sha256 hex")
	}
	if err := text("function", b.Function, 300, true); err != nil {
		return err
	}
	if err := text("version", b.Version, 40, true); err != nil {
		return err
	}
	if len(b.Args) > MaxCallArgs {
		return fmt.Errorf("%d args, limit %d", len(b.Args), MaxCallArgs)
	}
	if b.Args == nil {
		return fmt.Errorf("args is required ([] for none)")
	}
	if len(b.Params) > 64 {
		return fmt.Errorf("%d params, limit 64", len(b.Params))
	}
	for k, v := range b.Params {
		if err := text("param name", k, 100, true); err != nil {
			return err
		}
		if err := text("param "+k, v, 2000, false); err != nil {
			return err
		}
	}
	if err := b.Tx.Validate(); err != nil {
		return err
	}
	if b.Tx.Operation == safe.DelegateCall && !b.AllowDelegateCall {
		return fmt.Errorf("operation is DELEGATECALL, which the runbook's safe step does not allow (allow_delegatecall: true)")
	}
	data, err := safe.EncodeCall(b.Function, b.Args)
	if err != nil {
		return err
	}
	if !bytes.Equal(data, b.Tx.Data) {
		return fmt.Errorf("tx data is not the encoding of %s with the recorded args (data differs from the runbook's rendering)", b.Function)
	}
	if err := owners(b.Owners); err != nil {
		return err
	}
	if b.Threshold < 1 || b.Threshold > uint64(len(b.Owners)) {
		return fmt.Errorf("threshold %d of %d owners is impossible", b.Threshold, len(b.Owners))
	}
	for _, h := range []struct {
		name      string
		got, want common.Hash
	}{
		{"domain_hash", b.DomainHash, b.Tx.DomainHash()},
		{"message_hash", b.MessageHash, b.Tx.MessageHash()},
		{"safe_tx_hash", b.SafeTxHash, b.Tx.Hash()},
	} {
		if h.got != h.want {
			return fmt.Errorf("%s %s does not match the transaction's (%s): hash mismatch", h.name, h.got.Hex(), h.want.Hex())
		}
	}
	return required("incident", b.Incident)
}

// owners checks a Safe's owner list as getOwners returns it: distinct,
// none the zero address or the list's sentinel (0x…01).
func owners(list []common.Address) error {
	if len(list) == 0 || len(list) > MaxSafeOwners {
		return fmt.Errorf("%d owners: want 1 to %d", len(list), MaxSafeOwners)
	}
	seen := make(map[common.Address]bool, len(list))
	for _, o := range list {
		if o == (common.Address{}) || o == common.BytesToAddress([]byte{1}) {
			return fmt.Errorf("owner %s is not an address an owner can hold", o.Hex())
		}
		if seen[o] {
			return fmt.Errorf("owner %s is listed twice", o.Hex())
		}
		seen[o] = true
	}
	return nil
}

// SafeSign records one owner's signature of a proposal's safeTxHash. The
// event is signed by the member who recorded it (the owner, or a member
// relaying a hardware wallet's signature), so every owner signature is
// attributable to a member.
type SafeSign struct {
	Proposal  ID             `json:"proposal"`
	Owner     common.Address `json:"owner"`
	Signature hexutil.Bytes  `json:"signature"` // r || s || v, 65 bytes
}

func (*SafeSign) Kind() string { return KindSafeSign }
func (b *SafeSign) Validate() error {
	if len(b.Signature) != safe.SignatureLen {
		return fmt.Errorf("signature is %d bytes, want %d (r, s, v)", len(b.Signature), safe.SignatureLen)
	}
	if b.Owner == (common.Address{}) {
		return fmt.Errorf("owner is required")
	}
	return required("proposal", b.Proposal)
}

// Events a Safe emits for an executed transaction.
const (
	SafeExecutionSuccess = "ExecutionSuccess"
	SafeExecutionFailure = "ExecutionFailure"
)

// SafeExec records an execTransaction that was mined: its transaction, its
// block, the receipt status and the Safe's event. A mined Safe transaction
// is final either way (the nonce moved); Success is ExecutionSuccess.
type SafeExec struct {
	Proposal ID             `json:"proposal"`
	TxHash   common.Hash    `json:"tx_hash"`
	Block    uint64         `json:"block"`
	Status   uint64         `json:"status"` // receipt status, 1 when mined without a revert
	Event    string         `json:"event"`
	From     common.Address `json:"from"`
}

func (*SafeExec) Kind() string { return KindSafeExec }
func (b *SafeExec) Validate() error {
	if b.TxHash == (common.Hash{}) {
		return fmt.Errorf("tx_hash is required")
	}
	if b.Status != 1 {
		return fmt.Errorf("status %d: only a mined transaction (status 1) executes a Safe transaction", b.Status)
	}
	if b.Event != SafeExecutionSuccess && b.Event != SafeExecutionFailure {
		return fmt.Errorf("event %q: want %s or %s", b.Event, SafeExecutionSuccess, SafeExecutionFailure)
	}
	return required("proposal", b.Proposal)
}

// Success reports whether the Safe ran the call without a revert.
func (b *SafeExec) Success() bool { return b.Event == SafeExecutionSuccess }

// AnchorRecord records a log root put on a chain: the transaction that
// carries it and what it covers, every author's chain head and the state
// hash at the time (LogRoot). Validate recomputes the root from them.
type AnchorRecord struct {
	ChainID   uint64         `json:"chain_id"`
	TxHash    common.Hash    `json:"tx_hash"`
	Block     uint64         `json:"block"`
	From      common.Address `json:"from"`
	Root      common.Hash    `json:"root"`
	StateHash string         `json:"state_hash"`
	Heads     []ChainHead    `json:"heads"`
}

func (*AnchorRecord) Kind() string { return KindAnchorRecord }
func (b *AnchorRecord) Validate() error {
	if b.ChainID == 0 {
		return fmt.Errorf("chain_id is required")
	}
	if b.TxHash == (common.Hash{}) {
		return fmt.Errorf("tx_hash is required")
	}
	if len(b.Heads) == 0 || len(b.Heads) > MaxAnchorHeads {
		return fmt.Errorf("%d heads: want 1 to %d", len(b.Heads), MaxAnchorHeads)
	}
	if !sort.SliceIsSorted(b.Heads, func(i, j int) bool { return headLess(b.Heads[i], b.Heads[j]) }) {
		return fmt.Errorf("heads must be sorted by author")
	}
	for i, h := range b.Heads {
		if h.Seq == 0 || h.ID.IsZero() {
			return fmt.Errorf("head of %s: seq and id are required", h.Author.Hex())
		}
		if i > 0 && b.Heads[i-1].Author == h.Author {
			return fmt.Errorf("two heads for %s", h.Author.Hex())
		}
	}
	root, err := LogRoot(b.Heads, b.StateHash)
	if err != nil {
		return err
	}
	if root != b.Root {
		return fmt.Errorf("root %s is not the log root of the recorded heads and state hash (%s)", b.Root.Hex(), root.Hex())
	}
	return nil
}
