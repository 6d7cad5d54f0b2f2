package onchain_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/chaintest"
	"github.com/tminus-ir/tminus/onchain/safedeploy"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pauseTx is the Safe transaction calling target.pause() at the Safe's
// current nonce.
func pauseTx(t *testing.T, c *chaintest.Chain) *safe.Tx {
	t.Helper()
	info, err := c.Client.ReadSafe(testCtx(t), c.Safe)
	if err != nil {
		t.Fatal(err)
	}
	data, err := safe.EncodeCall("pause()", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &safe.Tx{
		ChainID: info.ChainID, Safe: c.Safe, To: c.Target, Value: new(big.Int), Data: data,
		Operation: safe.Call, SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int),
		Nonce: info.Nonce,
	}
}

func sign(t *testing.T, tx *safe.Tx, keys ...*ecdsa.PrivateKey) map[common.Address][]byte {
	t.Helper()
	sigs := map[common.Address][]byte{}
	for _, k := range keys {
		s, err := safe.Sign(k, tx.Hash())
		if err != nil {
			t.Fatal(err)
		}
		sigs[crypto.PubkeyToAddress(k.PublicKey)] = s
	}
	return sigs
}

// The containment path: a 2-of-3 Safe owning the target; pause() encoded,
// signed by two owners, executed; paused() is true and the Safe logged
// ExecutionSuccess for that safeTxHash.
func TestExecPause(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2})
	ctx := testCtx(t)
	tx := pauseTx(t, c)
	if onChain := safeTxHashOnChain(t, c, tx); onChain != tx.Hash() {
		t.Fatalf("Safe.getTransactionHash = %s, Go computes %s", onChain.Hex(), tx.Hash().Hex())
	}
	res, err := c.Client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[2], c.OwnerKeys[0]), c.Funder)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.Event != "ExecutionSuccess" || res.Status != 1 || res.Block == 0 || res.Payment.Sign() != 0 || res.TxHash == (common.Hash{}) {
		t.Fatalf("Exec = %+v, want a mined ExecutionSuccess", res)
	}
	if paused, err := c.Paused(ctx); err != nil || !paused {
		t.Fatalf("paused() = %v, %v after exec", paused, err)
	}
	info, err := c.Client.ReadSafe(ctx, c.Safe)
	if err != nil || info.Nonce.Int64() != 1 {
		t.Fatalf("nonce after exec = %v, %v; want 1", info.Nonce, err)
	}
	// Replaying the same signatures: the nonce has moved, refused before sending.
	if _, err := c.Client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[0], c.OwnerKeys[1]), c.Funder); !errors.Is(err, onchain.ErrNonceMoved) {
		t.Fatalf("replay after exec: %v, want ErrNonceMoved", err)
	}
}

// An inner call that reverts, with safeTxGas set, is mined and logged as
// ExecutionFailure: reported, not an error (the Safe's nonce moved).
func TestExecExecutionFailure(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	ctx := testCtx(t)
	tx := pauseTx(t, c)
	tx.Data, _ = safe.EncodeCall("notAFunction()", nil)
	tx.SafeTxGas = big.NewInt(100_000)
	res, err := c.Client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[1]), c.Funder)
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || res.Event != "ExecutionFailure" || res.Status != 1 {
		t.Fatalf("Exec = %+v, want a mined ExecutionFailure", res)
	}
	if paused, _ := c.Paused(ctx); paused {
		t.Fatal("target paused by a failed call")
	}
	// With safeTxGas 0 the Safe reverts the whole execTransaction (GS013):
	// the gas estimate fails and nothing is sent.
	tx = pauseTx(t, c)
	tx.Data, _ = safe.EncodeCall("notAFunction()", nil)
	before := senderNonce(t, c)
	if _, err := c.Client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[0]), c.Funder); err == nil || !strings.Contains(err.Error(), "nothing was sent") ||
		!strings.Contains(err.Error(), "GS013: the Safe transaction's call failed") {
		t.Fatalf("Exec of a reverting call = %v, want a refused estimate that says what GS013 means", err)
	}
	if senderNonce(t, c) != before {
		t.Fatal("sent a transaction that would revert")
	}
}

