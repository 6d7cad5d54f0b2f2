package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/google/uuid"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/onchain/safedeploy"
)

// defaultPassphrase protects generated owner keystores: a throwaway dev
// chain's keys, written next to the chain and named in devchain.json.
const defaultPassphrase = "devchain"

// ownerFund is what each owner receives: 100 ETH.
var ownerFund = new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))

type options struct {
	rpc, dir, owners string
	generate         int
	threshold        uint64
	wait             time.Duration
	pid              int
	passphrase       string
}

// Config is DIR/devchain.json.
type Config struct {
	RPC             string           `json:"rpc"`
	ChainID         uint64           `json:"chain_id"`
	Safe            common.Address   `json:"safe"`
	Owners          []common.Address `json:"owners"`
	Threshold       uint64           `json:"threshold"`
	Target          common.Address   `json:"target"`
	SafeVersion     string           `json:"safe_version"`
	Singleton       common.Address   `json:"singleton"`
	ProxyFactory    common.Address   `json:"proxy_factory"`
	FallbackHandler common.Address   `json:"fallback_handler"`
	// OwnerKeys are the generated owners' keystore files (Web3 Secret
	// Storage, light scrypt), in the order of Owners; empty when --owners
	// named existing addresses.
	OwnerKeys     []string `json:"owner_keys,omitempty"`
	KeyPassphrase string   `json:"key_passphrase,omitempty"`
}

func run(ctx context.Context, o options) (Config, error) {
	if o.rpc == "" || o.dir == "" {
		return Config{}, errors.New("--rpc and --dir are required")
	}
	owners, keyFiles, err := ownerList(o)
	if err != nil {
		return Config{}, err
	}
	threshold := o.threshold
	if threshold == 0 {
		threshold = min(2, uint64(len(owners)))
	}
	if threshold > uint64(len(owners)) {
		return Config{}, fmt.Errorf("threshold %d is more than the %d owners", threshold, len(owners))
	}
	waitCtx, cancel := context.WithTimeout(ctx, o.wait)
	defer cancel()
	rc, err := dialWhenUp(waitCtx, o.rpc, o.pid)
	if err != nil {
		return Config{}, err
	}
	defer rc.Close()
	client, err := onchain.Dial(waitCtx, o.rpc)
	if err != nil {
		return Config{}, err
	}
	id, err := client.ChainID(waitCtx)
	if err != nil {
		return Config{}, err
	}
	// A fresh deployer key, funded by the node's unlocked dev account: the
	// deployment then signs its own transactions like any client.
	deployer, err := crypto.GenerateKey()
	if err != nil {
		return Config{}, err
	}
	budget := new(big.Int).Mul(ownerFund, big.NewInt(int64(len(owners)+1)))
	if err := fundFromDevAccount(waitCtx, rc, client, crypto.PubkeyToAddress(deployer.PublicKey), budget); err != nil {
		return Config{}, err
	}
	for _, a := range owners {
		r, err := client.Send(waitCtx, deployer, &a, ownerFund, nil)
		if err != nil {
			return Config{}, fmt.Errorf("funding owner %s: %w", a.Hex(), err)
		}
		if r.Status != 1 {
			return Config{}, fmt.Errorf("funding owner %s: transaction %s failed", a.Hex(), r.TxHash.Hex())
		}
	}
	d, err := safedeploy.Deploy(waitCtx, client, deployer, owners, threshold)
	if err != nil {
		return Config{}, err
	}
	info, err := client.ReadSafe(waitCtx, d.Safe)
	if err != nil {
		return Config{}, fmt.Errorf("reading the new Safe back: %w", err)
	}
	cfg := Config{
		RPC: o.rpc, ChainID: id.Uint64(), Safe: d.Safe, Owners: owners, Threshold: threshold, Target: d.Target,
		SafeVersion: info.Version, Singleton: d.Singleton, ProxyFactory: d.ProxyFactory, FallbackHandler: d.FallbackHandler,
		OwnerKeys: keyFiles,
	}
	if len(keyFiles) > 0 {
		cfg.KeyPassphrase = o.passphrase
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return Config{}, err
	}
	// Written last and atomically: the file's presence means the chain is ready.
	path := filepath.Join(o.dir, "devchain.json")
	if err := os.WriteFile(path+".tmp", append(out, '\n'), 0o600); err != nil {
		return Config{}, err
	}
	return cfg, os.Rename(path+".tmp", path)
}

