package watchtest

import (
	"context"
	"crypto/ecdsa"
	_ "embed"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// ChainID is what simulated.NewBackend always uses.
const ChainID = 1337

var (
	//go:embed testdata/Pausable.abi
	pausableABI string
	//go:embed testdata/Pausable.bin
	pausableBin string
)

// Chain is go-ethereum's simulated backend with Pausable deployed by Owner.
type Chain struct {
	T        testing.TB
	Sim      *simulated.Backend
	Client   simulated.Client
	Owner    *ecdsa.PrivateKey
	ABI      abi.ABI
	Contract common.Address
	// RPCURL is the node's own HTTP JSON-RPC on loopback, when asked for.
	RPCURL string
}

// NewChain starts a chain, closed when t ends; withHTTP also serves its
// JSON-RPC on a free 127.0.0.1 port.
func NewChain(t testing.TB, withHTTP bool) *Chain {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{T: t, Owner: key}
	var opts []func(*node.Config, *ethconfig.Config)
	if withHTTP {
		port := FreePort(t)
		c.RPCURL = "http://127.0.0.1:" + strconv.Itoa(port)
		opts = append(opts, func(n *node.Config, _ *ethconfig.Config) {
			n.HTTPHost, n.HTTPPort = "127.0.0.1", port
			n.HTTPVirtualHosts, n.HTTPModules = []string{"*"}, []string{"eth"}
		})
	}
	alloc := types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}}
	c.Sim = simulated.NewBackend(alloc, opts...)
	t.Cleanup(func() { c.Sim.Close() })
	c.Client = c.Sim.Client()
	if c.ABI, err = abi.JSON(strings.NewReader(pausableABI)); err != nil {
		t.Fatal(err)
	}
	code, err := hex.DecodeString(strings.TrimSpace(pausableBin))
	if err != nil {
		t.Fatal(err)
	}
	c.Contract = c.Send(nil, code).ContractAddress
	return c
}

// FreePort is a 127.0.0.1 port free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Call sends a transaction calling method on the contract, mines it and
// returns its receipt.
func (c *Chain) Call(method string, args ...any) *types.Receipt {
	c.T.Helper()
	data, err := c.ABI.Pack(method, args...)
	if err != nil {
		c.T.Fatal(err)
	}
	return c.Send(&c.Contract, data)
}

// Send signs a transaction from Owner at the pending nonce and twice the
// suggested gas price, mines it and returns its receipt; to nil deploys.
func (c *Chain) Send(to *common.Address, data []byte) *types.Receipt {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nonce, err := c.Client.PendingNonceAt(ctx, crypto.PubkeyToAddress(c.Owner.PublicKey))
	if err != nil {
		c.T.Fatal(err)
	}
	price, err := c.Client.SuggestGasPrice(ctx)
	if err != nil {
		c.T.Fatal(err)
	}
	tx := c.sign(nonce, new(big.Int).Mul(price, big.NewInt(2)), to, data)
	if err := c.Client.SendTransaction(ctx, tx); err != nil {
		c.T.Fatal(err)
	}
	c.Sim.Commit()
	r, err := c.Client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		c.T.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		c.T.Fatalf("transaction %s reverted", tx.Hash())
	}
	return r
}

func (c *Chain) sign(nonce uint64, price *big.Int, to *common.Address, data []byte) *types.Transaction {
	c.T.Helper()
	tx, err := types.SignNewTx(c.Owner, types.LatestSignerForChainID(big.NewInt(ChainID)), &types.LegacyTx{
		Nonce: nonce, GasPrice: price, Gas: 3_000_000, To: to, Data: data,
	})
	if err != nil {
		c.T.Fatal(err)
	}
	return tx
}

// ForkOut replaces the block holding r: it forks from r's parent, sends in
// r's place a transaction with the same nonce and a higher price (so r
// cannot come back from the pool), and mines until the new branch is
// longer than the old one was.
func (c *Chain) ForkOut(r *types.Receipt) {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	oldHead, err := c.Client.BlockNumber(ctx)
	if err != nil {
		c.T.Fatal(err)
	}
	block, err := c.Client.HeaderByNumber(ctx, r.BlockNumber)
	if err != nil {
		c.T.Fatal(err)
	}
	tx, _, err := c.Client.TransactionByHash(ctx, r.TxHash)
	if err != nil {
		c.T.Fatal(err)
	}
	if err := c.Sim.Fork(block.ParentHash); err != nil {
		c.T.Fatal(err)
	}
	data, err := c.ABI.Pack("transfer", common.HexToAddress("0x00000000000000000000000000000000000000d1"), big.NewInt(1))
	if err != nil {
		c.T.Fatal(err)
	}
	c.sendAfterFork(ctx, c.sign(tx.Nonce(), new(big.Int).Mul(tx.GasPrice(), big.NewInt(3)), &c.Contract, data))
	for {
		c.Sim.Commit()
		head, err := c.Client.BlockNumber(ctx)
		if err != nil {
			c.T.Fatal(err)
		}
		if head > oldHead {
			break
		}
	}
	if _, err := c.Client.TransactionReceipt(ctx, r.TxHash); !errors.Is(err, ethereum.NotFound) {
		c.T.Fatalf("the forked-out transaction is still on the chain (receipt error %v)", err)
	}
}

// sendAfterFork sends tx right after a Fork. The pool catches up with the
// new head in the background and until then checks nonces against the old
// branch, so "nonce too low" is retried, for at most 5s.
func (c *Chain) sendAfterFork(ctx context.Context, tx *types.Transaction) {
	c.T.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		err := c.Client.SendTransaction(ctx, tx)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "nonce too low") || time.Now().After(deadline) {
			c.T.Fatal(err)
		}
	}
}
