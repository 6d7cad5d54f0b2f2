package onchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain/safe"
)

// ExecResult is what an execTransaction did on chain.
type ExecResult struct {
	TxHash  common.Hash
	Block   uint64
	Status  uint64 // the receipt's: 1 mined and not reverted
	Success bool   // the Safe's inner call succeeded (ExecutionSuccess)
	Event   string // "ExecutionSuccess" | "ExecutionFailure"
	Payment *big.Int
}

// Exec executes a co-signed Safe transaction. Before anything is sent it
// refuses: an RPC whose chain id differs from tx.ChainID (ErrChainID); a
// Safe whose nonce is no longer tx.Nonce (ErrNonceMoved: another
// transaction ran first, and these signatures can never execute); a
// signature that does not recover to a current owner (ErrNotOwner); fewer
// such signatures than the current threshold (ErrThreshold). Then it packs
// the signatures sorted by owner, estimates gas, sends execTransaction from
// `from`, and waits for the receipt (ctx bounds the wait) and its
// ExecutionSuccess or ExecutionFailure log.
//
// sigs is keyed by the owner each signature is claimed to be from; a key
// that differs from the recovered signer is refused.
func (c *Client) Exec(ctx context.Context, tx *safe.Tx, sigs map[common.Address][]byte, from *ecdsa.PrivateKey) (ExecResult, error) {
	h, err := c.SendExec(ctx, tx, sigs, from)
	if err != nil {
		return ExecResult{}, err
	}
	return c.ExecReceipt(ctx, tx, h)
}

// SendExec is Exec up to the send: the same checks, then execTransaction
// sent and its hash returned without waiting for a receipt, so a caller
// can bound the wait apart from the rest and knows the hash if it ends.
func (c *Client) SendExec(ctx context.Context, tx *safe.Tx, sigs map[common.Address][]byte, from *ecdsa.PrivateKey) (common.Hash, error) {
	if err := tx.Validate(); err != nil {
		return common.Hash{}, err
	}
	if from == nil {
		return common.Hash{}, errors.New("no sender key: give the key that pays for execTransaction's gas (--from-key)")
	}
	if err := c.CheckChain(ctx, tx.ChainID); err != nil {
		return common.Hash{}, err
	}
	info, err := c.ReadSafe(ctx, tx.Safe)
	if err != nil {
		return common.Hash{}, err
	}
	if info.ChainID.Cmp(tx.ChainID) != 0 { // the node changed its answer between two calls
		return common.Hash{}, fmt.Errorf("%w: the RPC serves chain %s, the transaction is for chain %s (wrong --rpc?)", ErrChainID, info.ChainID, tx.ChainID)
	}
	switch info.Nonce.Cmp(tx.Nonce) {
	case 1:
		return common.Hash{}, fmt.Errorf("%w: safe %s is at nonce %s, the transaction was signed for nonce %s (another transaction ran first; propose it again)", ErrNonceMoved, tx.Safe.Hex(), info.Nonce, tx.Nonce)
	case -1:
		// Not spent: the Safe runs its nonces in order, or this node is
		// behind the one the proposal was read from.
		return common.Hash{}, fmt.Errorf("%w: %w: safe %s is at nonce %s, the transaction is for nonce %s: the Safe's transactions at nonce %s to %s must execute first, or this RPC is behind the chain (try another); the signatures stay good",
			ErrNonceMoved, ErrNonceAhead, tx.Safe.Hex(), info.Nonce, tx.Nonce, info.Nonce, new(big.Int).Sub(tx.Nonce, big.NewInt(1)))
	}
	valid, err := CheckSignatures(info, tx.Hash(), sigs)
	if err != nil {
		return common.Hash{}, err
	}
	call, err := safeABI.Pack("execTransaction", tx.To, tx.Value, tx.Data, uint8(tx.Operation),
		tx.SafeTxGas, tx.BaseGas, tx.GasPrice, tx.GasToken, tx.RefundReceiver, safe.Pack(valid))
	if err != nil {
		return common.Hash{}, fmt.Errorf("packing execTransaction: %w", err)
	}
	return c.submit(ctx, from, &tx.Safe, nil, call, info.ChainID)
}

