package onchain

import (
	"context"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// stallingNode answers the first poll of a confirmation wait, then hangs
// every head request until the caller gives up: a node too slow to answer
// under load, as CI saw.
type stallingNode struct {
	Backend
	heads atomic.Int32
}

func (n *stallingNode) TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error) {
	return &types.Receipt{Status: types.ReceiptStatusSuccessful, BlockNumber: big.NewInt(5)}, nil
}

func (n *stallingNode) BlockNumber(ctx context.Context) (uint64, error) {
	if n.heads.Add(1) == 1 {
		return 5, nil
	}
	<-ctx.Done()
	return 0, ctx.Err()
}

// A wait whose end cuts a poll short says how far the transaction got at
// the poll before, not that the node did not answer the one cut short.
func TestConfirmCutMidPollSaysHowFarItGot(t *testing.T) {
	c := &Client{b: &stallingNode{}, poll: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Confirm(ctx, common.Hash{1}, 3)
	if err == nil || !strings.Contains(err.Error(), "it was in block 5, 1 of 3 confirmations") {
		t.Fatalf("Confirm = %v, want how far it got", err)
	}
}
