package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/store"
)

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
			if v.Refused, err = a.refusedSigs(cmd.Context(), s, p); err != nil {
				return err
			}
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
	// Refused are the safe.sign events of this proposal the fold did not
	// count, with why (a revoked key, a removed member, a non-owner).
	Refused []safeRefusedView `json:"refused_signatures"`
	// SupersededBy is the executed proposal that used this one's nonce:
	// this one can never execute.
	SupersededBy string `json:"superseded_by,omitempty"`
	By           string `json:"by"`
	At           string `json:"at"`
}

type safeSigView struct {
	Owner     string `json:"owner"`
	Signature string `json:"signature"`
	By        string `json:"by"`
	At        string `json:"at"`
	Event     string `json:"event"`
}

type safeRefusedView struct {
	Owner  string `json:"owner"`
	By     string `json:"by"`
	Event  string `json:"event"`
	Reason string `json:"reason"`
}

// refusedSigs lists the signatures of p that the fold refused: without
// them, "1 of 2" after three owners signed reads as a lost sync.
func (a *app) refusedSigs(ctx context.Context, s *domain.State, p *domain.SafeProposal) ([]safeRefusedView, error) {
	out := []safeRefusedView{}
	var st *store.Store
	for _, r := range s.Rejected {
		if r.Kind != domain.KindSafeSign {
			continue
		}
		if st == nil {
			var err error
			if st, err = a.home.Store(ctx); err != nil {
				return nil, err
			}
		}
		raw, err := st.Raw(ctx, r.Event)
		if err != nil {
			continue // pruned or unknown here: nothing to show
		}
		e, err := domain.Decode(raw)
		if err != nil {
			continue
		}
		b, err := domain.DecodeBody(e.Kind, e.Body)
		sign, ok := b.(*domain.SafeSign)
		if err != nil || !ok || sign.Proposal != p.ID {
			continue
		}
		out = append(out, safeRefusedView{Owner: sign.Owner.Hex(), By: s.Handle(r.Author), Event: r.Event.String(), Reason: r.Reason})
	}
	return out, nil
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
		Owners: []string{}, Signatures: []safeSigView{}, Refused: []safeRefusedView{}, Executed: p.Exec != nil, By: p.By, At: ts(p.At)}
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
	if q := s.Superseded(p); q != nil {
		v.SupersededBy = q.ID.String()
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
	w := a.text()
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
	for _, r := range v.Refused {
		fmt.Fprintf(w, "    %s  NOT COUNTED, recorded by %s (event %s): %s\n", r.Owner, r.By, r.Event[:10], r.Reason)
	}
	if v.Exec != nil {
		fmt.Fprintf(w, "  %-13s %s in tx %s, block %s, by %s %s\n", "executed", v.Exec.Event, v.Exec.TxHash, v.Exec.Block, v.Exec.By, v.Exec.At)
	} else {
		fmt.Fprintf(w, "  %-13s no\n", "executed")
	}
	if v.SupersededBy != "" {
		fmt.Fprintf(w, "  %-13s its nonce was used by safe proposal %s: it can never execute; do not sign it, propose again\n",
			"SUPERSEDED", v.SupersededBy[:10])
	}
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
