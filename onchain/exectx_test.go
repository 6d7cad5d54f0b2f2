package onchain_test

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/chaintest"
	"github.com/tminus-ir/tminus/onchain/safedeploy"
)

// An execution whose receipt did not come is found again by its hash and
// checked against the SafeTx; every other transaction is refused.
func TestFindExec(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2})
	ctx := testCtx(t)
	tx := pauseTx(t, c)
	// Sent, and its receipt never asked for: as if the wait had ended.
	h, err := c.Client.SendExec(ctx, tx, sign(t, tx, c.OwnerKeys[0], c.OwnerKeys[1]), c.Funder)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Client.FindExec(ctx, tx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Success || got.Event != "ExecutionSuccess" || got.Status != 1 || got.Block == 0 || got.TxHash != h ||
		got.From != crypto.PubkeyToAddress(c.Funder.PublicKey) || len(got.Call.Signatures) != 2*safe.SignatureLen {
		t.Fatalf("FindExec = %+v", got)
	}

	transfer, err := c.Client.Send(ctx, c.Funder, &c.Owners[0], big.NewInt(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	edited := func(edit func(*safe.Tx)) *safe.Tx {
		x := *tx
		edit(&x)
		return &x
	}
	unpause, _ := safe.EncodeCall("unpause()", nil)
	for _, tc := range []struct {
		name string
		tx   *safe.Tx
		h    common.Hash
		want error
		msg  string
	}{
		{"another call", edited(func(x *safe.Tx) { x.Data = unpause }), h, onchain.ErrNotThisTx, "data differs"},
		{"another gas price", edited(func(x *safe.Tx) { x.GasPrice = big.NewInt(1) }), h, onchain.ErrNotThisTx, "gasPrice differs"},
		{"the same call at another nonce", edited(func(x *safe.Tx) { x.Nonce = big.NewInt(1) }), h, onchain.ErrNotThisTx, "another nonce"},
		{"another Safe", edited(func(x *safe.Tx) { x.Safe = c.Target }), h, onchain.ErrNotThisTx, "not to Safe"},
		{"another chain", edited(func(x *safe.Tx) { x.ChainID = big.NewInt(1) }), h, onchain.ErrChainID, "serves chain 1337"},
		{"a plain transfer", tx, transfer.TxHash, onchain.ErrNotThisTx, "not to Safe"},
		{"an unknown hash", tx, common.HexToHash("0x1234"), onchain.ErrNoReceipt, "wait and retry"},
	} {
		if _, err := c.Client.FindExec(ctx, tc.tx, tc.h); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: FindExec = %v, want %v with %q", tc.name, err, tc.want, tc.msg)
		}
	}
	if _, err := onchain.New(pendingTxs{c.Backend}).FindExec(ctx, tx, h); !errors.Is(err, onchain.ErrNoReceipt) || !strings.Contains(err.Error(), "pending") {
		t.Errorf("pending: FindExec = %v, want ErrNoReceipt", err)
	}
	if _, err := onchain.New(noReceipts{Backend: c.Backend}).FindExec(ctx, tx, h); !errors.Is(err, onchain.ErrNoReceipt) || !strings.Contains(err.Error(), "no receipt yet") {
		t.Errorf("no receipt: FindExec = %v, want ErrNoReceipt", err)
	}

	// A mined ExecutionFailure is found as one: the Safe's nonce moved.
	fail := pauseTx(t, c)
	fail.Data, _ = safe.EncodeCall("notAFunction()", nil)
	fail.SafeTxGas = big.NewInt(100_000)
	res, err := c.Client.Exec(ctx, fail, sign(t, fail, c.OwnerKeys[1], c.OwnerKeys[2]), c.Funder)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Client.FindExec(ctx, fail, res.TxHash); err != nil || got.Success || got.Event != "ExecutionFailure" {
		t.Fatalf("FindExec of an ExecutionFailure = %+v, %v", got, err)
	}

	// A reverted execTransaction (bad signatures, sent without an estimate)
	// ran nothing.
	next := pauseTx(t, c)
	bad := sign(t, next, c.OwnerKeys[0], c.OwnerKeys[1])
	for o := range bad {
		bad[o][10] ^= 1
	}
	a, err := safedeploy.Load(safedeploy.SafeSingleton)
	if err != nil {
		t.Fatal(err)
	}
	data, err := a.ABI.Pack("execTransaction", next.To, next.Value, next.Data, uint8(next.Operation), next.SafeTxGas, next.BaseGas,
		next.GasPrice, next.GasToken, next.RefundReceiver, safe.Pack(bad))
	if err != nil {
		t.Fatal(err)
	}
	reverted := sendRaw(t, c, next.Safe, data)
	if _, err := c.Client.FindExec(ctx, next, reverted); !errors.Is(err, onchain.ErrReverted) {
		t.Errorf("FindExec of a reverted execTransaction = %v, want ErrReverted", err)
	}
}

// sendRaw sends data to `to` from the funder with a fixed gas limit, so a
// transaction that reverts is mined anyway.
func sendRaw(t *testing.T, c *chaintest.Chain, to common.Address, data []byte) common.Hash {
	t.Helper()
	ctx := testCtx(t)
	nonce, err := c.Backend.PendingNonceAt(ctx, crypto.PubkeyToAddress(c.Funder.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	price, err := c.Backend.SuggestGasPrice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := types.SignNewTx(c.Funder, types.LatestSignerForChainID(c.ChainID),
		&types.LegacyTx{Nonce: nonce, GasPrice: new(big.Int).Mul(price, big.NewInt(2)), Gas: 500_000, To: &to, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Backend.SendTransaction(ctx, signed); err != nil {
		t.Fatal(err)
	}
	r, err := c.Client.WaitMined(ctx, signed.Hash())
	if err != nil || r.Status != types.ReceiptStatusFailed {
		t.Fatalf("raw execTransaction: receipt %+v, %v; want a mined revert", r, err)
	}
	return signed.Hash()
}

type pendingTxs struct{ onchain.Backend }

func (b pendingTxs) TransactionByHash(ctx context.Context, h common.Hash) (*types.Transaction, bool, error) {
	tx, _, err := b.Backend.TransactionByHash(ctx, h)
	return tx, true, err
}

// Matches names each field that differs.
func TestExecCallMatches(t *testing.T) {
	data, _ := safe.EncodeCall("pause()", nil)
	tx := &safe.Tx{ChainID: big.NewInt(1), Safe: common.HexToAddress("0x5afe"), To: common.HexToAddress("0x7a"), Value: new(big.Int),
		Data: data, Operation: safe.Call, SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: new(big.Int)}
	same := func() onchain.ExecCall {
		return onchain.ExecCall{To: tx.To, Value: new(big.Int), Data: data, Operation: safe.Call, SafeTxGas: new(big.Int),
			BaseGas: new(big.Int), GasPrice: new(big.Int)}
	}
	if err := same().Matches(tx); err != nil {
		t.Fatalf("the same call: %v", err)
	}
	one := big.NewInt(1)
	for field, edit := range map[string]func(*onchain.ExecCall){
		"to":             func(c *onchain.ExecCall) { c.To = tx.Safe },
		"value":          func(c *onchain.ExecCall) { c.Value = one },
		"data":           func(c *onchain.ExecCall) { c.Data = append([]byte{}, data[:3]...) },
		"operation":      func(c *onchain.ExecCall) { c.Operation = safe.DelegateCall },
		"safeTxGas":      func(c *onchain.ExecCall) { c.SafeTxGas = one },
		"baseGas":        func(c *onchain.ExecCall) { c.BaseGas = one },
		"gasPrice":       func(c *onchain.ExecCall) { c.GasPrice = one },
		"gasToken":       func(c *onchain.ExecCall) { c.GasToken = tx.To },
		"refundReceiver": func(c *onchain.ExecCall) { c.RefundReceiver = tx.To },
	} {
		c := same()
		edit(&c)
		if err := c.Matches(tx); !errors.Is(err, onchain.ErrNotThisTx) || !strings.Contains(err.Error(), "its "+field+" differs") {
			t.Errorf("%s edited: %v", field, err)
		}
	}
}

func FuzzDecodeExecCall(f *testing.F) {
	a, err := safedeploy.Load(safedeploy.SafeSingleton)
	if err != nil {
		f.Fatal(err)
	}
	z := new(big.Int)
	valid, err := a.ABI.Pack("execTransaction", common.HexToAddress("0x7a"), big.NewInt(5), []byte{1, 2, 3}, uint8(1), z, z, z,
		common.Address{}, common.Address{}, make([]byte, 65))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:4])
	f.Add([]byte{})
	f.Add(append(append([]byte{}, valid[:40]...), 0xff, 0xff))
	f.Fuzz(func(t *testing.T, input []byte) {
		c, err := onchain.DecodeExecCall(input)
		if err != nil {
			if !errors.Is(err, onchain.ErrNotThisTx) {
				t.Fatalf("error %v does not wrap ErrNotThisTx", err)
			}
			return
		}
		if c.Value == nil || c.SafeTxGas == nil || c.BaseGas == nil || c.GasPrice == nil {
			t.Fatalf("decoded with a nil number: %+v", c)
		}
		// What decodes is what the calldata says: packed again by the
		// ABI, it decodes to the same call.
		again, err := a.ABI.Pack("execTransaction", c.To, c.Value, c.Data, uint8(c.Operation), c.SafeTxGas, c.BaseGas, c.GasPrice,
			c.GasToken, c.RefundReceiver, c.Signatures)
		if err != nil {
			t.Fatalf("a decoded call does not pack: %v", err)
		}
		back, err := onchain.DecodeExecCall(again)
		if err != nil || back.To != c.To || back.Value.Cmp(c.Value) != 0 || !bytes.Equal(back.Data, c.Data) || back.Operation != c.Operation ||
			back.SafeTxGas.Cmp(c.SafeTxGas) != 0 || back.BaseGas.Cmp(c.BaseGas) != 0 || back.GasPrice.Cmp(c.GasPrice) != 0 ||
			back.GasToken != c.GasToken || back.RefundReceiver != c.RefundReceiver || !bytes.Equal(back.Signatures, c.Signatures) {
			t.Fatalf("decoded %+v, packed and decoded again %+v, %v", c, back, err)
		}
	})
}
