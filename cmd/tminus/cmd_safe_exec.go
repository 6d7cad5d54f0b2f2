package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/runbooks"
)

type safeExecOptions struct {
	ref, rpc, fromKey, tx string
	timeout, wait         time.Duration
	asJSON                bool
}

func (a *app) safeExecCmd() *cobra.Command {
	var o safeExecOptions
	cmd := &cobra.Command{
		Use:   "exec ID --rpc URL (--from-key KEYSTORE | --tx HASH)",
		Short: "Send execTransaction once the Safe's threshold is met and record it, or record one already sent (--tx)",
		Long: `With --from-key: sends execTransaction with the owners' recorded signatures, waits for the
receipt (--wait) and records tx hash, block, status and the Safe's ExecutionSuccess or
ExecutionFailure. If the receipt does not come in time nothing is recorded; the error gives
the transaction's hash and the --tx command that records it once mined.

With --tx HASH: records an execTransaction already sent (by an exec whose receipt did not come,
the Safe web app, or cast), after checking on chain that it calls this proposal's Safe with
its exact arguments and that the Safe logged the execution of its safeTxHash. The owners'
signatures must be recorded first (tminus safe sign); the error lists those the transaction
carried.`,
		Args: exactArgs(1, "the safe proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			if (o.fromKey == "") == (o.tx == "") {
				return usageError{errors.New("give exactly one of --from-key KEYSTORE (send execTransaction) or --tx HASH (record one already sent)")}
			}
			if o.tx != "" {
				return a.safeExecTx(cmd.Context(), o)
			}
			return a.safeExec(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.rpc, "rpc", "", "JSON-RPC URL of a node on the Safe's chain")
	cmd.Flags().StringVar(&o.fromKey, "from-key", "", "keystore file of the account that pays the gas")
	cmd.Flags().StringVar(&o.tx, "tx", "", "hash of an execTransaction already sent: check it on chain and record it")
	cmd.Flags().DurationVar(&o.timeout, "timeout", rpcTimeout, "give up on the node after (the receipt wait is --wait)")
	cmd.Flags().DurationVar(&o.wait, "wait", rpcTimeout, "give up waiting for the receipt after (the transaction may still be mined: record it with --tx)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("rpc")
	return cmd
}

// mayExecute refuses what the fold would refuse of an execution by this
// device's member, before the chain is asked anything.
func (a *app) mayExecute(s *domain.State, p *domain.SafeProposal) error {
	addr, err := a.home.Address()
	if err != nil {
		return err
	}
	if m := s.MemberByKey(addr); m == nil || !m.Active || !m.Has(domain.RoleContainment) {
		return fmt.Errorf("%s may not execute: needs the containment role", s.Handle(addr))
	}
	if p.Exec != nil {
		return fmt.Errorf("safe proposal %s already executed in tx %s", p.ID.Short(), p.Exec.TxHash.Hex())
	}
	return nil
}

func (a *app) safeExec(ctx context.Context, o safeExecOptions) error {
	s, p, err := a.safeProposal(ctx, o.ref)
	if err != nil {
		return err
	}
	if err := a.mayExecute(s, p); err != nil {
		return err
	}
	if err := superseded(s, p); err != nil {
		return fmt.Errorf("%w; nothing sent", err)
	}
	if n := uint64(p.Confirmations()); n < p.Threshold {
		return fmt.Errorf("%w: safe proposal %s has %d of %d owner signatures (tminus safe sign); nothing sent",
			onchain.ErrThreshold, p.ID.Short(), n, p.Threshold)
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	if err := runbooks.CheckSafeProposal(lib, p); err != nil {
		return fmt.Errorf("not executing: %w", err)
	}
	if err := a.readyToRecord(ctx, o.fromKey); err != nil {
		return err
	}
	key, err := a.unlock(o.fromKey)
	if err != nil {
		return err
	}
	sendCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client, err := onchain.Dial(sendCtx, o.rpc)
	if err != nil {
		return fmt.Errorf("%w; nothing recorded as executed", err)
	}
	h, err := client.SendExec(sendCtx, p.Tx, p.Sigs(), key)
	if errors.Is(err, onchain.ErrNonceAhead) {
		return fmt.Errorf("%w; nothing sent", err)
	}
	if errors.Is(err, onchain.ErrNonceMoved) {
		return fmt.Errorf("%w; nothing sent. If it was this proposal that ran (sent earlier, from the Safe web app or cast), record it: tminus safe exec %s --rpc %s --tx HASH",
			err, p.ID.Short(), o.rpc)
	}
	if err != nil {
		return fmt.Errorf("%w; nothing recorded as executed", err)
	}
	// Said before the wait: if this process dies now, the hash is on screen.
	fmt.Fprintf(a.stderr, "sent execTransaction %s; waiting up to %s for its receipt\n", h.Hex(), o.wait)
	waitCtx, cancelWait := context.WithTimeout(ctx, o.wait)
	defer cancelWait()
	res, err := client.ExecReceipt(waitCtx, p.Tx, h)
	if errors.Is(err, onchain.ErrNoReceipt) {
		return fmt.Errorf("execTransaction %s was sent but its receipt did not come within %s: it may still be mined. "+
			"Nothing recorded as executed; do not send it again. Once it is mined, record it: tminus safe exec %s --rpc %s --tx %s",
			h.Hex(), o.wait, p.ID.Short(), o.rpc, h.Hex())
	}
	if err != nil {
		return fmt.Errorf("%w; nothing recorded as executed", err)
	}
	return a.recordExec(ctx, p, res, crypto.PubkeyToAddress(key.PublicKey), o.asJSON)
}

// safeExecTx records an execTransaction sent earlier, once the chain shows
// it executed this proposal's SafeTx. The local runbook is not checked
// again: the transaction already ran, and the timeline must say so.
func (a *app) safeExecTx(ctx context.Context, o safeExecOptions) error {
	raw, err := hexutil.Decode(o.tx)
	if err != nil || len(raw) != common.HashLength {
		return usageError{fmt.Errorf("--tx %q: want a transaction hash, 0x and 64 hex digits", o.tx)}
	}
	h := common.BytesToHash(raw)
	s, p, err := a.safeProposal(ctx, o.ref)
	if err != nil {
		return err
	}
	if err := a.mayExecute(s, p); err != nil {
		return err
	}
	// One on-chain execution is one proposal's: two proposals of the same
	// call at the same nonce share a safeTxHash.
	for _, q := range s.Safe {
		if q.Exec != nil && q.Exec.TxHash == h {
			return fmt.Errorf("tx %s is already recorded as the execution of safe proposal %s", h.Hex(), q.ID.Short())
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client, err := onchain.Dial(ctx2, o.rpc)
	if err != nil {
		return fmt.Errorf("%w; nothing recorded", err)
	}
	sent, err := client.FindExec(ctx2, p.Tx, h)
	if err != nil {
		return fmt.Errorf("%w; nothing recorded", err)
	}
	// The fold counts only signatures recorded in the log, so an execution
	// signed outside tminus is refused until they are: its owners'
	// signatures are in the transaction, so list them to be recorded (and
	// attributed to a member) first. (Error text is printed on one line.)
	if n := uint64(p.Confirmations()); n < p.Threshold {
		var cmds []string
		for _, sig := range splitSignatures(sent.Call.Signatures) {
			if owner, err := safe.Recover(p.SafeTxHash, sig); err == nil && p.IsOwner(owner) && !p.Signed(owner) {
				cmds = append(cmds, fmt.Sprintf("tminus safe sign %s --signature %s (owner %s)", p.ID.Short(), hexutil.Encode(sig), owner.Hex()))
			}
		}
		msg := fmt.Sprintf("%s executed safe proposal %s on chain (%s, block %d), but only %d of %d owner signatures are recorded here; nothing recorded. Record the owners' signatures first",
			h.Hex(), p.ID.Short(), sent.Event, sent.Block, n, p.Threshold)
		if len(cmds) > 0 {
			msg += ", those the transaction carried: " + strings.Join(cmds, "; ") + "; then run this again"
		} else {
			msg += " (tminus safe sign), then run this again"
		}
		return fmt.Errorf("%w: %s", onchain.ErrThreshold, msg)
	}
	return a.recordExec(ctx, p, sent.ExecResult, sent.From, o.asJSON)
}

// splitSignatures is the 65-byte r,s,v words at the head of packed Safe
// signatures (a contract signature's dynamic part after them is ignored).
func splitSignatures(packed []byte) [][]byte {
	var out [][]byte
	for i := 0; i+safe.SignatureLen <= len(packed); i += safe.SignatureLen {
		out = append(out, packed[i:i+safe.SignatureLen])
	}
	return out
}

// recordExec records a mined execTransaction of p as safe.exec. A mined
// ExecutionFailure is recorded and then reported as an error: the Safe's
// nonce moved although the call failed.
func (a *app) recordExec(ctx context.Context, p *domain.SafeProposal, res onchain.ExecResult, from common.Address, asJSON bool) error {
	body := &domain.SafeExec{Proposal: p.ID, TxHash: res.TxHash, Block: res.Block, Status: res.Status, Event: res.Event, From: from}
	ev, err := a.gated(context.WithoutCancel(ctx), body)
	if err != nil {
		return fmt.Errorf("executed on chain in tx %s (block %d, %s) but not recorded: %w (record it: tminus safe exec %s --rpc URL --tx %s)",
			res.TxHash.Hex(), res.Block, res.Event, err, p.ID.Short(), res.TxHash.Hex())
	}
	if !asJSON {
		fmt.Fprintf(a.stderr, "%s in tx %s, block %d\n", res.Event, res.TxHash.Hex(), res.Block)
	}
	if err := a.created(asJSON, ev.ID.String(), map[string]any{"tx_hash": res.TxHash.Hex(), "block": fmt.Sprint(res.Block),
		"status": fmt.Sprint(res.Status), "event": res.Event, "success": res.Success}); err != nil {
		return err
	}
	if !res.Success {
		return fmt.Errorf("the Safe ran the transaction and its call failed (ExecutionFailure, recorded); the nonce moved")
	}
	if !asJSON {
		// Time to contain already counts from this exec; the status is the
		// team's call (is the threat really contained?), so only say how.
		fmt.Fprintf(a.stderr, "once the team agrees it is contained: tminus incident status %s contained\n", p.Incident.Short())
	}
	return nil
}