// ownerList parses --owners, or generates owner keystores in DIR/keys.
func ownerList(o options) ([]common.Address, []string, error) {
	if o.owners != "" {
		var owners []common.Address
		seen := map[common.Address]bool{}
		for _, s := range strings.Split(o.owners, ",") {
			a, err := safe.ParseAddress(strings.TrimSpace(s))
			if err != nil {
				return nil, nil, fmt.Errorf("--owners: %w", err)
			}
			if seen[a] || a == (common.Address{}) {
				return nil, nil, fmt.Errorf("--owners: %s is repeated or zero (a Safe's owners are distinct)", a.Hex())
			}
			seen[a] = true
			owners = append(owners, a)
		}
		return owners, nil, nil
	}
	if o.generate < 1 || o.generate > 20 {
		return nil, nil, fmt.Errorf("--generate %d: want 1 to 20 owners", o.generate)
	}
	dir := filepath.Join(o.dir, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	var owners []common.Address
	var files []string
	for i := 1; i <= o.generate; i++ {
		path := filepath.Join(dir, fmt.Sprintf("owner%d.json", i))
		a, err := ownerKey(path, o.passphrase)
		if err != nil {
			return nil, nil, err
		}
		owners = append(owners, a)
		files = append(files, path)
	}
	return owners, files, nil
}

// ownerKey reuses DIR/keys/ownerN.json when it exists (a restarted chain
// keeps its owners' keys) or creates it.
func ownerKey(path, passphrase string) (common.Address, error) {
	if raw, err := os.ReadFile(path); err == nil {
		k, err := keystore.DecryptKey(raw, passphrase)
		if err != nil {
			return common.Address{}, fmt.Errorf("%s: %w (remove it, or set DEVCHAIN_PASSPHRASE)", path, err)
		}
		return k.Address, nil
	}
	priv, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, err
	}
	k := &keystore.Key{Id: uuid.New(), Address: crypto.PubkeyToAddress(priv.PublicKey), PrivateKey: priv}
	data, err := keystore.EncryptKey(k, passphrase, keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		return common.Address{}, err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return common.Address{}, err
	}
	return k.Address, nil
}

// dialWhenUp retries until the node answers eth_chainId, ctx ends, or the
// node's process (pid, if given) exits.
func dialWhenUp(ctx context.Context, url string, pid int) (*rpc.Client, error) {
	var last error
	for {
		rc, err := rpc.DialContext(ctx, url)
		if err == nil {
			var id hexutil.Big
			if err = rc.CallContext(ctx, &id, "eth_chainId"); err == nil {
				return rc, nil
			}
			rc.Close()
		}
		last = err
		if pid > 0 && syscall.Kill(pid, 0) != nil {
			return nil, fmt.Errorf("the node (pid %d) exited before its RPC %s came up: %v", pid, url, last)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s did not come up: %v", onchain.ErrRPC, url, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fundFromDevAccount sends value from the node's first account (geth
// --dev's unlocked developer account) with eth_sendTransaction.
func fundFromDevAccount(ctx context.Context, rc *rpc.Client, client *onchain.Client, to common.Address, value *big.Int) error {
	var accounts []common.Address
	if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
		return fmt.Errorf("eth_accounts: %w", err)
	}
	if len(accounts) == 0 {
		return errors.New("the node has no unlocked account to fund from (start geth with --dev)")
	}
	var h common.Hash
	err := rc.CallContext(ctx, &h, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": to, "value": (*hexutil.Big)(value),
	})
	if err != nil {
		return fmt.Errorf("funding from the dev account %s: %w", accounts[0].Hex(), err)
	}
	r, err := client.WaitMined(ctx, h)
	if err != nil {
		return err
	}
	if r.Status != 1 {
		return fmt.Errorf("funding transaction %s failed", h.Hex())
	}
	return nil
}
