// Package chaintest starts, for tests only, a go-ethereum simulated chain
// (chain id 1337) with Safe v1.4.1 and a PausableTarget owned by the Safe
// already deployed, its owners funded, and optionally HTTP JSON-RPC on
// 127.0.0.1 for code that dials an --rpc URL.
//
// Usage from another package's test:
//
//	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
//	// c.RPC is "http://127.0.0.1:PORT"; c.ChainID 1337; c.Safe; c.Target;
//	// c.OwnerKeys[i] signs for c.Owners[i]; c.Funder pays gas (100 ETH each).
//	paused, err := c.Paused(ctx)
//
// Blocks are mined when transactions arrive: synchronously for transactions
// sent through c.Client / c.Backend, and by a polling loop (every 20 ms)
// for transactions sent over HTTP. Everything stops at the test's Cleanup.
package chaintest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/safedeploy"
)

// Options shape the chain.
type Options struct {
	Owners    int    // number of Safe owners (default 3)
	Threshold uint64 // Safe threshold (default 2)
	HTTP      bool   // serve JSON-RPC over HTTP on 127.0.0.1
}

// Chain is a running simulated chain with a Safe and its target.
type Chain struct {
	Sim        *simulated.Backend
	Backend    onchain.Backend // mines each transaction sent through it
	Client     *onchain.Client // over Backend
	RPC        string          // "http://127.0.0.1:PORT" when Options.HTTP, else ""
	ChainID    *big.Int
	Safe       common.Address
	Target     common.Address
	Owners     []common.Address // sorted as created, not by address
	OwnerKeys  []*ecdsa.PrivateKey
	Threshold  uint64
	Funder     *ecdsa.PrivateKey // deployed the contracts; pays gas
	Deployment safedeploy.Deployment

	mu     sync.Mutex // Commit is not safe for concurrent use
	closed bool       // under mu: the chain is stopped, Commit does nothing
}

// Fund is what each owner and the funder start with: 100 ETH.
var Fund = new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))

// New starts a chain and deploys the Safe and the target. It fails the
// test on error and stops the chain at Cleanup.
func New(tb testing.TB, opts Options) *Chain {
	tb.Helper()
	if opts.Owners == 0 {
		opts.Owners = 3
	}
	if opts.Threshold == 0 {
		opts.Threshold = 2
	}
	c := &Chain{Threshold: opts.Threshold, ChainID: big.NewInt(1337)}
	alloc := types.GenesisAlloc{}
	c.Funder = newKey(tb)
	alloc[crypto.PubkeyToAddress(c.Funder.PublicKey)] = types.Account{Balance: Fund}
	for range opts.Owners {
		k := newKey(tb)
		a := crypto.PubkeyToAddress(k.PublicKey)
		c.OwnerKeys, c.Owners = append(c.OwnerKeys, k), append(c.Owners, a)
		alloc[a] = types.Account{Balance: Fund}
	}
	sim, rpc, err := start(alloc, opts.HTTP)
	if err != nil {
		tb.Fatalf("chaintest: starting the simulated chain: %v", err)
	}
	c.Sim, c.RPC = sim, rpc
	stop := make(chan struct{})
	done := make(chan struct{})
	tb.Cleanup(func() {
		close(stop)
		<-done
		// A test's own mining goroutine may still be on its way into
		// Commit; a stopped beacon would panic it.
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		sim.Close()
	})
	c.Backend = &committing{Client: sim.Client(), c: c}
	c.Client = onchain.New(c.Backend)
	go c.mineLoop(stop, done)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := safedeploy.Deploy(ctx, c.Client, c.Funder, c.Owners, opts.Threshold)
	if err != nil {
		tb.Fatalf("chaintest: deploying the Safe: %v", err)
	}
	c.Deployment, c.Safe, c.Target = d, d.Safe, d.Target
	return c
}

// Paused reads the target's paused().
func (c *Chain) Paused(ctx context.Context) (bool, error) {
	return safedeploy.Paused(ctx, c.Sim.Client(), c.Target)
}

// Commit mines the pending transactions into a block. After the test's
// Cleanup has stopped the chain it does nothing.
func (c *Chain) Commit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.Sim.Commit()
	}
}

// Fork makes the chain continue from parent, as a reorg would; the blocks
// above it are replaced once the new branch, Commit-ed, is longer.
func (c *Chain) Fork(parent common.Hash) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Sim.Fork(parent)
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// start makes the backend, with HTTP on a free 127.0.0.1 port if asked. The
// port is found by listening and closing, so another process may take it
// in between: a few attempts.
func start(alloc types.GenesisAlloc, http bool) (*simulated.Backend, string, error) {
	var sim backendWithPort
	var err error
	for attempt := 0; ; attempt++ {
		port := 0
		if http {
			if port, err = freePort(); err != nil {
				return nil, "", err
			}
		}
		sim, err = newBackend(alloc, port)
		if err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, "", err
	}
	url := ""
	if http {
		url = "http://127.0.0.1:" + strconv.Itoa(sim.HTTPPort)
	}
	return sim.Backend, url, nil
}

type backendWithPort struct {
	*simulated.Backend
	HTTPPort int
}

// newBackend turns NewBackend's panic on a failed start (a port taken
// meanwhile) into an error.
func newBackend(alloc types.GenesisAlloc, port int) (b backendWithPort, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	sim := simulated.NewBackend(alloc, func(nc *node.Config, _ *ethconfig.Config) {
		if port != 0 {
			nc.HTTPHost = "127.0.0.1"
			nc.HTTPPort = port
			nc.HTTPModules = []string{"eth", "net", "web3"}
			nc.HTTPVirtualHosts = []string{"localhost", "127.0.0.1"}
		}
	})
	return backendWithPort{Backend: sim, HTTPPort: port}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// mineLoop commits a block whenever transactions are pending (those sent
// over HTTP, which do not pass through committing).
func (c *Chain) mineLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		n, err := c.Sim.Client().PendingTransactionCount(context.Background())
		if err == nil && n > 0 {
			c.Commit()
		}
	}
}

// committing mines every transaction as it is sent, so calls that wait for
// a receipt return without a mining loop's delay.
type committing struct {
	simulated.Client
	c *Chain
}

func (b *committing) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := b.Client.SendTransaction(ctx, tx); err != nil {
		return err
	}
	b.c.Commit()
	return nil
}
