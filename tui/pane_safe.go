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
	fn, ok := safeFunc(sp)
	if !ok {
		return fn
	}
	return fn + " → " + sp.Tx.To.Hex()
}

// safeFunc is the decoded call alone, "pause()"; false when the data does not decode.
func safeFunc(sp *domain.SafeProposal) (string, bool) {
	args, err := safe.DecodeCall(sp.Function, sp.Tx.Data)
	if err != nil {
		return "DATA DOES NOT DECODE as " + sp.Function, false
	}
	name := sp.Function
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i]
	}
	return name + "(" + strings.Join(args, ", ") + ")", true
}

// safeCallIn is the call fitted to w cells: the target's middle gives way first
// (0x5E4e…9dD2, both ends kept), then the whole target (the details show it), then the
// arguments, cut with an ellipsis.
func safeCallIn(sp *domain.SafeProposal, w int) string {
	full := safeCall(sp)
	fn, ok := safeFunc(sp)
	if width(full) <= w || !ok {
		return cut(full, w)
	}
	if toW := w - width(fn+" → "); toW >= minElide {
		return fn + " → " + elide(sp.Tx.To.Hex(), toW)
	}
	return cut(fn, w)
}

// nonceW is the width of the Safe rows' nonce column: the widest nonce, or DELEGATECALL
// where it replaces one (the caption says NONCE, so the word is not repeated).
func (p *runbooksPane) nonceW() int {
	n := width("NONCE")
	for _, sp := range p.safes {
		n = max(n, width(safeNonce(sp)))
	}
	return n
}

func safeNonce(sp *domain.SafeProposal) string {
	if sp.Tx.Operation == safe.DelegateCall {
		return "DELEGATECALL"
	}
	return sp.Tx.Nonce.String()
}

func (p *runbooksPane) safeCaption() string {
	return p.ink.muted.on(fit(" "+fit("SAFE TXS", p.idW())+" "+fit("STATE", 9)+" "+fit("NONCE", p.nonceW())+" CALL", p.Width))
}

// safeRow: ▸contract-pause         1/2 sigs  41    pause() → 0x5E4e65…24E9dD2 · alice 03:33
func (p *runbooksPane) safeRow(sp *domain.SafeProposal, sel bool) string {
	const stW = 9
	idW, nW := p.idW(), p.nonceW()
	st, stInk := p.safeState(sp)
	nonce, nInk := safeNonce(sp), p.ink.row
	if sp.Tx.Operation == safe.DelegateCall {
		nInk = p.ink.err
	}
	restW := p.Width - 1 - idW - 1 - stW - 1 - nW - 1
	if restW < 8 {
		restW = 0
	}
	// Who proposed it and when are kept whole; the call gives way.
	by := " · " + sp.By + " " + clock(sp.At, p.Live.Now, p.Live.Loc, false)
	rest := fit(safeCallIn(sp, restW-width(by))+by, restW)
	if restW-width(by) < 4 {
		rest = fit(safeCallIn(sp, restW), restW)
	}
	a, b, c, d := fit(sp.Runbook, idW), fit(st, stW), fit(nonce, nW), rest
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
		// The Safe's address gives way (its middle) before who proposed it and when.
		pre, post, by := "─ Safe ", " v"+sp.Version+" chain "+sp.Tx.ChainID.String(), " · "+sp.By+" "+when(sp.At)+" "
		addr := sp.Tx.Safe.Hex()
		if n := width(pre + addr + post + by); n > p.Width {
			addr = elide(addr, width(addr)-(n-p.Width))
		}
		out = append(out, k.muted.on(fitTail(pre+addr+post, by, p.Width)))
		d--
	}
	// The operation first, where a narrow pane cannot cut it off; the nonce and value,
	// which an owner compares on the wallet, are kept whole; the target's middle gives
	// way first, then the arguments.
	op, opInk := "call", k.due
	if sp.Tx.Operation == safe.DelegateCall {
		op, opInk = "DELEGATECALL", k.err
	}
	nv := " · nonce " + sp.Tx.Nonce.String() + " · value " + sp.Tx.Value.String()
	call := opInk.on(fitTail(op+" "+safeCallIn(sp, p.Width-width(op+" "+nv)), nv, p.Width))
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
		// What to do next is kept whole; the list of signers gives way.
		ink, next := k.warn, " · tminus safe sign "+sp.ID.Short()
		if sp.Ready() {
			ink, next = k.ok, " · ready: tminus safe exec"
		}
		status = ink.on(fitTail(s, next, p.Width))
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

