package domain

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tminus-ir/tminus/domain/safe"
)

// SafeProposal is a Safe transaction on an incident: what was proposed,
// the owners' signatures that recover to a recorded owner, and its
// execution once mined.
type SafeProposal struct {
	ID ID `json:"id"`
	// SafePropose is the proposal as recorded; embedded so its fields keep
	// one definition. Its fields are encoded inline, in the same order as
	// before it was embedded, so the state hash did not change.
	SafePropose
	By string `json:"by"`
	At int64  `json:"at"`
	// Signatures are the owners' signatures in fold order, one per owner.
	Signatures []SafeSignature `json:"signatures"`
	Exec       *SafeExecution  `json:"exec,omitempty"`
}

// SafeSignature is one owner's signature, with the member who recorded it.
type SafeSignature struct {
	Event     ID             `json:"event"`
	Owner     common.Address `json:"owner"`
	Signature hexutil.Bytes  `json:"signature"`
	By        string         `json:"by"`
	At        int64          `json:"at"`
}

// SafeExecution is a mined execTransaction of the proposal.
type SafeExecution struct {
	Event   ID             `json:"event"`
	By      string         `json:"by"`
	At      int64          `json:"at"`
	TxHash  common.Hash    `json:"tx_hash"`
	Block   uint64         `json:"block"`
	Status  uint64         `json:"status"`
	Success bool           `json:"success"`
	Name    string         `json:"name"` // ExecutionSuccess or ExecutionFailure
	From    common.Address `json:"from"`
}

// Anchor is the newest anchor.record the fold applied.
type Anchor struct {
	Event     ID             `json:"event"`
	By        string         `json:"by"`
	At        int64          `json:"at"`
	ChainID   uint64         `json:"chain_id"`
	TxHash    common.Hash    `json:"tx_hash"`
	Block     uint64         `json:"block"`
	From      common.Address `json:"from"`
	Root      common.Hash    `json:"root"`
	StateHash string         `json:"state_hash"`
	Heads     int            `json:"heads"`
}

// IsOwner reports whether a is one of the owners recorded at propose time.
func (p *SafeProposal) IsOwner(a common.Address) bool { return slices.Contains(p.Owners, a) }

// Signed reports whether owner already has a signature on the proposal.
func (p *SafeProposal) Signed(owner common.Address) bool {
	for _, s := range p.Signatures {
		if s.Owner == owner {
			return true
		}
	}
	return false
}

// Confirmations is the number of distinct owners who signed.
func (p *SafeProposal) Confirmations() int { return len(p.Signatures) }

// Ready reports whether the Safe's threshold is met and it is not executed.
func (p *SafeProposal) Ready() bool {
	return p.Exec == nil && uint64(p.Confirmations()) >= p.Threshold
}

// Superseded is the executed proposal that used p's nonce on p's Safe, or
// a later nonce (a Safe's nonce rises by one at each execution, failed or
// not), while p itself is not executed: p can never execute, and signing it
// is wasted. nil when there is none. Of several, the lowest nonce, then the
// lowest id, so every replica names the same one.
func (s *State) Superseded(p *SafeProposal) *SafeProposal {
	if p.Exec != nil {
		return nil
	}
	var by *SafeProposal
	for _, q := range s.Safe {
		if q == p || q.Exec == nil || q.Tx.Safe != p.Tx.Safe || q.Tx.ChainID.Cmp(p.Tx.ChainID) != 0 || q.Tx.Nonce.Cmp(p.Tx.Nonce) < 0 {
			continue
		}
		if by == nil {
			by = q
			continue
		}
		if c := q.Tx.Nonce.Cmp(by.Tx.Nonce); c < 0 || c == 0 && bytes.Compare(q.ID[:], by.ID[:]) < 0 {
			by = q
		}
	}
	return by
}

// Sigs is the owner -> signature map execTransaction packs.
func (p *SafeProposal) Sigs() map[common.Address][]byte {
	out := make(map[common.Address][]byte, len(p.Signatures))
	for _, s := range p.Signatures {
		out[s.Owner] = s.Signature
	}
	return out
}

