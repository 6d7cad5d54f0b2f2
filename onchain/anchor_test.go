package onchain_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

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