// minElide is the narrowest elided hash or address: 0x5E…9dD2 still shows both ends.
const minElide = 9

// elide fits a hash into w cells by cutting its middle: an owner compares both ends
// with their wallet's screen, and the whole hash is in tminus safe show.
func elide(h string, w int) string {
	if len(h) <= w || w < minElide {
		return h
	}
	keep := (w - 1) / 2
	return h[:keep] + "…" + h[len(h)-keep:]
}

// safeReader shows a Safe transaction whole (v): the Safe, the call and its target, the
// nonce and value, the three EIP-712 hashes and every signer, none elided, as an owner
// compares them with their wallet's screen.
func (p *runbooksPane) safeReader(id domain.ID) *reader {
	sp := p.Live.State.Safe[id]
	return &reader{title: sp.Runbook + " Safe transaction",
		copy: send(copyRequest{text: sp.SafeTxHash.Hex(), what: "copied the safeTxHash of the " + sp.Runbook + " Safe transaction"}),
		build: func(w int) []string {
			sp := p.Live.State.Safe[id]
			if sp == nil {
				return []string{p.ink.err.on(fit("the Safe transaction is gone from the state", w))}
			}
			k := p.ink
			when := func(ms int64) string { return clock(ms, p.Live.Now, p.Live.Loc, false) }
			op, opInk := "call", k.due
			if sp.Tx.Operation == safe.DelegateCall {
				op, opInk = "DELEGATECALL", k.err
			}
			out := textBlock(k.muted, "proposed by "+sp.By+" "+when(sp.At)+" · Safe v"+sp.Version+" chain "+sp.Tx.ChainID.String(), w)
			out = append(out, textBlock(k.row, "Safe "+sp.Tx.Safe.Hex(), w)...)
			out = append(out, textBlock(opInk, op+" "+safeCall(sp), w)...)
			out = append(out, textBlock(k.row, "nonce "+sp.Tx.Nonce.String()+" · value "+sp.Tx.Value.String(), w)...)
			out = append(out, "")
			for _, h := range []struct {
				label string
				hash  common.Hash
			}{{"safeTxHash", sp.SafeTxHash}, {"domain", sp.DomainHash}, {"message", sp.MessageHash}} {
				out = append(out, textBlock(k.row, h.label+" "+h.hash.Hex(), w)...)
			}
			out = append(out, "")
			if x := sp.Exec; x != nil {
				ink := k.ok
				if !x.Success {
					ink = k.err
				}
				out = append(out, textBlock(ink, x.Name+" block "+itoa(int(x.Block))+" · by "+x.By+" "+when(x.At)+" · tx "+x.TxHash.Hex(), w)...)
			} else {
				next := "tminus safe sign " + sp.ID.Short()
				if sp.Ready() {
					next = "ready: tminus safe exec " + sp.ID.Short()
				}
				out = append(out, textBlock(k.warn, itoa(sp.Confirmations())+" of "+itoa(int(sp.Threshold))+" owner signatures · "+next, w)...)
			}
			for _, sg := range sp.Signatures {
				out = append(out, textBlock(k.row, "signed by owner "+sg.Owner.Hex()+" ("+sg.By+" "+when(sg.At)+")", w)...)
			}
			return out
		}}
}