// ExecReceipt waits for the receipt of execTransaction h, sent for tx
// (ctx bounds the wait), and reads the Safe's ExecutionSuccess or
// ExecutionFailure log. When ctx ends first the error wraps ErrNoReceipt
// and the result still names h: the transaction may yet be mined.
func (c *Client) ExecReceipt(ctx context.Context, tx *safe.Tx, h common.Hash) (ExecResult, error) {
	rcpt, err := c.wait(ctx, h)
	if err != nil {
		return ExecResult{TxHash: h}, err
	}
	res := ExecResult{TxHash: rcpt.TxHash, Block: rcpt.BlockNumber.Uint64(), Status: rcpt.Status}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return res, fmt.Errorf("execTransaction %s reverted in block %d: the Safe refused it (signatures, nonce or gas); nothing was executed", rcpt.TxHash.Hex(), res.Block)
	}
	if err := parseExecLog(rcpt, tx.Safe, tx.Hash(), &res); err != nil {
		return res, err
	}
	return res, nil
}

// CheckSignatures keeps the signatures that recover to a current owner for
// safeTxHash h and checks they meet the threshold. A signature whose
// recovered signer is no longer an owner (a module removed it since the
// proposal) is left out: the Safe would revert on it, and the others may
// still meet the threshold. When they do not, the error wraps ErrNotOwner
// and names the address it recovered to (a signature over another nonce,
// chain or Safe recovers to a random address, so this also catches those).
// A signature filed under another owner than its signer is refused.
func CheckSignatures(info SafeInfo, h common.Hash, sigs map[common.Address][]byte) (map[common.Address][]byte, error) {
	valid := make(map[common.Address][]byte, len(sigs))
	var stranger error
	for claimed, sig := range sigs {
		signer, err := safe.Recover(h, sig)
		if err != nil {
			return nil, fmt.Errorf("signature for %s: %w", claimed.Hex(), err)
		}
		if signer != claimed && info.IsOwner(signer) {
			return nil, fmt.Errorf("%w: the signature given for %s was made by %s", ErrNotOwner, claimed.Hex(), signer.Hex())
		}
		if !info.IsOwner(signer) {
			stranger = fmt.Errorf("%w: a signature recovers to %s, not an owner of the Safe for safeTxHash %s (signed by a non-owner, or over another nonce, chain or Safe, or by an owner removed since)", ErrNotOwner, signer.Hex(), h.Hex())
			continue
		}
		valid[signer] = sig
	}
	if uint64(len(valid)) < info.Threshold {
		if stranger != nil {
			return nil, fmt.Errorf("%w; %d of %d owner signatures left (collect %d more)", stranger, len(valid), info.Threshold, info.Threshold-uint64(len(valid)))
		}
		return nil, fmt.Errorf("%w: %d of %d owner signatures for safeTxHash %s (collect %d more)", ErrThreshold, len(valid), info.Threshold, h.Hex(), info.Threshold-uint64(len(valid)))
	}
	return valid, nil
}

// Send signs and sends a transaction from key to `to` (nil creates a
// contract) with value and data, gas estimated, and waits for its receipt
// (ctx bounds the wait). A reverted transaction is returned with its
// receipt's status 0, not as an error.
func (c *Client) Send(ctx context.Context, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte) (*types.Receipt, error) {
	if key == nil {
		return nil, errors.New("no key to send the transaction with")
	}
	id, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, key, to, value, data, id)
}

// send is Send on a known chain id.
func (c *Client) send(ctx context.Context, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, chainID *big.Int) (*types.Receipt, error) {
	h, err := c.submit(ctx, key, to, value, data, chainID)
	if err != nil {
		return nil, err
	}
	return c.wait(ctx, h)
}