// Every refusal happens before anything is sent: the sender's nonce stays.
func TestExecRefuses(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2})
	ctx := testCtx(t)
	o := c.OwnerKeys
	other := func(edit func(*safe.Tx)) *safe.Tx {
		tx := pauseTx(t, c)
		edit(tx)
		return tx
	}
	base := pauseTx(t, c)
	mixed := func(signed *safe.Tx, k *ecdsa.PrivateKey) map[common.Address][]byte {
		sigs := sign(t, base, o[0])
		for a, s := range sign(t, signed, k) {
			sigs[a] = s
		}
		return sigs
	}
	v0 := sign(t, base, o[0], o[1])
	for a, s := range v0 {
		s[64] = 0
		v0[a] = s
		break
	}
	swapped := sign(t, base, o[0])
	swapped[crypto.PubkeyToAddress(o[2].PublicKey)] = swapped[crypto.PubkeyToAddress(o[0].PublicKey)]
	for _, tc := range []struct {
		name string
		tx   *safe.Tx
		sigs map[common.Address][]byte
		want error
		text string
	}{
		{"non-owner signature", base, mixed(base, c.Funder), onchain.ErrNotOwner, "not an owner"},
		{"signature over another nonce", base, mixed(other(func(tx *safe.Tx) { tx.Nonce = big.NewInt(1) }), o[1]), onchain.ErrNotOwner, "another nonce"},
		{"signature over another chain", base, mixed(other(func(tx *safe.Tx) { tx.ChainID = big.NewInt(1) }), o[1]), onchain.ErrNotOwner, "not an owner"},
		{"signature over another Safe", base, mixed(other(func(tx *safe.Tx) { tx.Safe = c.Target }), o[1]), onchain.ErrNotOwner, "not an owner"},
		{"signature over other data", base, mixed(other(func(tx *safe.Tx) { tx.Data = []byte{1, 2, 3, 4} }), o[1]), onchain.ErrNotOwner, "not an owner"},
		{"signature filed under another owner", base, swapped, onchain.ErrNotOwner, "was made by"},
		{"threshold not met", base, sign(t, base, o[1]), onchain.ErrThreshold, "1 of 2"},
		{"no signatures", base, nil, onchain.ErrThreshold, "0 of 2"},
		{"contract signature", base, v0, safe.ErrSignature, "v=0"},
		{"chain id differs from the RPC's", other(func(tx *safe.Tx) { tx.ChainID = big.NewInt(1) }), sign(t, other(func(tx *safe.Tx) { tx.ChainID = big.NewInt(1) }), o[0], o[1]), onchain.ErrChainID, "serves chain 1337"},
		{"nonce ahead", other(func(tx *safe.Tx) { tx.Nonce = big.NewInt(5) }), sign(t, other(func(tx *safe.Tx) { tx.Nonce = big.NewInt(5) }), o[0], o[1]), onchain.ErrNonceAhead, "nonce 0 to 4 must execute first"},
		{"invalid tx", other(func(tx *safe.Tx) { tx.Value = nil }), nil, safe.ErrInvalid, "value missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := senderNonce(t, c)
			_, err := c.Client.Exec(ctx, tc.tx, tc.sigs, c.Funder)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Exec = %v, want %v containing %q", err, tc.want, tc.text)
			}
			if senderNonce(t, c) != before {
				t.Fatal("a refused Exec sent a transaction")
			}
		})
	}
	if _, err := c.Client.Exec(ctx, base, sign(t, base, o[0], o[1]), nil); err == nil || !strings.Contains(err.Error(), "no sender key") {
		t.Fatalf("Exec without a sender key: %v", err)
	}
	// A sender without funds: the node refuses the transaction.
	broke, _ := crypto.GenerateKey()
	if _, err := c.Client.Exec(ctx, base, sign(t, base, o[0], o[1]), broke); err == nil || !strings.Contains(err.Error(), "check its balance") {
		t.Fatalf("Exec from an unfunded sender: %v", err)
	}
	if paused, _ := c.Paused(ctx); paused {
		t.Fatal("target paused by a refused Exec")
	}
}

// Another transaction executed first: the signatures for the old nonce are
// refused before anything is sent.
func TestExecNonceMoved(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2})
	ctx := testCtx(t)
	pause := pauseTx(t, c)
	first := pauseTx(t, c)
	first.Data, _ = safe.EncodeCall("unpause()", nil)
	if _, err := c.Client.Exec(ctx, first, sign(t, first, c.OwnerKeys[0], c.OwnerKeys[1]), c.OwnerKeys[2]); err != nil {
		t.Fatal(err)
	}
	before := senderNonce(t, c)
	_, err := c.Client.Exec(ctx, pause, sign(t, pause, c.OwnerKeys[0], c.OwnerKeys[1]), c.Funder)
	if !errors.Is(err, onchain.ErrNonceMoved) || !strings.Contains(err.Error(), "at nonce 1") {
		t.Fatalf("Exec = %v, want ErrNonceMoved at nonce 1", err)
	}
	if senderNonce(t, c) != before {
		t.Fatal("sent despite the moved nonce")
	}
}

// A receipt that never comes: Exec returns ErrRPC and ErrNoReceipt when ctx
// ends, naming the transaction so it can be checked before sending again.
func TestExecReceiptTimeout(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 1, Threshold: 1})
	tx := pauseTx(t, c)
	// The wait ends when the first receipt poll finds nothing, not on a
	// clock: a loaded box may take seconds to send.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := onchain.New(noReceipts{Backend: c.Backend, polled: cancel})
	res, err := client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[0]), c.Funder)
	if !errors.Is(err, onchain.ErrRPC) || !errors.Is(err, onchain.ErrNoReceipt) || !strings.Contains(err.Error(), "sent, no receipt yet") {
		t.Fatalf("Exec = %v, want ErrRPC and ErrNoReceipt: sent, no receipt yet", err)
	}
	if res.TxHash == (common.Hash{}) || !strings.Contains(err.Error(), res.TxHash.Hex()) {
		t.Fatalf("Exec = %+v, %v: want the sent transaction's hash in the result and the error", res, err)
	}
}

