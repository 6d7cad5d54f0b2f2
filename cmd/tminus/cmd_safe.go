package main

import (
	"context"
	"crypto/ecdsa"
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
	"github.com/tminus-ir/tminus/store"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).safeCmd)
}

// rpcTimeout bounds one command's conversation with a node, the wait for
// a receipt included.
const rpcTimeout = 2 * time.Minute

func (a *app) safeCmd() *cobra.Command {
	c := &cobra.Command{Use: "safe", Short: "Safe transactions from runbooks: propose, show, sign, exec, export"}
	c.PersistentFlags().StringVar(&a.runbooksDir, "runbooks", "", "directory of team runbooks (TMINUS_RUNBOOKS)")
	c.AddCommand(a.safeProposeCmd(), a.safeShowCmd(), a.safeSignCmd(), a.safeExecCmd(), a.safeExportCmd())
	return c
}

type safeProposeOptions struct {
	incident, runbook, rpc string
	params                 []string
	timeout                time.Duration
	asJSON                 bool
}

func (a *app) safeProposeCmd() *cobra.Command {
	var o safeProposeOptions
	cmd := &cobra.Command{
		Use:   "propose INCIDENT --runbook R [--param k=v]... --rpc URL",
		Short: "A Safe transaction from a runbook's safe: block, at the Safe's current nonce",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.incident = args[0]
			return a.safePropose(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.runbook, "runbook", "", "runbook id with a safe: block")
	cmd.Flags().StringArrayVar(&o.params, "param", nil, "k=v parameter (repeatable)")
	cmd.Flags().StringVar(&o.rpc, "rpc", "", "JSON-RPC URL of a node on the Safe's chain")
	cmd.Flags().DurationVar(&o.timeout, "timeout", rpcTimeout, "give up on the node after")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("runbook")
	cmd.MarkFlagRequired("rpc")
	return cmd
}

func (a *app) safePropose(ctx context.Context, o safeProposeOptions) error {
	lib, err := a.library()
	if err != nil {
		return err
	}
	rb, ok := lib.Get(o.runbook)
	if !ok {
		return fmt.Errorf("runbook %s not found (tminus runbook list shows ids)", o.runbook)
	}
	kv := map[string]string{}
	for _, p := range o.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return usageError{fmt.Errorf("--param %q: want key=value", p)}
		}
		kv[k] = v
	}
	call, err := rb.RenderSafe(kv) // parameters checked before the network is asked anything
	if err != nil {
		return err
	}
	inc, err := a.incidentID(ctx, o.incident)
	if err != nil {
		return err
	}
	if err := a.writable(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client, err := onchain.Dial(ctx, o.rpc)
	if err != nil {
		return err
	}
	info, err := client.ReadSafe(ctx, call.Safe)
	if err != nil {
		return err
	}
	if info.ChainID.Cmp(call.ChainID) != 0 {
		return fmt.Errorf("%w: %s serves chain %s, runbook %s's safe step is for chain %s: nothing proposed (wrong --rpc?)",
			onchain.ErrChainID, o.rpc, info.ChainID, rb.ID, call.ChainID)
	}
	body, err := rb.SafeProposal(inc, kv, runbooks.SafeState{Version: info.Version, Owners: info.Owners,
		Threshold: info.Threshold, Nonce: info.Nonce})
	if err != nil {
		return err
	}
	ev, err := a.gated(ctx, body)
	if err != nil {
		return err
	}
	if !o.asJSON {
		fmt.Fprintf(a.stderr, "%s on Safe %s at nonce %s, %d of %d owners to sign; safeTxHash %s (owners compare it with their wallet: tminus safe show %s)\n",
			decodedCall(body.Function, body.Args), body.Tx.Safe.Hex(), body.Tx.Nonce, body.Threshold, len(body.Owners),
			body.SafeTxHash.Hex(), ev.ID.Short())
	}
	return a.created(o.asJSON, ev.ID.String(), map[string]any{"safe_tx_hash": body.SafeTxHash.Hex(),
		"nonce": body.Tx.Nonce.String(), "threshold": body.Threshold})
}