// submit signs and sends a transaction and returns its hash.
func (c *Client) submit(ctx context.Context, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, chainID *big.Int) (common.Hash, error) {
	if value == nil {
		value = new(big.Int)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.b.PendingNonceAt(ctx, from)
	if err != nil {
		return common.Hash{}, rpcErr("the RPC", err)
	}
	gas, err := c.b.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Value: value, Data: data})
	if err != nil {
		if isTransport(err) {
			return common.Hash{}, rpcErr("the RPC", err)
		}
		if why := explainSafeError(err.Error()); why != "" {
			return common.Hash{}, fmt.Errorf("estimating gas for %s: %v, the Safe's %s; the transaction would revert, nothing was sent", from.Hex(), err, why)
		}
		return common.Hash{}, fmt.Errorf("estimating gas for %s: %v (the transaction would revert; nothing was sent)", from.Hex(), err)
	}
	// A margin over the estimate: the Safe's gas checks (gasleft() against
	// safeTxGas) need headroom that eth_estimateGas does not always leave.
	gas += gas / 4
	txdata, err := c.fees(ctx, chainID, nonce, gas, to, value, data)
	if err != nil {
		return common.Hash{}, err
	}
	signed, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), txdata)
	if err != nil {
		return common.Hash{}, fmt.Errorf("signing the transaction: %w", err)
	}
	if err := c.b.SendTransaction(ctx, signed); err != nil {
		if isTransport(err) {
			return common.Hash{}, rpcErr("the RPC", err)
		}
		return common.Hash{}, fmt.Errorf("sending the transaction from %s: %v (funded? check its balance)", from.Hex(), err)
	}
	return signed.Hash(), nil
}

// fees prices a transaction: EIP-1559 when the chain has a base fee, legacy
// otherwise.
func (c *Client) fees(ctx context.Context, chainID *big.Int, nonce, gas uint64, to *common.Address, value *big.Int, data []byte) (types.TxData, error) {
	head, err := c.b.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, rpcErr("the RPC", err)
	}
	if head.BaseFee == nil {
		price, err := c.b.SuggestGasPrice(ctx)
		if err != nil {
			return nil, rpcErr("the RPC", err)
		}
		return &types.LegacyTx{Nonce: nonce, GasPrice: price, Gas: gas, To: to, Value: value, Data: data}, nil
	}
	tip, err := c.b.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, rpcErr("the RPC", err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	return &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: to, Value: value, Data: data}, nil
}

// WaitMined waits for a transaction's receipt, polling until ctx ends.
func (c *Client) WaitMined(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	return c.wait(ctx, tx)
}

// wait polls for a receipt until ctx ends.
func (c *Client) wait(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	for {
		r, err := c.b.TransactionReceipt(ctx, h)
		if err == nil {
			return r, nil
		}
		// Not mined yet (NotFound) or a transient failure: poll until ctx ends.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: transaction %s sent, %w (%v): check it on the chain before sending again", ErrRPC, h.Hex(), ErrNoReceipt, ctx.Err())
		case <-t.C:
		}
	}
}

// parseExecLog finds the Safe's ExecutionSuccess or ExecutionFailure for h.
// Safe 1.4 indexes txHash (a topic); 1.3 logs it in the data.
func parseExecLog(r *types.Receipt, safeAddr common.Address, h common.Hash, res *ExecResult) error {
	for _, l := range r.Logs {
		if l.Address != safeAddr || len(l.Topics) == 0 {
			continue
		}
		var name string
		switch l.Topics[0] {
		case safeABI.Events["ExecutionSuccess"].ID:
			name = "ExecutionSuccess"
		case safeABI.Events["ExecutionFailure"].ID:
			name = "ExecutionFailure"
		default:
			continue
		}
		var got common.Hash
		var payment []byte
		switch {
		case len(l.Topics) == 2 && len(l.Data) == 32: // 1.4: txHash indexed
			got, payment = l.Topics[1], l.Data
		case len(l.Topics) == 1 && len(l.Data) == 64: // 1.3: both in data
			got, payment = common.BytesToHash(l.Data[:32]), l.Data[32:]
		default:
			return fmt.Errorf("receipt %s: malformed %s log (%d topics, %d data bytes)", r.TxHash.Hex(), name, len(l.Topics), len(l.Data))
		}
		if got != h {
			continue
		}
		res.Event, res.Success, res.Payment = name, name == "ExecutionSuccess", new(big.Int).SetBytes(payment)
		return nil
	}
	return fmt.Errorf("receipt %s has no ExecutionSuccess or ExecutionFailure for safeTxHash %s", r.TxHash.Hex(), h.Hex())
}
