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
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
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
		// Which Safe, which target: the last of two values must not win
		// silently in a transaction the owners will sign.
		if old, dup := kv[k]; dup {
			return usageError{fmt.Errorf("--param %s given twice (%q, then %q): give it once", k, old, v)}
		}
		kv[k] = v
	}
	call, err := rb.RenderSafe(kv) // parameters checked before the network is asked anything
	if err != nil {
		return usageError{err}
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
	// The chain first: a node on another chain, or one lying about it,
	// is refused as such before it is asked about the Safe.
	if err := client.CheckChain(ctx, call.ChainID); err != nil {
		return fmt.Errorf("%w: runbook %s's safe step is for chain %s; nothing proposed", err, rb.ID, call.ChainID)
	}
	info, err := client.ReadSafe(ctx, call.Safe)
	if err != nil {
		return err
	}
	if info.ChainID.Cmp(call.ChainID) != 0 {
		return fmt.Errorf("%w: %s serves chain %s, runbook %s's safe step is for chain %s: nothing proposed (wrong --rpc?)",
			onchain.ErrChainID, o.rpc, info.ChainID, rb.ID, call.ChainID)
	}
	if len(call.Data) > 0 {
		code, err := client.HasCode(ctx, call.To)
		if err != nil {
			return err
		}
		if !code {
			return fmt.Errorf("no contract at %s on chain %s: %s there would run nothing and still report success (a mistyped or wrong-chain address?); nothing proposed",
				call.To.Hex(), info.ChainID, call.Function)
		}
	}
	body, err := rb.SafeProposal(inc, kv, runbooks.SafeState{Version: info.Version, Owners: info.Owners,
		Threshold: info.Threshold, Nonce: info.Nonce})
	if err != nil {
		return err
	}
	// The Safe's own hash of the transaction must be the one owners will
	// compare and sign, or every signature is wasted.
	if err := client.CheckSafeTxHash(ctx, body.Tx); err != nil {
		return fmt.Errorf("%w; nothing proposed", err)
	}
	ev, err := a.gated(ctx, body)
	if err != nil {
		return err
	}
	if !o.asJSON {
		fmt.Fprintf(a.stderr, "%s on Safe %s at nonce %s, %d of %d owners to sign; safeTxHash %s (owners compare it with their wallet: tminus safe show %s)\n",
			decodedCall(body.Function, body.Args), body.Tx.Safe.Hex(), body.Tx.Nonce, body.Threshold, len(body.Owners),
			body.SafeTxHash.Hex(), ev.ID.Short())
		a.noteRivals(ctx, ev.ID, body)
	}
	return a.created(o.asJSON, ev.ID.String(), map[string]any{"safe_tx_hash": body.SafeTxHash.Hex(),
		"nonce": body.Tx.Nonce.String(), "threshold": fmt.Sprint(body.Threshold)})
}

// noteRivals says which open proposals share the new one's Safe nonce: only
// one of them can execute, and the owners had better agree which.
func (a *app) noteRivals(ctx context.Context, id domain.ID, b *domain.SafePropose) {
	s, err := a.state(ctx)
	if err != nil {
		return
	}
	for _, q := range s.Safe {
		if q.ID != id && q.Exec == nil && q.Tx.Safe == b.Tx.Safe && q.Tx.ChainID.Cmp(b.Tx.ChainID) == 0 && q.Tx.Nonce.Cmp(b.Tx.Nonce) == 0 {
			fmt.Fprintf(a.stderr, "note: safe proposal %s (%s by %s) is also at nonce %s: only one of them can execute, the other is then superseded\n",
				q.ID.Short(), q.Runbook, q.By, q.Tx.Nonce)
		}
	}
}

// superseded refuses a proposal whose Safe nonce an executed proposal used:
// it can never execute, and a signature of it is wasted at best.
func superseded(s *domain.State, p *domain.SafeProposal) error {
	q := s.Superseded(p)
	if q == nil {
		return nil
	}
	return fmt.Errorf("safe proposal %s can never execute: Safe %s's nonce %s was used by safe proposal %s (%s, nonce %s, executed in tx %s); "+
		"propose it again at the Safe's current nonce (tminus safe propose)", p.ID.Short(), p.Tx.Safe.Hex(), p.Tx.Nonce, q.ID.Short(), q.Runbook,
		q.Tx.Nonce, q.Exec.TxHash.Hex())
}