// applyOnChain folds the on-chain kinds; ok is false for any other body.
func (s *State) applyOnChain(a actor, body Body) (ok bool, err error) {
	switch b := body.(type) {
	case *SafePropose:
		return true, s.safePropose(a, b)
	case *SafeSign:
		return true, s.safeSign(a, b)
	case *SafeExec:
		return true, s.safeExec(a, b)
	case *AnchorRecord:
		return true, s.anchorRecord(a, b)
	}
	return false, nil
}

func (s *State) safePropose(a actor, b *SafePropose) error {
	inc, err := s.incident(b.Incident)
	if err != nil {
		return err
	}
	// Validate, run by the decoder, recomputed the data and the three
	// hashes and refused a DELEGATECALL the step does not allow.
	p := &SafeProposal{ID: a.id, SafePropose: *b, By: a.m.Handle, At: a.at, Signatures: []SafeSignature{}}
	p.Incident = inc.ID
	if s.Safe == nil {
		s.Safe = map[ID]*SafeProposal{}
	}
	s.Safe[a.id] = p
	inc.SafeTxs = append(inc.SafeTxs, a.id)
	return nil
}

func (s *State) safeProposal(id ID) (*SafeProposal, error) {
	p, ok := s.Safe[id]
	if !ok {
		return nil, fmt.Errorf("safe proposal %s not found", id.Short())
	}
	return p, nil
}

// checkSafeSign is the proposal b signs, when the signature counts (see
// safeSign).
func (s *State) checkSafeSign(b *SafeSign) (*SafeProposal, error) {
	p, err := s.safeProposal(b.Proposal)
	if err != nil {
		return nil, err
	}
	if p.Exec != nil {
		return nil, fmt.Errorf("safe proposal %s was executed in tx %s: a signature after that is a replay", p.ID.Short(), p.Exec.TxHash.Hex())
	}
	signer, err := safe.Recover(p.SafeTxHash, b.Signature)
	if err != nil {
		return nil, err
	}
	if signer != b.Owner {
		return nil, fmt.Errorf("signature recovers to %s, not %s: it is not over safe_tx_hash %s (another nonce, chain id or Safe?)",
			signer.Hex(), b.Owner.Hex(), p.SafeTxHash.Hex())
	}
	if !p.IsOwner(b.Owner) {
		return nil, fmt.Errorf("%s is not an owner of Safe %s (owners at propose time: %d)", b.Owner.Hex(), p.Tx.Safe.Hex(), len(p.Owners))
	}
	if p.Signed(b.Owner) {
		return nil, fmt.Errorf("owner %s already signed safe proposal %s (counted once)", b.Owner.Hex(), p.ID.Short())
	}
	return p, nil
}

// safeSign accepts a signature that recovers, for the proposal's own
// safeTxHash, to the owner it names, who is one of the owners recorded at
// propose time. A signature over another nonce, chain id or Safe is over
// another hash, so it recovers to some other address and is refused.
func (s *State) safeSign(a actor, b *SafeSign) error {
	p, err := s.checkSafeSign(b)
	if err != nil {
		return err
	}
	p.Signatures = append(p.Signatures, SafeSignature{Event: a.id, Owner: b.Owner, Signature: b.Signature, By: a.m.Handle, At: a.at})
	return nil
}

// checkSafeExec is the proposal m may record a mined execution of: m
// holds containment, it is not executed, its threshold is met.
func (s *State) checkSafeExec(m *Member, b *SafeExec) (*SafeProposal, error) {
	p, err := s.safeProposal(b.Proposal)
	if err != nil {
		return nil, err
	}
	if !m.Has(RoleContainment) {
		return nil, fmt.Errorf("%s may not execute: needs the containment role", m.Handle)
	}
	if p.Exec != nil {
		return nil, fmt.Errorf("safe proposal %s already executed in tx %s", p.ID.Short(), p.Exec.TxHash.Hex())
	}
	if n := uint64(p.Confirmations()); n < p.Threshold {
		return nil, fmt.Errorf("safe proposal %s has %d of %d owner signatures: threshold not met", p.ID.Short(), n, p.Threshold)
	}
	return p, nil
}

