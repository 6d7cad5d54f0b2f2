package onchain

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// AnchorPrefix starts an anchor transaction's data; the 32-byte root follows.
const AnchorPrefix = "tminus-anchor-v1"

// Anchor is a log root put on a chain.
type Anchor struct {
	ChainID *big.Int
	TxHash  common.Hash
	Block   uint64
	Root    common.Hash
	From    common.Address
}

// Anchor sends one transaction from key to itself, value 0, data
// AnchorPrefix || root, and waits for its receipt (ctx bounds the wait).
func (c *Client) Anchor(ctx context.Context, key *ecdsa.PrivateKey, root common.Hash) (Anchor, error) {
	if key == nil {
		return Anchor{}, errors.New("no key: give the key that sends the anchor (--key)")
	}
	id, err := c.ChainID(ctx)
	if err != nil {
		return Anchor{}, err
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	data := append([]byte(AnchorPrefix), root[:]...)
	r, err := c.send(ctx, key, &from, nil, data, id)
	if err != nil {
		return Anchor{}, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return Anchor{}, fmt.Errorf("anchor transaction %s failed in block %d", r.TxHash.Hex(), r.BlockNumber.Uint64())
	}
	return Anchor{ChainID: id, TxHash: r.TxHash, Block: r.BlockNumber.Uint64(), Root: root, From: from}, nil
}

// ReadAnchor reads an anchor back from the chain by transaction hash. It
// refuses (ErrNotAnchor) a transaction that is not from its sender to
// itself with value 0 and AnchorPrefix || root data, or that failed, or that
// is not mined yet.
func (c *Client) ReadAnchor(ctx context.Context, h common.Hash) (Anchor, error) {
	id, err := c.ChainID(ctx)
	if err != nil {
		return Anchor{}, err
	}
	tx, pending, err := c.b.TransactionByHash(ctx, h)
	if errors.Is(err, ethereum.NotFound) {
		return Anchor{}, fmt.Errorf("%w: transaction %s is not on chain %s (wrong chain or RPC?)", ErrNotAnchor, h.Hex(), id)
	}
	if err != nil {
		if isTransport(err) {
			return Anchor{}, rpcErr("the RPC", err)
		}
		return Anchor{}, fmt.Errorf("reading transaction %s: %v", h.Hex(), err)
	}
	if pending {
		return Anchor{}, fmt.Errorf("%w: transaction %s is still pending; wait for it to be mined", ErrNotAnchor, h.Hex())
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil {
		return Anchor{}, fmt.Errorf("%w: transaction %s: sender: %v", ErrNotAnchor, h.Hex(), err)
	}
	data := tx.Data()
	if tx.To() == nil || *tx.To() != from || tx.Value().Sign() != 0 ||
		len(data) != len(AnchorPrefix)+common.HashLength || !bytes.HasPrefix(data, []byte(AnchorPrefix)) {
		return Anchor{}, fmt.Errorf("%w: transaction %s is not a self-sent, zero-value %q transaction", ErrNotAnchor, h.Hex(), AnchorPrefix)
	}
	r, err := c.b.TransactionReceipt(ctx, h)
	if err != nil {
		if isTransport(err) && !errors.Is(err, ethereum.NotFound) {
			return Anchor{}, rpcErr("the RPC", err)
		}
		return Anchor{}, fmt.Errorf("%w: transaction %s has no receipt: %v", ErrNotAnchor, h.Hex(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return Anchor{}, fmt.Errorf("%w: transaction %s failed on chain", ErrNotAnchor, h.Hex())
	}
	return Anchor{ChainID: id, TxHash: h, Block: r.BlockNumber.Uint64(), Root: common.BytesToHash(data[len(AnchorPrefix):]), From: from}, nil
}
