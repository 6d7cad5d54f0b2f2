package onchain_test

import (
	"context"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/safedeploy"
)

// End to end against a real geth --dev: scripts/devchain starts it and
// deploys a 2-of-3 Safe owning the target; two owners sign pause(); a third
// executes it; paused() is true; --stop stops geth.
//
// geth is built from go.mod's go-ethereum version on first use (a few
// minutes cold; .ci/run builds it beforehand). The test skips only when
// that build cannot reach the Go module proxy.
func TestDevchainEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash for scripts/devchain")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ensureGeth(t, root)

	dir := filepath.Join(t.TempDir(), "devchain")
	port := freePort(t)
	script := filepath.Join(root, "scripts", "devchain")
	t.Cleanup(func() {
		out, err := exec.Command(script, "--dir", dir, "--stop").CombinedOutput()
		if err != nil {
			t.Errorf("devchain --stop: %v\n%s", err, out)
		}
	})
	cmd := exec.Command(script, "--dir", dir, "--threshold", "2", "--port", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "DEVCHAIN_PASSPHRASE=e2e pass")
	if out, err := runBounded(t, cmd, 10*time.Minute); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "geth.log"))
		t.Fatalf("scripts/devchain: %v\n%s\ngeth.log:\n%s", err, out, tail(string(log), 3000))
	}
	var cfg struct {
		RPC           string           `json:"rpc"`
		ChainID       uint64           `json:"chain_id"`
		Safe          common.Address   `json:"safe"`
		Owners        []common.Address `json:"owners"`
		Threshold     uint64           `json:"threshold"`
		Target        common.Address   `json:"target"`
		OwnerKeys     []string         `json:"owner_keys"`
		KeyPassphrase string           `json:"key_passphrase"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "devchain.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.RPC != "http://127.0.0.1:"+strconv.Itoa(port) || cfg.ChainID != 1337 || len(cfg.Owners) != 3 || cfg.Threshold != 2 || len(cfg.OwnerKeys) != 3 || cfg.KeyPassphrase != "e2e pass" {
		t.Fatalf("devchain.json = %s", raw)
	}
	pid, err := os.ReadFile(filepath.Join(dir, "geth.pid"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client, err := onchain.Dial(ctx, cfg.RPC)
	if err != nil {
		t.Fatal(err)
	}
	info, err := client.ReadSafe(ctx, cfg.Safe)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "1.4.1" || info.Threshold != 2 || len(info.Owners) != 3 || info.Nonce.Sign() != 0 || info.ChainID.Uint64() != 1337 {
		t.Fatalf("ReadSafe = %+v", info)
	}
	ec, err := ethclient.DialContext(ctx, cfg.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	keys := make([]*keystoreKey, 3)
	for i, path := range cfg.OwnerKeys {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		k, err := keystore.DecryptKey(raw, cfg.KeyPassphrase)
		if err != nil {
			t.Fatal(err)
		}
		if k.Address != cfg.Owners[i] || !info.IsOwner(k.Address) {
			t.Fatalf("key %s is for %s, not owner %s", path, k.Address.Hex(), cfg.Owners[i].Hex())
		}
		bal, err := ec.BalanceAt(ctx, k.Address, nil)
		if err != nil || bal.Cmp(new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))) != 0 {
			t.Fatalf("owner %s balance %v, %v; want 100 ETH", k.Address.Hex(), bal, err)
		}
		keys[i] = k
	}

	data, err := safe.EncodeCall("pause()", nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := &safe.Tx{ChainID: info.ChainID, Safe: cfg.Safe, To: cfg.Target, Value: new(big.Int), Data: data,
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: info.Nonce}
	sigs := map[common.Address][]byte{}
	for _, k := range keys[:2] {
		s, err := safe.Sign(k.PrivateKey, tx.Hash())
		if err != nil {
			t.Fatal(err)
		}
		sigs[k.Address] = s
	}
	res, err := client.Exec(ctx, tx, sigs, keys[2].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.Event != "ExecutionSuccess" || res.Status != 1 {
		t.Fatalf("Exec = %+v", res)
	}
	if paused, err := safedeploy.Paused(ctx, ec, cfg.Target); err != nil || !paused {
		t.Fatalf("paused() = %v, %v", paused, err)
	}
	if got := crypto.PubkeyToAddress(keys[2].PrivateKey.PublicKey); got != cfg.Owners[2] {
		t.Fatal("executor key mismatch")
	}

	// --stop ends geth.
	out, err := exec.Command(script, "--dir", dir, "--stop").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stopped") {
		t.Fatalf("--stop: %v\n%s", err, out)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(pid))); n > 0 && syscall.Kill(n, 0) == nil {
		t.Fatalf("geth (pid %d) still running after --stop", n)
	}
}

type keystoreKey = keystore.Key

// ensureGeth builds geth into scripts/devchain's cache when it is not there,
// skipping the test only when the module proxy cannot be reached.
func ensureGeth(t *testing.T, root string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/ethereum/go-ethereum").Output()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(out))
	base := os.Getenv("TMINUS_GETH_CACHE")
	if base == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Fatal(err)
			}
			cache = filepath.Join(home, ".cache")
		}
		base = filepath.Join(cache, "tminus")
	}
	dir := filepath.Join(base, "geth-"+version)
	if _, err := os.Stat(filepath.Join(dir, "geth")); err == nil {
		return
	}
	t.Logf("building geth %s into %s (once)", version, dir)
	cmd := exec.Command("go", "install", "github.com/ethereum/go-ethereum/cmd/geth@"+version)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	b, err := runBounded(t, cmd, 20*time.Minute)
	if err == nil {
		return
	}
	for _, s := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "proxyconnect", "TLS handshake", "network is unreachable"} {
		if strings.Contains(string(b), s) {
			t.Skipf("cannot build geth: the Go module proxy is not reachable: %s", tail(string(b), 500))
		}
	}
	t.Fatalf("building geth %s: %v\n%s", version, err, tail(string(b), 3000))
}

// runBounded runs cmd with a deadline, returning its combined output.
func runBounded(t *testing.T, cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	t.Helper()
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(buf.String()), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return []byte(buf.String()), context.DeadlineExceeded
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