func (s *State) safeExec(a actor, b *SafeExec) error {
	p, err := s.checkSafeExec(a.m, b)
	if err != nil {
		return err
	}
	p.Exec = &SafeExecution{Event: a.id, By: a.m.Handle, At: a.at, TxHash: b.TxHash, Block: b.Block, Status: b.Status,
		Success: b.Success(), Name: b.Event, From: b.From}
	return nil
}

func (s *State) anchorRecord(a actor, b *AnchorRecord) error {
	s.Anchor = &Anchor{Event: a.id, By: a.m.Handle, At: a.at, ChainID: b.ChainID, TxHash: b.TxHash, Block: b.Block,
		From: b.From, Root: b.Root, StateHash: b.StateHash, Heads: len(b.Heads)}
	return nil
}

// subject is what an on-chain event is about (Subject): a proposal's
// incident, or the proposal a signature or execution names. An anchor
// belongs to the workspace.
func onChainSubject(b Body) (ID, bool) {
	switch b := b.(type) {
	case *SafePropose:
		return b.Incident, true
	case *SafeSign:
		return b.Proposal, true
	case *SafeExec:
		return b.Proposal, true
	case *AnchorRecord:
		return ID{}, true
	}
	return ID{}, false
}

// describeOnChain is the timeline text of an applied on-chain event.
func (s *State) describeOnChain(e *Event, body Body) []string {
	switch b := body.(type) {
	case *SafePropose:
		op := ""
		if b.Tx.Operation == safe.DelegateCall {
			op = " DELEGATECALL"
		}
		return []string{fmt.Sprintf("proposed Safe tx %s%s %s(%s) on %s nonce %s, safeTxHash %s",
			b.Runbook, op, funcName(b.Function), strings.Join(b.Args, ", "), b.Tx.Safe.Hex(), b.Tx.Nonce, b.SafeTxHash.Hex())}
	case *SafeSign:
		p, ok := s.Safe[b.Proposal]
		if !ok {
			return nil
		}
		n := len(p.Signatures)
		if i := slices.IndexFunc(p.Signatures, func(sg SafeSignature) bool { return sg.Event == e.ID }); i >= 0 {
			n = i + 1
		}
		return []string{fmt.Sprintf("owner %s signed Safe tx %s (%d/%d)", b.Owner.Hex(), p.Runbook, n, p.Threshold)}
	case *SafeExec:
		p, ok := s.Safe[b.Proposal]
		if !ok {
			return nil
		}
		return []string{fmt.Sprintf("executed Safe tx %s: %s in tx %s, block %d", p.Runbook, b.Event, b.TxHash.Hex(), b.Block)}
	}
	return nil
}

func funcName(sig string) string {
	if i := strings.IndexByte(sig, '('); i > 0 {
		return sig[:i]
	}
	return sig
}

// safeContained is when, and by whom, a Safe transaction of the incident
// first executed successfully: containment on chain, which the metrics
// count like a move to contained. On a drill, as for status changes, only
// a responder's execution counts.
func safeContained(s *State, inc *Incident) (int64, string) {
	var at int64
	var by string
	for _, id := range inc.SafeTxs {
		p := s.Safe[id]
		if p == nil || p.Exec == nil || !p.Exec.Success {
			continue
		}
		if m := s.Members[p.Exec.By]; m == nil || !Responder(inc, m) {
			continue
		}
		if at == 0 || p.Exec.At < at {
			at, by = p.Exec.At, p.Exec.By
		}
	}
	return at, by
}

// reachedPhase is when and by whom the incident reached a phase after its
// acknowledgement: its status's first arrival (Reached), or for
// containment a successful Safe execution when that came first.
func reachedPhase(s *State, inc *Incident, phase string) (int64, string) {
	at, by := Reached(s, inc, phaseStatus[phase])
	if phase == PhaseContain {
		if t, b := safeContained(s, inc); t != 0 && (at == 0 || t < at) {
			return t, b
		}
	}
	return at, by
}
