package onchain_test

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/tminus-ir/tminus/internal/nettest"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// stuckServer accepts requests on 127.0.0.1 and never answers.
func stuckServer(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL
}

func TestDialRefusesDownOrSlowRPC(t *testing.T) {
	for _, c := range []struct {
		name, url, text string
	}{
		{"no url", "", "no RPC URL"},
		{"closed port", "http://" + nettest.ClosedPort(t), "is the node running"},
		{"never answers", stuckServer(t), "did not answer in time"},
		{"not a URL scheme", "ftp://127.0.0.1:1", "ftp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := onchain.Dial(ctx, c.url)
			if !errors.Is(err, onchain.ErrRPC) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("Dial(%q) = %v, want ErrRPC containing %q", c.url, err, c.text)
			}
		})
	}
}

// An RPC that goes down or stalls after Dial: ReadSafe, Exec and Anchor
// fail with ErrRPC, and nothing is reported as executed.
func TestCallsOnDownOrSlowRPC(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	tx := pauseTx(t, c)
	sigs := sign(t, tx, c.OwnerKeys[0])
	for _, url := range []string{"http://" + nettest.ClosedPort(t), stuckServer(t)} {
		rc, err := rpc.DialHTTP(url) // connects lazily
		if err != nil {
			t.Fatal(err)
		}
		client := onchain.New(ethclient.NewClient(rc))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if _, err := client.ReadSafe(ctx, c.Safe); !errors.Is(err, onchain.ErrRPC) {
			t.Errorf("%s: ReadSafe = %v, want ErrRPC", url, err)
		}
		res, err := client.Exec(ctx, tx, sigs, c.Funder)
		if !errors.Is(err, onchain.ErrRPC) || res.TxHash != ([32]byte{}) {
			t.Errorf("%s: Exec = %+v, %v; want ErrRPC and no transaction", url, res, err)
		}
		if _, err := client.Anchor(ctx, c.Funder, [32]byte{1}); !errors.Is(err, onchain.ErrRPC) {
			t.Errorf("%s: Anchor = %v, want ErrRPC", url, err)
		}
		cancel()
		rc.Close()
	}
	if paused, _ := c.Paused(testCtx(t)); paused {
		t.Fatal("paused through a down RPC?")
	}
}

// Over real HTTP JSON-RPC on 127.0.0.1: Dial, read, execute.
func TestExecOverHTTP(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	ctx := testCtx(t)
	client, err := onchain.Dial(ctx, c.RPC)
	if err != nil {
		t.Fatal(err)
	}
	id, err := client.ChainID(ctx)
	if err != nil || id.Int64() != 1337 {
		t.Fatalf("ChainID = %v, %v", id, err)
	}
	tx := pauseTx(t, c)
	res, err := client.Exec(ctx, tx, sign(t, tx, c.OwnerKeys[0], c.OwnerKeys[1]), c.Funder)
	if err != nil || !res.Success {
		t.Fatalf("Exec = %+v, %v", res, err)
	}
	if paused, err := c.Paused(ctx); err != nil || !paused {
		t.Fatalf("paused() = %v, %v", paused, err)
	}
}

// A node that answers, but not as an Ethereum node (a proxy's error page,
// invalid hex), is ErrRPC saying so; one that says it serves another chain
// is refused as on another chain before it is asked anything else, even
// when everything else it says is garbage. Nothing is sent.
func TestLyingOrGarbageRPC(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 2, Threshold: 1})
	tx := pauseTx(t, c)
	sigs := sign(t, tx, c.OwnerKeys[0])
	html := chaintest.FakeRPC(t, func(string) string { return "<html>502 Bad Gateway</html>" })
	badHex := chaintest.FakeRPC(t, func(string) string { return chaintest.Result(`"0xzz"`) })
	for name, url := range map[string]string{"html": html, "bad hex": badHex} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := onchain.Dial(ctx, url)
		cancel()
		if !errors.Is(err, onchain.ErrRPC) || !strings.Contains(err.Error(), "not with Ethereum JSON-RPC") {
			t.Errorf("%s: Dial = %v, want ErrRPC saying the answer is not Ethereum JSON-RPC", name, err)
		}
	}
	liar := chaintest.FakeRPC(t, func(method string) string {
		if method == "eth_chainId" {
			return chaintest.Result(`"0x1"`)
		}
		return chaintest.Result(`"0xzz"`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := onchain.Dial(ctx, liar)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendExec(ctx, tx, sigs, c.Funder); !errors.Is(err, onchain.ErrChainID) || !strings.Contains(err.Error(), "serves chain 1,") {
		t.Errorf("SendExec = %v, want ErrChainID naming chain 1", err)
	}
	if _, err := client.FindExec(ctx, tx, common.Hash{1}); !errors.Is(err, onchain.ErrChainID) {
		t.Errorf("FindExec = %v, want ErrChainID", err)
	}
	if err := client.CheckChain(ctx, big.NewInt(1)); err != nil {
		t.Errorf("CheckChain(1) = %v", err)
	}
}