// writable refuses, before anything reaches a chain, a device whose member
// cannot write: the chain would act on what the log then refuses.
func (a *app) writable(ctx context.Context) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	return precheck(a, s, nil) // the member checks only: no body yet
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
	s, p, err := a.safeProposal(ctx, o.ref)
	if err != nil {
		return err
	}
	if p.Exec != nil {
		return fmt.Errorf("safe proposal %s was executed in tx %s: nothing left to sign", p.ID.Short(), p.Exec.TxHash.Hex())
	}
	if err := superseded(s, p); err != nil {
		return fmt.Errorf("not signing: %w", err)
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	// An owner signs only what their own runbook renders.
	if err := runbooks.CheckSafeProposal(lib, p); err != nil {
		return fmt.Errorf("not signing: %w", err)
	}
	owner, sig, err := a.ownerSignature(ctx, p, o)
	if err != nil {
		return err
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

// ownerSignature is an owner's signature of p's safeTxHash: the one given
// with --signature, recovered to its owner, or one made here with the
// --owner-key keystore.
func (a *app) ownerSignature(ctx context.Context, p *domain.SafeProposal, o safeSignOptions) (common.Address, []byte, error) {
	if o.signature != "" {
		sig, err := hexutil.Decode(o.signature)
		if err != nil || len(sig) != safe.SignatureLen {
			if err == nil {
				err = fmt.Errorf("%d bytes", len(sig))
			}
			return common.Address{}, nil, usageError{fmt.Errorf("--signature: %v (want 0x and 130 hex digits: r, s, v)", err)}
		}
		owner, err := safe.Recover(p.SafeTxHash, sig)
		if err != nil {
			return common.Address{}, nil, err
		}
		if !p.IsOwner(owner) {
			return common.Address{}, nil, fmt.Errorf("%w: the signature recovers to %s, not an owner of Safe %s for safeTxHash %s (signed over another transaction?); nothing recorded",
				onchain.ErrNotOwner, owner.Hex(), p.Tx.Safe.Hex(), p.SafeTxHash.Hex())
		}
		return owner, sig, nil
	}
	owner, err := store.KeyAddress(o.ownerKey)
	if err != nil {
		return common.Address{}, nil, err
	}
	// Refused before the passphrase is asked: a non-owner key is the wrong file.
	if !p.IsOwner(owner) {
		return common.Address{}, nil, fmt.Errorf("%w: %s (%s) is not an owner of Safe %s; nothing recorded", onchain.ErrNotOwner, owner.Hex(), o.ownerKey, p.Tx.Safe.Hex())
	}
	if err := a.readyToRecord(ctx, o.ownerKey); err != nil {
		return common.Address{}, nil, err
	}
	key, err := a.unlock(o.ownerKey)
	if err != nil {
		return common.Address{}, nil, err
	}
	sig, err := safe.Sign(key, p.SafeTxHash)
	if err != nil {
		return common.Address{}, nil, err
	}
	return owner, sig, nil
}

// readyToRecord opens this home's own signer before a second keystore is
// unlocked with the same passphrase: without an agent, one TMINUS_PASSPHRASE
// cannot open both, and the member key failing after a transaction was sent
// would leave it on chain and unrecorded. A serving node signs for itself.
func (a *app) readyToRecord(ctx context.Context, keystore string) error {
	if nodeServing(a.home) {
		return nil
	}
	if _, err := a.home.Signer(ctx); err != nil {
		return fmt.Errorf("your member key signs the record and did not open: %w. The passphrase is read once for it and for %s: "+
			"hold your key in an agent first (eval \"$(tminus agent)\"), then give %s's passphrase; nothing sent or recorded", err, keystore, keystore)
	}
	return nil
}

// nodeServing reports whether a serve or cockpit answers on h's node socket.
func nodeServing(h *workspace.Home) bool {
	c, err := agent.Dial(h.NodeSock())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// unlock decrypts a keystore file with the passphrase read as for this
// home's own key (TMINUS_PASSPHRASE, --passphrase-file or a prompt).
func (a *app) unlock(path string) (*ecdsa.PrivateKey, error) {
	pass, err := a.home.Passphrase(false)
	if err != nil {
		return nil, err
	}
	k, err := store.UnlockKey(path, pass)
	if errors.Is(err, store.ErrPassphrase) {
		return nil, fmt.Errorf("%w. The passphrase is the one read for your member key: if %s has its own, hold your key in an agent first (eval \"$(tminus agent)\"), then give %s's passphrase; nothing signed or sent",
			err, path, path)
	}
	return k, err
}