// writable refuses, before anything reaches a chain, a device whose member
// cannot write: the chain would act on what the log then refuses.
func (a *app) writable(ctx context.Context) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	addr, err := a.home.Address()
	if err != nil {
		return err
	}
	m := s.MemberByKey(addr)
	switch {
	case m == nil || !m.Active:
		return fmt.Errorf("%s is not a member of this workspace (a member adds you with tminus member add)", addr.Hex())
	case !m.CanWrite():
		return fmt.Errorf("%s is an observer: observers cannot change anything", m.Handle)
	}
	return nil
}

// safeProposal resolves an id prefix to a folded Safe proposal.
func (a *app) safeProposal(ctx context.Context, ref string) (*domain.State, *domain.SafeProposal, error) {
	id, err := a.resolve(ctx, ref, "safe proposal", "tminus incident show INCIDENT", domain.KindSafePropose)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.state(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, ok := s.Safe[id]
	if !ok {
		return nil, nil, fmt.Errorf("safe proposal %s was refused by the fold (tminus log shows why)", id.Short())
	}
	return s, p, nil
}

func (a *app) safeShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "The decoded call, Safe, nonce, operation, the three EIP-712 hashes and k of threshold",
		Args:  exactArgs(1, "the safe proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, err := a.safeProposal(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			v := viewSafe(s, p)
			if asJSON {
				return a.printJSON(v)
			}
			a.printSafe(v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// safeView is `safe show --json`: numbers as decimal strings, bytes and
// addresses as 0x hex, times as ts writes them.
type safeView struct {
	ID                string            `json:"id"`
	Incident          string            `json:"incident"`
	Runbook           string            `json:"runbook"`
	RunbookHash       string            `json:"runbook_hash"`
	Params            map[string]string `json:"params,omitempty"`
	ChainID           string            `json:"chain_id"`
	Safe              string            `json:"safe"`
	Version           string            `json:"version"`
	To                string            `json:"to"`
	Value             string            `json:"value"`
	Data              string            `json:"data"`
	Function          string            `json:"function"`
	Args              []string          `json:"args"`
	Decoded           string            `json:"decoded"` // "" when the data does not decode as the function
	Operation         string            `json:"operation"`
	AllowDelegateCall bool              `json:"allow_delegatecall"`
	Nonce             string            `json:"nonce"`
	SafeTxGas         string            `json:"safe_tx_gas"`
	BaseGas           string            `json:"base_gas"`
	GasPrice          string            `json:"gas_price"`
	GasToken          string            `json:"gas_token"`
	RefundReceiver    string            `json:"refund_receiver"`
	DomainHash        string            `json:"domain_hash"`
	MessageHash       string            `json:"message_hash"`
	SafeTxHash        string            `json:"safe_tx_hash"`
	Owners            []string          `json:"owners"`
	Threshold         string            `json:"threshold"`
	Confirmations     string            `json:"confirmations"`
	Signatures        []safeSigView     `json:"signatures"`
	Executed          bool              `json:"executed"`
	Exec              *safeExecView     `json:"exec,omitempty"`
	By                string            `json:"by"`
	At                string            `json:"at"`
}

type safeSigView struct {
	Owner     string `json:"owner"`
	Signature string `json:"signature"`
	By        string `json:"by"`
	At        string `json:"at"`
	Event     string `json:"event"`
}

type safeExecView struct {
	TxHash  string `json:"tx_hash"`
	Block   string `json:"block"`
	Status  string `json:"status"`
	Event   string `json:"event"`
	Success bool   `json:"success"`
	From    string `json:"from"`
	By      string `json:"by"`
	At      string `json:"at"`
}

func viewSafe(s *domain.State, p *domain.SafeProposal) safeView {
	tx := p.Tx
	v := safeView{ID: p.ID.String(), Incident: p.Incident.String(), Runbook: p.Runbook, RunbookHash: p.RunbookHash, Params: p.Params,
		ChainID: tx.ChainID.String(), Safe: tx.Safe.Hex(), Version: p.Version, To: tx.To.Hex(), Value: tx.Value.String(),
		Data: hexutil.Encode(tx.Data), Function: p.Function, Args: p.Args, Operation: tx.Operation.String(),
		AllowDelegateCall: p.AllowDelegateCall, Nonce: tx.Nonce.String(), SafeTxGas: tx.SafeTxGas.String(),
		BaseGas: tx.BaseGas.String(), GasPrice: tx.GasPrice.String(), GasToken: tx.GasToken.Hex(),
		RefundReceiver: tx.RefundReceiver.Hex(), DomainHash: p.DomainHash.Hex(), MessageHash: p.MessageHash.Hex(),
		SafeTxHash: p.SafeTxHash.Hex(), Threshold: fmt.Sprint(p.Threshold), Confirmations: fmt.Sprint(p.Confirmations()),
		Owners: []string{}, Signatures: []safeSigView{}, Executed: p.Exec != nil, By: p.By, At: ts(p.At)}
	// Decoded from the data, not from the recorded args: what the Safe will run.
	if args, err := safe.DecodeCall(p.Function, tx.Data); err == nil {
		v.Decoded = decodedCall(p.Function, args)
	}
	for _, o := range p.Owners {
		v.Owners = append(v.Owners, o.Hex())
	}
	for _, sg := range p.Signatures {
		v.Signatures = append(v.Signatures, safeSigView{Owner: sg.Owner.Hex(), Signature: hexutil.Encode(sg.Signature), By: sg.By,
			At: ts(sg.At), Event: sg.Event.String()})
	}
	if x := p.Exec; x != nil {
		v.Exec = &safeExecView{TxHash: x.TxHash.Hex(), Block: fmt.Sprint(x.Block), Status: fmt.Sprint(x.Status), Event: x.Name,
			Success: x.Success, From: x.From.Hex(), By: x.By, At: ts(x.At)}
	}
	return v
}

// decodedCall is "name(type a, type b)" with the arguments in place.
func decodedCall(function string, args []string) string {
	f, err := safe.ParseFunction(function)
	if err != nil {
		return ""
	}
	parts := make([]string, len(args))
	for i, x := range args {
		parts[i] = f.Inputs[i].Type.String() + " " + x
	}
	return f.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (a *app) printSafe(v safeView) {
	w := a.stdout
	fmt.Fprintf(w, "Safe transaction %s (%s) on incident %s, proposed by %s %s\n", v.ID[:10], v.Runbook, v.Incident[:10], v.By, v.At)
	call := v.Decoded
	if call == "" {
		call = "DOES NOT DECODE as " + v.Function + ": do not sign"
	}
	op := v.Operation
	if op == safe.DelegateCall.String() {
		op = "DELEGATECALL: runs the target's code as the Safe itself"
	}
	for _, kv := range [][2]string{
		{"chain", v.ChainID}, {"safe", v.Safe + " (v" + v.Version + ")"}, {"to", v.To}, {"call", call}, {"value", v.Value + " wei"},
		{"operation", op}, {"nonce", v.Nonce}, {"data", v.Data},
		{"domain hash", v.DomainHash}, {"message hash", v.MessageHash}, {"safeTxHash", v.SafeTxHash},
		{"signatures", v.Confirmations + " of " + v.Threshold},
	} {
		fmt.Fprintf(w, "  %-13s %s\n", kv[0], kv[1])
	}
	for _, sg := range v.Signatures {
		fmt.Fprintf(w, "    %s  recorded by %s %s\n", sg.Owner, sg.By, sg.At)
	}
	if v.Exec != nil {
		fmt.Fprintf(w, "  %-13s %s in tx %s, block %s, by %s %s\n", "executed", v.Exec.Event, v.Exec.TxHash, v.Exec.Block, v.Exec.By, v.Exec.At)
	} else {
		fmt.Fprintf(w, "  %-13s no\n", "executed")
	}
}

type safeSignOptions struct {
	ref, ownerKey, signature string
	asJSON                   bool
}

func (a *app) safeSignCmd() *cobra.Command {
	var o safeSignOptions
	cmd := &cobra.Command{
		Use:   "sign ID (--owner-key KEYSTORE | --signature HEX)",
		Short: "Record an owner's signature of the proposal's safeTxHash",
		Args:  exactArgs(1, "the safe proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			if (o.ownerKey == "") == (o.signature == "") {
				return usageError{errors.New("give exactly one of --owner-key KEYSTORE or --signature HEX")}
			}
			return a.safeSign(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.ownerKey, "owner-key", "", "keystore file of a Safe owner (its passphrase read as for your own key)")
	cmd.Flags().StringVar(&o.signature, "signature", "", "65-byte signature (0x hex) made elsewhere, e.g. by a hardware wallet")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) safeSign(ctx context.Context, o safeSignOptions) error {
	_, p, err := a.safeProposal(ctx, o.ref)
	if err != nil {
		return err
	}
	if p.Exec != nil {
		return fmt.Errorf("safe proposal %s was executed in tx %s: nothing left to sign", p.ID.Short(), p.Exec.TxHash.Hex())
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	// An owner signs only what their own runbook renders.
	if err := runbooks.CheckSafeProposal(lib, p); err != nil {
		return fmt.Errorf("not signing: %w", err)
	}
	var owner common.Address
	var sig []byte
	if o.signature != "" {
		if sig, err = hexutil.Decode(o.signature); err != nil {
			return usageError{fmt.Errorf("--signature: %v (want 0x and 130 hex digits)", err)}
		}
		if owner, err = safe.Recover(p.SafeTxHash, sig); err != nil {
			return err
		}
		if !p.IsOwner(owner) {
			return fmt.Errorf("%w: the signature recovers to %s, not an owner of Safe %s for safeTxHash %s (signed over another transaction?); nothing recorded",
				onchain.ErrNotOwner, owner.Hex(), p.Tx.Safe.Hex(), p.SafeTxHash.Hex())
		}
	} else {
		if owner, err = store.KeyAddress(o.ownerKey); err != nil {
			return err
		}
		// Refused before the passphrase is asked: a non-owner key is the wrong file.
		if !p.IsOwner(owner) {
			return fmt.Errorf("%w: %s (%s) is not an owner of Safe %s; nothing recorded", onchain.ErrNotOwner, owner.Hex(), o.ownerKey, p.Tx.Safe.Hex())
		}
		key, err := a.unlock(o.ownerKey)
		if err != nil {
			return err
		}
		if sig, err = safe.Sign(key, p.SafeTxHash); err != nil {
			return err
		}
	}
	if p.Signed(owner) {
		return fmt.Errorf("owner %s already signed safe proposal %s", owner.Hex(), p.ID.Short())
	}
	ev, err := a.gated(ctx, &domain.SafeSign{Proposal: p.ID, Owner: owner, Signature: sig})
	if err != nil {
		return err
	}
	_, p, err = a.safeProposal(ctx, p.ID.String())
	if err != nil {
		return err
	}
	if !o.asJSON {
		fmt.Fprintf(a.stderr, "owner %s signed safeTxHash %s: %d of %d\n", owner.Hex(), p.SafeTxHash.Hex(), p.Confirmations(), p.Threshold)
	}
	return a.created(o.asJSON, ev.ID.String(), map[string]any{"owner": owner.Hex(), "confirmations": fmt.Sprint(p.Confirmations()),
		"threshold": fmt.Sprint(p.Threshold)})
}

// unlock decrypts a keystore file with the passphrase read as for this
// home's own key (TMINUS_PASSPHRASE, --passphrase-file or a prompt).
func (a *app) unlock(path string) (*ecdsa.PrivateKey, error) {
	pass, err := a.home.Passphrase(false)
	if err != nil {
		return nil, err
	}
	return store.UnlockKey(path, pass)
}

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
	return nil
}

func (a *app) safeExportCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "export ID --json",
		Short: "The transaction and its signatures in the Safe Transaction Service's shape (a path to the Safe web app)",
		Args:  exactArgs(1, "the safe proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !asJSON {
				return usageError{errors.New("export writes JSON only: give --json")}
			}
			_, p, err := a.safeProposal(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			v, err := stsView(p)
			if err != nil {
				return err
			}
			return a.printJSON(v)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (required)")
	return cmd
}

// stsTx is the body the Safe Transaction Service takes to propose a
// multisig transaction (POST /api/v1/safes/{safe}/multisig-transactions/):
// addresses checksummed, value and gasPrice as decimal strings (wei can
// exceed a JSON number), the small integers as numbers. signature holds
// every recorded owner signature packed in owner order, as
// execTransaction takes them; signatures lists them one by one for the
// confirmations endpoint.
type stsTx struct {
	Safe                    string         `json:"safe"`
	To                      string         `json:"to"`
	Value                   string         `json:"value"`
	Data                    string         `json:"data"`
	Operation               uint8          `json:"operation"`
	SafeTxGas               uint64         `json:"safeTxGas"`
	BaseGas                 uint64         `json:"baseGas"`
	GasPrice                string         `json:"gasPrice"`
	GasToken                string         `json:"gasToken"`
	RefundReceiver          string         `json:"refundReceiver"`
	Nonce                   uint64         `json:"nonce"`
	ContractTransactionHash string         `json:"contractTransactionHash"`
	Sender                  string         `json:"sender"`
	Signature               string         `json:"signature"`
	Origin                  string         `json:"origin"`
	Signatures              []stsSignature `json:"signatures"`
}

type stsSignature struct {
	Owner     string `json:"owner"`
	Signature string `json:"signature"`
}

func stsView(p *domain.SafeProposal) (stsTx, error) {
	tx := p.Tx
	if len(p.Signatures) == 0 {
		return stsTx{}, fmt.Errorf("safe proposal %s has no owner signature yet; the Transaction Service takes a proposal only with its sender's (tminus safe sign first)", p.ID.Short())
	}
	for _, n := range []struct {
		name string
		ok   bool
	}{{"safeTxGas", tx.SafeTxGas.IsUint64()}, {"baseGas", tx.BaseGas.IsUint64()}, {"nonce", tx.Nonce.IsUint64()}} {
		if !n.ok {
			return stsTx{}, fmt.Errorf("%s does not fit the Transaction Service's integer field", n.name)
		}
	}
	v := stsTx{Safe: tx.Safe.Hex(), To: tx.To.Hex(), Value: tx.Value.String(), Data: hexutil.Encode(tx.Data),
		Operation: uint8(tx.Operation), SafeTxGas: tx.SafeTxGas.Uint64(), BaseGas: tx.BaseGas.Uint64(),
		GasPrice: tx.GasPrice.String(), GasToken: tx.GasToken.Hex(), RefundReceiver: tx.RefundReceiver.Hex(),
		Nonce: tx.Nonce.Uint64(), ContractTransactionHash: p.SafeTxHash.Hex(), Sender: p.Signatures[0].Owner.Hex(),
		Signature: hexutil.Encode(safe.Pack(p.Sigs())), Origin: "tminus " + p.Runbook, Signatures: []stsSignature{}}
	for _, sg := range p.Signatures {
		v.Signatures = append(v.Signatures, stsSignature{Owner: sg.Owner.Hex(), Signature: hexutil.Encode(sg.Signature)})
	}
	return v, nil
}
