package onchain_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

func TestAnchorRoundTrip(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	ctx := testCtx(t)
	root := crypto.Keccak256Hash([]byte("log root"))
	a, err := c.Client.Anchor(ctx, c.OwnerKeys[1], root)
	if err != nil {
		t.Fatal(err)
	}
	if a.Root != root || a.From != c.Owners[1] || a.ChainID.Int64() != 1337 || a.Block == 0 {
		t.Fatalf("Anchor = %+v", a)
	}
	back, err := c.Client.ReadAnchor(ctx, a.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if back.Root != root || back.From != a.From || back.Block != a.Block || back.TxHash != a.TxHash || back.ChainID.Cmp(a.ChainID) != 0 {
		t.Fatalf("ReadAnchor = %+v, want %+v", back, a)
	}
	if _, err := c.Client.Anchor(ctx, nil, root); err == nil {
		t.Fatal("Anchor without a key succeeded")
	}
}

// ReadAnchor refuses what is not a tminus anchor.
func TestReadAnchorRefuses(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	ctx := testCtx(t)
	self := c.Owners[0]
	other := c.Owners[1]
	root := crypto.Keccak256Hash([]byte("root"))
	data := append([]byte(onchain.AnchorPrefix), root[:]...)
	send := func(to common.Address, value int64, data []byte) common.Hash {
		t.Helper()
		r, err := c.Client.Send(ctx, c.OwnerKeys[0], &to, big.NewInt(value), data)
		if err != nil {
			t.Fatal(err)
		}
		return r.TxHash
	}
	tx := pauseTx(t, c)
	exec, err := c.Client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[0]), c.Funder)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hash common.Hash
		text string
	}{
		{"a Safe exec", exec.TxHash, "not a self-sent"},
		{"sent to someone else", send(other, 0, data), "not a self-sent"},
		{"with value", send(self, 1, data), "not a self-sent"},
		{"other prefix", send(self, 0, append([]byte("tminus-anchor-v2"), root[:]...)), "not a self-sent"},
		{"short root", send(self, 0, data[:len(data)-1]), "not a self-sent"},
		{"long data", send(self, 0, append(append([]byte{}, data...), 0)), "not a self-sent"},
		{"unknown hash", crypto.Keccak256Hash([]byte("nothing")), "is not on chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Client.ReadAnchor(ctx, tc.hash)
			if !errors.Is(err, onchain.ErrNotAnchor) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("ReadAnchor = %v, want ErrNotAnchor containing %q", err, tc.text)
			}
		})
	}
}

// Confirm waits for an anchor's confirmations and follows it through a
// reorg: a chain that adds no block leaves it unconfirmed (an error naming
// how far it got, nothing to record); after a reorg that takes its block
// out, it returns the block the transaction is mined in again.
func TestAnchorConfirmThroughReorg(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	ctx := testCtx(t)
	a, err := c.Client.Anchor(ctx, c.OwnerKeys[0], crypto.Keccak256Hash([]byte("root")))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := c.Client.Confirm(ctx, a.TxHash, 1); err != nil || b != a.Block {
		t.Fatalf("Confirm(1) = %d, %v; want block %d at once", b, err, a.Block)
	}
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = c.Client.Confirm(short, a.TxHash, 3)
	cancel()
	if !errors.Is(err, onchain.ErrNoReceipt) || !strings.Contains(err.Error(), " of 3 confirmations") {
		t.Fatalf("Confirm(3) on a chain that adds no block = %v, want ErrNoReceipt saying how many of 3", err)
	}

	// A reorg from the anchor's parent: the new branch, longer, lacks it.
	h, err := c.Sim.Client().HeaderByNumber(ctx, new(big.Int).SetUint64(a.Block))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fork(h.ParentHash); err != nil {
		t.Fatal(err)
	}
	c.Commit()
	c.Commit()
	stop, mined := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-mined }()
	go func() { // blocks keep coming, as on a live chain
		defer close(mined)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				c.Commit()
			}
		}
	}()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := c.Client.Confirm(wait, a.TxHash, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Sim.Client().TransactionReceipt(ctx, a.TxHash)
	if err != nil || r.BlockNumber.Uint64() != b || r.BlockHash == h.Hash() {
		t.Fatalf("after the reorg the anchor is in block %d (Confirm says %d), hash %s; the replaced block was %s (%v)",
			r.BlockNumber, b, r.BlockHash.Hex(), h.Hash().Hex(), err)
	}
	back, err := c.Client.ReadAnchor(ctx, a.TxHash)
	if err != nil || back.Block != b || back.Confirmations < 3 {
		t.Fatalf("ReadAnchor after the reorg = %+v, %v; want block %d, 3+ confirmations", back, err, b)
	}
}