// noReceipts finds no receipt, ever; polled, if set, is called at each
// poll.
type noReceipts struct {
	onchain.Backend
	polled func()
}

func (n noReceipts) TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error) {
	if n.polled != nil {
		n.polled()
	}
	return nil, ethereum.NotFound
}

func TestReadSafeNotASafe(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 1, Threshold: 1})
	ctx := testCtx(t)
	for _, addr := range []common.Address{c.Owners[0], c.Target, c.Deployment.Singleton} {
		_, err := c.Client.ReadSafe(ctx, addr)
		if err == nil {
			t.Errorf("ReadSafe(%s) succeeded", addr.Hex())
		} else if !strings.Contains(err.Error(), "Safe") {
			t.Errorf("ReadSafe(%s) = %v, want an error saying it is not a Safe", addr.Hex(), err)
		}
	}
}

func senderNonce(t *testing.T, c *chaintest.Chain) uint64 {
	t.Helper()
	n, err := c.Backend.PendingNonceAt(testCtx(t), crypto.PubkeyToAddress(c.Funder.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// safeTxHashOnChain asks the Safe contract itself for the hash.
func safeTxHashOnChain(t *testing.T, c *chaintest.Chain, tx *safe.Tx) common.Hash {
	t.Helper()
	a, err := safedeploy.Load(safedeploy.SafeSingleton)
	if err != nil {
		t.Fatal(err)
	}
	data, err := a.ABI.Pack("getTransactionHash", tx.To, tx.Value, tx.Data, uint8(tx.Operation), tx.SafeTxGas, tx.BaseGas, tx.GasPrice, tx.GasToken, tx.RefundReceiver, tx.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Backend.CallContract(testCtx(t), ethereum.CallMsg{To: &tx.Safe, Data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return common.BytesToHash(out)
}

// An owner removed on chain since the proposal (by a module: the nonce did
// not move) leaves a signature the Safe would revert on. It is left out
// when the other owners' signatures meet the threshold, and named when
// they do not.
func TestCheckSignaturesLeavesOutRemovedOwner(t *testing.T) {
	keys := make([]*ecdsa.PrivateKey, 3)
	for i := range keys {
		keys[i], _ = crypto.GenerateKey()
	}
	addr := func(i int) common.Address { return crypto.PubkeyToAddress(keys[i].PublicKey) }
	h := crypto.Keccak256Hash([]byte("safeTxHash"))
	sigs := map[common.Address][]byte{}
	for i := range keys {
		s, err := safe.Sign(keys[i], h)
		if err != nil {
			t.Fatal(err)
		}
		sigs[addr(i)] = s
	}
	info := onchain.SafeInfo{Owners: []common.Address{addr(0), addr(1)}, Threshold: 2} // owner 2 removed
	valid, err := onchain.CheckSignatures(info, h, sigs)
	if err != nil || len(valid) != 2 || valid[addr(2)] != nil {
		t.Fatalf("CheckSignatures = %d signatures, %v; want owners 0 and 1's", len(valid), err)
	}
	delete(sigs, addr(1))
	_, err = onchain.CheckSignatures(info, h, sigs)
	if !errors.Is(err, onchain.ErrNotOwner) || !strings.Contains(err.Error(), addr(2).Hex()) || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("CheckSignatures below the threshold = %v, want ErrNotOwner naming %s and 1 of 2", err, addr(2).Hex())
	}
}

// The real Safe v1.4.1 computes the same safeTxHash as tminus for a
// transaction (getTransactionHash), so propose's check passes; a hash it
// would not take (here: signed for another chain than the Safe's) is
// refused with ErrHashMismatch naming both hashes.
func TestCheckSafeTxHash(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	ctx := testCtx(t)
	tx := pauseTx(t, c)
	tx.Value, tx.SafeTxGas, tx.Nonce = big.NewInt(7), big.NewInt(50_000), big.NewInt(3)
	if err := c.Client.CheckSafeTxHash(ctx, tx); err != nil {
		t.Fatalf("the Safe's own hash differs from tminus's: %v", err)
	}
	tx.ChainID = big.NewInt(1)
	err := c.Client.CheckSafeTxHash(ctx, tx)
	if !errors.Is(err, onchain.ErrHashMismatch) || !strings.Contains(err.Error(), tx.Hash().Hex()) {
		t.Fatalf("CheckSafeTxHash on another chain's hash = %v, want ErrHashMismatch naming %s", err, tx.Hash().Hex())
	}
	tx.Safe = c.Target // not a Safe
	if err := c.Client.CheckSafeTxHash(ctx, tx); err == nil || errors.Is(err, onchain.ErrHashMismatch) {
		t.Fatalf("CheckSafeTxHash on a non-Safe = %v, want an error saying it is not a Safe", err)
	}
}
