package onchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain/safe"
)

// MaxOwners bounds the owner list read from a Safe: the chain is not
// trusted to answer sensibly, and a real Safe has a handful.
const MaxOwners = 256

// SafeInfo is a Safe's state as read from the chain at one moment.
type SafeInfo struct {
	ChainID   *big.Int
	Version   string
	Owners    []common.Address
	Threshold uint64
	Nonce     *big.Int
}

// IsOwner reports whether a is one of the owners.
func (s SafeInfo) IsOwner(a common.Address) bool {
	for _, o := range s.Owners {
		if o == a {
			return true
		}
	}
	return false
}

// ReadSafe reads a Safe's version, owners, threshold and nonce, all at the
// same block so they are consistent with one another.
func (c *Client) ReadSafe(ctx context.Context, safe common.Address) (SafeInfo, error) {
	id, err := c.ChainID(ctx)
	if err != nil {
		return SafeInfo{}, err
	}
	head, err := c.b.BlockNumber(ctx)
	if err != nil {
		return SafeInfo{}, rpcErr("the RPC", err)
	}
	at := new(big.Int).SetUint64(head)
	code, err := c.call(ctx, safe, at, "VERSION")
	if err != nil {
		return SafeInfo{}, err
	}
	info := SafeInfo{ChainID: id}
	info.Version = code[0].(string)
	out, err := c.call(ctx, safe, at, "getOwners")
	if err != nil {
		return SafeInfo{}, err
	}
	info.Owners = out[0].([]common.Address)
	if len(info.Owners) == 0 || len(info.Owners) > MaxOwners {
		return SafeInfo{}, fmt.Errorf("safe %s reports %d owners (want 1 to %d): not a set-up Safe?", safe.Hex(), len(info.Owners), MaxOwners)
	}
	out, err = c.call(ctx, safe, at, "getThreshold")
	if err != nil {
		return SafeInfo{}, err
	}
	th := out[0].(*big.Int)
	if th.Sign() <= 0 || th.Cmp(big.NewInt(int64(len(info.Owners)))) > 0 {
		return SafeInfo{}, fmt.Errorf("safe %s reports threshold %s for %d owners: not a set-up Safe?", safe.Hex(), th, len(info.Owners))
	}
	info.Threshold = th.Uint64()
	out, err = c.call(ctx, safe, at, "nonce")
	if err != nil {
		return SafeInfo{}, err
	}
	info.Nonce = out[0].(*big.Int)
	return info, nil
}

// call runs a view method of the Safe ABI and unpacks its outputs.
func (c *Client) call(ctx context.Context, to common.Address, at *big.Int, method string) ([]any, error) {
	data, err := safeABI.Pack(method)
	if err != nil {
		return nil, err
	}
	res, err := c.b.CallContract(ctx, ethereum.CallMsg{To: &to, Data: data}, at)
	if err != nil {
		if isTransport(err) {
			return nil, rpcErr("the RPC", err)
		}
		return nil, fmt.Errorf("%s.%s(): %v (is %s a Safe on this chain?)", to.Hex(), method, err, to.Hex())
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("%s.%s() returned nothing: no Safe at %s on this chain (wrong address or chain?)", to.Hex(), method, to.Hex())
	}
	out, err := safeABI.Unpack(method, res)
	if err != nil || len(out) != 1 {
		return nil, fmt.Errorf("%s.%s() returned %d bytes that are not a Safe's answer: not a Safe? (%v)", to.Hex(), method, len(res), err)
	}
	return out, nil
}

// HasCode reports whether a contract is deployed at a, at the head: a call
// with data to an address without code runs nothing and still succeeds, so
// a Safe transaction to a mistyped target would "execute" and pause nothing.
func (c *Client) HasCode(ctx context.Context, a common.Address) (bool, error) {
	code, err := c.b.CodeAt(ctx, a, nil)
	if err != nil {
		if isTransport(err) {
			return false, rpcErr("the RPC", err)
		}
		return false, fmt.Errorf("reading the code at %s: %v", a.Hex(), err)
	}
	return len(code) > 0, nil
}

// ErrHashMismatch means the Safe computes another safeTxHash than tminus
// for the same transaction: owners would sign a hash the Safe refuses.
var ErrHashMismatch = errors.New("safeTxHash mismatch")

// CheckSafeTxHash asks the Safe for its own getTransactionHash of tx and
// refuses (ErrHashMismatch) one that differs from tx.Hash(), the hash owners
// compare on their wallets and sign. tminus hashes as Safe ≥ 1.3 does; an
// older Safe (no chain id in its domain) or a modified one would take other
// signatures, and each would be spent on a transaction that cannot execute.
func (c *Client) CheckSafeTxHash(ctx context.Context, tx *safe.Tx) error {
	data, err := safeABI.Pack("getTransactionHash", tx.To, tx.Value, tx.Data, uint8(tx.Operation), tx.SafeTxGas, tx.BaseGas,
		tx.GasPrice, tx.GasToken, tx.RefundReceiver, tx.Nonce)
	if err != nil {
		return fmt.Errorf("packing getTransactionHash: %w", err)
	}
	res, err := c.b.CallContract(ctx, ethereum.CallMsg{To: &tx.Safe, Data: data}, nil)
	if err != nil {
		if isTransport(err) {
			return rpcErr("the RPC", err)
		}
		return fmt.Errorf("%s.getTransactionHash(): %v (is it a Safe?)", tx.Safe.Hex(), err)
	}
	out, err := safeABI.Unpack("getTransactionHash", res)
	if err != nil || len(out) != 1 {
		return fmt.Errorf("%s.getTransactionHash() returned %d bytes that are not a hash (%v)", tx.Safe.Hex(), len(res), err)
	}
	got := common.Hash(out[0].([32]byte))
	if want := tx.Hash(); got != want {
		return fmt.Errorf("%w: Safe %s computes safeTxHash %s for this transaction, tminus computed %s: owners would sign a hash the Safe refuses (Safe versions before 1.3 hash without the chain id; tminus supports 1.3 and later)",
			ErrHashMismatch, tx.Safe.Hex(), got.Hex(), want.Hex())
	}
	return nil
}
