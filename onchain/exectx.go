package onchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/tminus-ir/tminus/domain/safe"
)

// Errors of a transaction sent, or looked up, before its receipt exists,
// and of one that is not the execution asked about.
var (
	ErrNoReceipt = errors.New("no receipt yet")
	ErrNotThisTx = errors.New("not an execution of this Safe transaction")
	ErrReverted  = errors.New("execTransaction reverted")
)

// ExecCall is execTransaction's arguments as sent: the SafeTx fields the
// calldata carries (not the chain id, the Safe or the nonce, which only
// the safeTxHash in the Safe's log binds) and the packed owner signatures.
type ExecCall struct {
	To             common.Address
	Value          *big.Int
	Data           []byte
	Operation      safe.Operation
	SafeTxGas      *big.Int
	BaseGas        *big.Int
	GasPrice       *big.Int
	GasToken       common.Address
	RefundReceiver common.Address
	Signatures     []byte
}

// DecodeExecCall decodes a transaction's input as execTransaction. The
// input comes from the chain, which is not trusted to be well formed.
func DecodeExecCall(input []byte) (ExecCall, error) {
	m := safeABI.Methods["execTransaction"]
	if len(input) < 4 || !bytes.Equal(input[:4], m.ID) {
		return ExecCall{}, fmt.Errorf("%w: the transaction does not call execTransaction", ErrNotThisTx)
	}
	out, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		return ExecCall{}, fmt.Errorf("%w: malformed execTransaction arguments: %v", ErrNotThisTx, err)
	}
	var c ExecCall
	var op uint8
	ok := len(out) == 10
	if ok {
		c.To, ok = out[0].(common.Address)
	}
	for i, dst := range []**big.Int{&c.Value, nil, nil, &c.SafeTxGas, &c.BaseGas, &c.GasPrice} {
		if ok && dst != nil {
			*dst, ok = out[1+i].(*big.Int)
		}
	}
	if ok {
		c.Data, ok = out[2].([]byte)
	}
	if ok {
		op, ok = out[3].(uint8)
	}
	if ok {
		c.GasToken, ok = out[7].(common.Address)
	}
	if ok {
		c.RefundReceiver, ok = out[8].(common.Address)
	}
	if ok {
		c.Signatures, ok = out[9].([]byte)
	}
	if !ok {
		return ExecCall{}, fmt.Errorf("%w: execTransaction arguments of unexpected types", ErrNotThisTx)
	}
	c.Operation = safe.Operation(op)
	return c, nil
}

// Matches names the first field in which the call differs from tx, or
// returns nil when it carries exactly tx's to, value, data, operation and
// gas fields.
func (c ExecCall) Matches(tx *safe.Tx) error {
	for _, f := range []struct {
		name string
		same bool
	}{
		{"to", c.To == tx.To},
		{"value", c.Value.Cmp(tx.Value) == 0},
		{"data", bytes.Equal(c.Data, tx.Data)},
		{"operation", c.Operation == tx.Operation},
		{"safeTxGas", c.SafeTxGas.Cmp(tx.SafeTxGas) == 0},
		{"baseGas", c.BaseGas.Cmp(tx.BaseGas) == 0},
		{"gasPrice", c.GasPrice.Cmp(tx.GasPrice) == 0},
		{"gasToken", c.GasToken == tx.GasToken},
		{"refundReceiver", c.RefundReceiver == tx.RefundReceiver},
	} {
		if !f.same {
			return fmt.Errorf("%w: its %s differs from the proposal's", ErrNotThisTx, f.name)
		}
	}
	return nil
}

// SentExec is an execTransaction found on chain and checked against a SafeTx.
type SentExec struct {
	ExecResult
	From common.Address // who sent (and paid for) it
	Call ExecCall
}

// FindExec checks that transaction h, sent earlier by anyone (an exec
// whose receipt did not come in time, the Safe web app, cast), executed
// tx, and returns what it did. It refuses: an RPC on another chain than
// tx's (ErrChainID); a transaction unknown to the node or not mined yet
// (ErrNoReceipt: wait and retry); one that is not execTransaction on tx's
// Safe with tx's arguments, or whose receipt lacks the Safe's
// ExecutionSuccess or ExecutionFailure for tx's safeTxHash (ErrNotThisTx:
// another transaction, or the same call at another nonce); a reverted one
// (ErrReverted: the Safe ran nothing).
func (c *Client) FindExec(ctx context.Context, tx *safe.Tx, h common.Hash) (SentExec, error) {
	if err := tx.Validate(); err != nil {
		return SentExec{}, err
	}
	if err := c.CheckChain(ctx, tx.ChainID); err != nil {
		return SentExec{}, err
	}
	t, pending, err := c.b.TransactionByHash(ctx, h)
	switch {
	case errors.Is(err, ethereum.NotFound):
		return SentExec{}, fmt.Errorf("%w: transaction %s is unknown to the node (not sent, not propagated yet, or on another chain): wait and retry, or check the hash and --rpc", ErrNoReceipt, h.Hex())
	case err != nil:
		return SentExec{}, rpcErr("the RPC", err)
	case pending:
		return SentExec{}, fmt.Errorf("%w: transaction %s is pending, not mined yet: wait for it to be mined and run this again", ErrNoReceipt, h.Hex())
	}
	if t.To() == nil || *t.To() != tx.Safe {
		to := "a contract creation"
		if t.To() != nil {
			to = "a transaction to " + t.To().Hex()
		}
		return SentExec{}, fmt.Errorf("%w: %s is %s, not to Safe %s", ErrNotThisTx, h.Hex(), to, tx.Safe.Hex())
	}
	call, err := DecodeExecCall(t.Data())
	if err != nil {
		return SentExec{}, fmt.Errorf("%s: %w", h.Hex(), err)
	}
	if err := call.Matches(tx); err != nil {
		return SentExec{}, fmt.Errorf("%s: %w", h.Hex(), err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainID), t)
	if err != nil {
		return SentExec{}, fmt.Errorf("transaction %s: its sender does not recover: %v", h.Hex(), err)
	}
	rcpt, err := c.b.TransactionReceipt(ctx, h)
	switch {
	case errors.Is(err, ethereum.NotFound):
		return SentExec{}, fmt.Errorf("%w: transaction %s has no receipt yet: wait for it to be mined and run this again", ErrNoReceipt, h.Hex())
	case err != nil:
		return SentExec{}, rpcErr("the RPC", err)
	}
	res := ExecResult{TxHash: h, Block: rcpt.BlockNumber.Uint64(), Status: rcpt.Status}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return SentExec{}, fmt.Errorf("%w: %s reverted in block %d: the Safe refused it (signatures, nonce or gas) and ran nothing", ErrReverted, h.Hex(), res.Block)
	}
	if err := parseExecLog(rcpt, tx.Safe, tx.Hash(), &res); err != nil {
		return SentExec{}, fmt.Errorf("%w: %v (the same call at another nonce?)", ErrNotThisTx, err)
	}
	return SentExec{ExecResult: res, From: from, Call: call}, nil
}
