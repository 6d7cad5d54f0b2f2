package onchain

import (
	"bytes"
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
	// Confirmations is how many blocks hold the anchor in place, its own
	// included, when it was read: 1 means a reorg of one block removes it.
	Confirmations uint64
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
		return Anchor{}, fmt.Errorf("%w: transaction %s is not on chain %s (wrong chain or RPC? or a reorg dropped it: anchor again)", ErrNotAnchor, h.Hex(), id)
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
	a := Anchor{ChainID: id, TxHash: h, Block: r.BlockNumber.Uint64(), Root: common.BytesToHash(data[len(AnchorPrefix):]), From: from}
	if head, err := c.b.BlockNumber(ctx); err == nil && head >= a.Block {
		a.Confirmations = head - a.Block + 1
	}
	return a, nil
}

// Confirm waits until anchor transaction h has n confirmations (its block
// and n-1 on top) and returns the block it is in then, re-reading its
// receipt at every poll: a reorg may move it to another block, or drop it
// for a while. ctx bounds the wait; when it ends first the error says
// whether the transaction was on the chain at all.
func (c *Client) Confirm(ctx context.Context, h common.Hash, n uint64) (uint64, error) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	var last string
	// A poll that the end of ctx cut short says nothing of the transaction:
	// the error then tells what the poll before it found. The transport may
	// fail on ctx's deadline (a pipe's "i/o timeout") a moment before ctx
	// itself is done, so a passed deadline counts as the end too.
	failed := func(err error) {
		d, ok := ctx.Deadline()
		cut := ctx.Err() != nil || ok && !time.Now().Before(d)
		if !cut || last == "" {
			last = rpcErr("the RPC", err).Error()
		}
	}
	for {
		r, err := c.b.TransactionReceipt(ctx, h)
		switch {
		case err == nil:
			block := r.BlockNumber.Uint64()
			head, err := c.b.BlockNumber(ctx)
			if err != nil {
				failed(err)
				break
			}
			if r.Status != types.ReceiptStatusSuccessful {
				return 0, fmt.Errorf("anchor transaction %s failed in block %d", h.Hex(), block)
			}
			if n <= 1 || head >= block+n-1 {
				return block, nil
			}
			last = fmt.Sprintf("in block %d, %d of %d confirmations", block, head-block+1, n)
		case errors.Is(err, ethereum.NotFound):
			last = "not in the chain: a reorg took it out"
		default:
			failed(err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: anchor transaction %s not confirmed %d times before giving up (%v): it was %s", ErrNoReceipt, h.Hex(), n, ctx.Err(), last)
		case <-t.C:
		}
	}
}
