package onchain

import (
	"context"
	"math/big"
	"net"
	"os"
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

// timingOutPipe fails a head request on the caller's deadline the way the
// in-process RPC's pipe does: "i/o timeout" as the deadline passes, while
// the context itself ends a moment later.
type timingOutPipe struct {
	Backend
	heads  atomic.Int32
	end    time.Time
	cancel context.CancelFunc
}

func (n *timingOutPipe) TransactionReceipt(context.Context, common.Hash) (*types.Receipt, error) {
	return &types.Receipt{Status: types.ReceiptStatusSuccessful, BlockNumber: big.NewInt(5)}, nil
}

func (n *timingOutPipe) BlockNumber(context.Context) (uint64, error) {
	if n.heads.Add(1) == 1 {
		return 5, nil
	}
	time.Sleep(time.Until(n.end))
	time.AfterFunc(30*time.Millisecond, n.cancel)
	return 0, &net.OpError{Op: "write", Net: "pipe", Err: os.ErrDeadlineExceeded}
}

// deadlineOnly reports a deadline its inner context does not enforce, so
// the test decides when Done closes.
type deadlineOnly struct {
	context.Context
	end time.Time
}

func (c deadlineOnly) Deadline() (time.Time, bool) { return c.end, true }

func TestConfirmCutByTransportDeadlineSaysHowFarItGot(t *testing.T) {
	inner, cancel := context.WithCancel(context.Background())
	defer cancel()
	end := time.Now().Add(100 * time.Millisecond)
	c := &Client{b: &timingOutPipe{end: end, cancel: cancel}, poll: 10 * time.Millisecond}
	_, err := c.Confirm(deadlineOnly{inner, end}, common.Hash{1}, 3)
	if err == nil || !strings.Contains(err.Error(), "it was in block 5, 1 of 3 confirmations") {
		t.Fatalf("Confirm = %v, want how far it got", err)
	}
}
