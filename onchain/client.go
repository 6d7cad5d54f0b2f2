package onchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Sentinel errors; each returned error wraps one and says what to do.
var (
	ErrChainID    = errors.New("chain id mismatch")
	ErrNonceMoved = errors.New("safe nonce moved")
	// ErrNonceAhead is an ErrNonceMoved whose transaction is for a nonce
	// the Safe has not reached: it may still execute later.
	ErrNonceAhead = errors.New("nonce not reached yet")
	ErrThreshold  = errors.New("threshold not met")
	ErrNotOwner   = errors.New("signer is not an owner")
	ErrRPC        = errors.New("rpc unreachable")
	ErrNotAnchor  = errors.New("not a tminus anchor")
)

// Backend is the part of a node's JSON-RPC API the client uses. It is
// satisfied by *ethclient.Client and by ethclient/simulated's Client.
type Backend interface {
	ethereum.ChainIDReader
	ethereum.BlockNumberReader
	ethereum.ContractCaller
	ethereum.GasEstimator
	ethereum.TransactionSender
	ethereum.TransactionReader
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	PendingNonceAt(ctx context.Context, account common.Address) (uint64, error)
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
	CodeAt(ctx context.Context, account common.Address, blockNumber *big.Int) ([]byte, error)
	SuggestGasPrice(ctx context.Context) (*big.Int, error)
	SuggestGasTipCap(ctx context.Context) (*big.Int, error)
}

// Client reads and writes through a Backend.
type Client struct {
	b Backend
	// poll is how often a receipt is asked for while waiting.
	poll time.Duration
}

// New wraps a Backend.
func New(b Backend) *Client { return &Client{b: b, poll: 200 * time.Millisecond} }

// DialTimeout bounds connecting and the first chain id request when the
// caller's ctx has no deadline of its own.
const DialTimeout = 10 * time.Second

// Dial connects to an HTTP(S) or WebSocket JSON-RPC endpoint and asks its
// chain id, so a down, slow or non-Ethereum endpoint fails here with
// ErrRPC rather than halfway through an execution.
func Dial(ctx context.Context, url string) (*Client, error) {
	if url == "" {
		return nil, fmt.Errorf("%w: no RPC URL (give --rpc http://127.0.0.1:8545 or your node's URL)", ErrRPC)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DialTimeout)
		defer cancel()
	}
	opts := []rpc.ClientOption{}
	if strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
		// A per-request timeout as well as ctx: a node that accepts the
		// connection and never answers must not hang a later call forever.
		opts = append(opts, rpc.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute}))
	}
	rc, err := rpc.DialOptions(ctx, url, opts...)
	if err != nil {
		return nil, rpcErr(url, err)
	}
	c := New(ethclient.NewClient(rc))
	if _, err := c.b.ChainID(ctx); err != nil {
		rc.Close()
		return nil, rpcErr(url, err)
	}
	return c, nil
}

// rpcErr turns a transport failure into ErrRPC with what to check.
func rpcErr(url string, err error) error {
	var ne net.Error
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("%w: %s did not answer in time (node slow or stuck? check it, or try another RPC): %v", ErrRPC, url, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %s: cancelled: %v", ErrRPC, url, err)
	case errors.As(err, &syntax) || errors.As(err, &typ):
		// It answered, but not as an Ethereum node: a proxy's error page,
		// another service on the port, or a broken node.
		return fmt.Errorf("%w: %s answered, but not with Ethereum JSON-RPC (%v): is it a node's JSON-RPC URL? Try another RPC", ErrRPC, url, err)
	}
	return fmt.Errorf("%w: %s: %v (is the node running and the URL right?)", ErrRPC, url, err)
}

// CheckChain refuses a node on another chain than want (ErrChainID). It is
// asked before anything else, so a node that lies about its chain, or a
// wrong --rpc, is named as such rather than by whatever fails next.
func (c *Client) CheckChain(ctx context.Context, want *big.Int) error {
	id, err := c.ChainID(ctx)
	if err != nil {
		return err
	}
	if id.Cmp(want) != 0 {
		return fmt.Errorf("%w: the RPC serves chain %s, the transaction is for chain %s (wrong --rpc?)", ErrChainID, id, want)
	}
	return nil
}

// ChainID is the node's chain id.
func (c *Client) ChainID(ctx context.Context) (*big.Int, error) {
	id, err := c.b.ChainID(ctx)
	if err != nil {
		return nil, rpcErr("the RPC", err)
	}
	return id, nil
}

// isTransport tells a failure to reach the node from an answer the node
// gave (a JSON-RPC error such as a revert).
func isTransport(err error) bool {
	var re rpc.Error
	return !errors.As(err, &re)
}

var _ Backend = (*ethclient.Client)(nil)
