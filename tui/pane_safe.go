package tui

import (
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

// Safe transactions in the runbooks pane: the incident's proposals from a runbook's
// `safe:` block, listed above the runbook proposals, with what an owner compares on
// their hardware wallet before signing (the decoded call, the Safe, the nonce, the
// operation, the three EIP-712 hashes) and k of the Safe's threshold. Signing and
// executing stay in the CLI (tminus safe sign / exec), which hold the owner keys.

// rebuildSafes collects the incident's Safe proposals: waiting ones first, newest first.
func (p *runbooksPane) rebuildSafes(inc *domain.Incident) {
	p.safes = p.safes[:0]
	if inc == nil {
		return
	}
	for _, id := range inc.SafeTxs {
		if sp := p.Live.State.Safe[id]; sp != nil {
			p.safes = append(p.safes, sp)
		}
	}
	waitingFirst(p.safes, func(sp *domain.SafeProposal) (bool, int64) { return sp.Exec == nil, sp.At })
}

// selectedSafe is the selected Safe proposal; nil on any other row.
func (p *runbooksPane) selectedSafe() *domain.SafeProposal {
	if i := p.cur.pos; i >= 0 && i < len(p.safes) && i < p.cur.n {
		return p.safes[i]
	}
	return nil
}

func (p *runbooksPane) safeCaption() string {
	return p.ink.muted.on(fit(" "+fit("SAFE TXS", p.idW())+" "+fit("STATE", 9)+" "+fit("NONCE", 13)+" CALL", p.Width))
}

// safeState is a Safe proposal's one-word state: signatures of the threshold, or how
// it executed.
func (p *runbooksPane) safeState(sp *domain.SafeProposal) (string, paint) {
	k := p.ink
	switch {
	case sp.Exec != nil && sp.Exec.Success:
		return "executed", k.ok
	case sp.Exec != nil:
		return "exec fail", k.err
	}
	s := itoa(sp.Confirmations()) + "/" + itoa(int(sp.Threshold))
	if sp.Ready() {
		return s + " ready", k.ok
	}
	return s + " sigs", k.warn
}

// safeCall is the call as the data decodes, with the target: what the Safe will run.
// Data that does not decode as the recorded function says so: nobody should sign it.
func safeCall(sp *domain.SafeProposal) string {
	args, err := safe.DecodeCall(sp.Function, sp.Tx.Data)
	if err != nil {
		return "DATA DOES NOT DECODE as " + sp.Function
	}
	name := sp.Function
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i]
	}
	return name + "(" + strings.Join(args, ", ") + ") → " + sp.Tx.To.Hex()
}

// safeRow: ▸contract-pause         1/2 sigs  nonce 0       pause() → 0x5384… · alice 03:33
func (p *runbooksPane) safeRow(sp *domain.SafeProposal, sel bool) string {
	const stW, nW = 9, 13
	idW := p.idW()
	st, stInk := p.safeState(sp)
	nonce, nInk := "nonce "+sp.Tx.Nonce.String(), p.ink.row
	if sp.Tx.Operation == safe.DelegateCall {
		nonce, nInk = "DELEGATECALL", p.ink.err
	}
	restW := p.Width - 1 - idW - 1 - stW - 1 - nW - 1
	if restW < 8 {
		restW = 0
	}
	rest := safeCall(sp) + " · " + sp.By + " " + clock(sp.At, p.Live.Now, p.Live.Loc, false)
	a, b, c, d := fit(sp.Runbook, idW), fit(st, stW), fit(nonce, nW), fit(rest, restW)
	plain := a + " " + b + " " + c + " " + d
	used := 1 + width(plain)
	switch {
	case sel && p.Focused:
		return p.ink.selected.on(fit("▸"+plain, p.Width))
	case used > p.Width:
		return marker(sel) + p.ink.row.on(fit(plain, p.Width-1))
	}
	return marker(sel) + p.ink.row.on(a) + " " + stInk.on(b) + " " + nInk.on(c) + " " + p.ink.muted.on(d) + spaces(p.Width-used)
}

// safeDetail lays out d lines under the list, most important first when room is
// short: the call and operation, the safeTxHash, signatures or the execution, the
// domain and message hashes; a heading with the Safe when there are four lines or more.
func (p *runbooksPane) safeDetail(sp *domain.SafeProposal, d int) []string {
	k := p.ink
	when := func(ms int64) string { return clock(ms, p.Live.Now, p.Live.Loc, false) }
	line := func(ink paint, s string) string { return ink.on(fit(s, p.Width)) }
	var out []string
	if d >= 4 {
		head := "─ Safe " + sp.Tx.Safe.Hex() + " v" + sp.Version + " chain " + sp.Tx.ChainID.String() + " · " +
			sp.By + " " + when(sp.At) + " "
		out = append(out, line(k.muted, head))
		d--
	}
	// The operation first, where a narrow pane cannot cut it off.
	op, opInk := "call", k.due
	if sp.Tx.Operation == safe.DelegateCall {
		op, opInk = "DELEGATECALL", k.err
	}
	call := opInk.on(fit(op+" "+safeCall(sp)+" · nonce "+sp.Tx.Nonce.String()+" · value "+sp.Tx.Value.String(), p.Width))
	var status string
	switch x := sp.Exec; {
	case x != nil:
		ink := k.ok
		if !x.Success {
			ink = k.err
		}
		s := x.Name + " block " + itoa(int(x.Block)) + " · by " + x.By + " " + when(x.At) + " · tx "
		status = line(ink, s+elide(x.TxHash.Hex(), p.Width-width(s)))
	default:
		var who []string
		for _, sg := range sp.Signatures {
			who = append(who, sg.Owner.Hex()[:10]+" ("+sg.By+")")
		}
		s := itoa(sp.Confirmations()) + " of " + itoa(int(sp.Threshold)) + " owner signatures"
		if len(who) > 0 {
			s += ": " + strings.Join(who, ", ")
		}
		ink := k.warn
		if sp.Ready() {
			ink, s = k.ok, s+" · ready: tminus safe exec"
		} else {
			s += " · tminus safe sign " + sp.ID.Short()
		}
		status = line(ink, s)
	}
	hash := func(label string, h common.Hash) string { return label + " " + elide(h.Hex(), p.Width-len(label)-1) }
	for _, l := range []string{call, line(k.row, hash("safeTxHash", sp.SafeTxHash)), status,
		line(k.muted, hash("domain ", sp.DomainHash)), line(k.muted, hash("message", sp.MessageHash))} {
		if d == 0 {
			break
		}
		out = append(out, l)
		d--
	}
	return out
}

// elide fits a hash into w cells by cutting its middle: an owner compares both ends
// with their wallet's screen, and the whole hash is in tminus safe show.
func elide(h string, w int) string {
	if len(h) <= w || w < 12 {
		return h
	}
	keep := (w - 1) / 2
	return h[:keep] + "…" + h[len(h)-keep:]
}
