// Package safedeploy deploys Safe v1.4.1 and a pausable target contract on a
// development chain: the singleton, the proxy factory and the fallback
// handler from @safe-global/safe-contracts@1.4.1's build artifacts, a Safe
// proxy set up with the given owners and threshold, and a PausableTarget
// owned by that Safe. It serves `make devchain` and tests; the bytecode is
// embedded (artifacts/, see its README for how it was made).
package safedeploy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/tminus-ir/tminus/onchain"
)

//go:embed artifacts/*.json
var files embed.FS

// The artifacts' names (artifacts/NAME.json).
const (
	SafeSingleton   = "Safe"
	ProxyFactory    = "SafeProxyFactory"
	FallbackHandler = "CompatibilityFallbackHandler"
	Target          = "PausableTarget"
)

// Artifact is a contract's ABI and creation bytecode.
type Artifact struct {
	Name     string
	Origin   string // the npm package or the compiler that made it
	ABI      abi.ABI
	Bytecode []byte
}

// Load reads an embedded artifact by name.
func Load(name string) (Artifact, error) {
	raw, err := files.ReadFile("artifacts/" + name + ".json")
	if err != nil {
		return Artifact{}, fmt.Errorf("safedeploy: no artifact %q", name)
	}
	var a struct {
		Package, Compiler, ContractName string
		ABI                             json.RawMessage
		Bytecode                        string
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return Artifact{}, fmt.Errorf("safedeploy: artifact %s: %w", name, err)
	}
	parsed, err := abi.JSON(bytes.NewReader(a.ABI))
	if err != nil {
		return Artifact{}, fmt.Errorf("safedeploy: artifact %s abi: %w", name, err)
	}
	code, err := hexutil.Decode(a.Bytecode)
	if err != nil || len(code) == 0 {
		return Artifact{}, fmt.Errorf("safedeploy: artifact %s bytecode: %v", name, err)
	}
	origin := a.Package
	if origin == "" {
		origin = a.Compiler
	}
	return Artifact{Name: a.ContractName, Origin: origin, ABI: parsed, Bytecode: code}, nil
}

// Deployment is what Deploy put on the chain.
type Deployment struct {
	Singleton       common.Address
	ProxyFactory    common.Address
	FallbackHandler common.Address
	Safe            common.Address
	Target          common.Address
	Owners          []common.Address
	Threshold       uint64
}

// Deploy deploys Safe v1.4.1 (singleton, proxy factory, fallback handler),
// creates a Safe proxy with owners and threshold through setup(), and
// deploys a PausableTarget owned by the Safe, every transaction sent from
// key. Five transactions, each waited for.
func Deploy(ctx context.Context, c *onchain.Client, key *ecdsa.PrivateKey, owners []common.Address, threshold uint64) (Deployment, error) {
	if len(owners) == 0 || threshold == 0 || threshold > uint64(len(owners)) {
		return Deployment{}, fmt.Errorf("safedeploy: threshold %d of %d owners: want 1 <= threshold <= owners", threshold, len(owners))
	}
	arts := map[string]Artifact{}
	for _, n := range []string{SafeSingleton, ProxyFactory, FallbackHandler, Target} {
		a, err := Load(n)
		if err != nil {
			return Deployment{}, err
		}
		arts[n] = a
	}
	d := Deployment{Owners: owners, Threshold: threshold}
	var err error
	if d.Singleton, err = create(ctx, c, key, arts[SafeSingleton].Bytecode); err != nil {
		return Deployment{}, err
	}
	if d.ProxyFactory, err = create(ctx, c, key, arts[ProxyFactory].Bytecode); err != nil {
		return Deployment{}, err
	}
	if d.FallbackHandler, err = create(ctx, c, key, arts[FallbackHandler].Bytecode); err != nil {
		return Deployment{}, err
	}
	safeABI, factoryABI := arts[SafeSingleton].ABI, arts[ProxyFactory].ABI
	setup, err := safeABI.Pack("setup", owners, new(big.Int).SetUint64(threshold), common.Address{}, []byte{},
		d.FallbackHandler, common.Address{}, new(big.Int), common.Address{})
	if err != nil {
		return Deployment{}, fmt.Errorf("safedeploy: setup call: %w", err)
	}
	create2, err := factoryABI.Pack("createProxyWithNonce", d.Singleton, setup, new(big.Int))
	if err != nil {
		return Deployment{}, fmt.Errorf("safedeploy: createProxyWithNonce call: %w", err)
	}
	r, err := c.Send(ctx, key, &d.ProxyFactory, nil, create2)
	if err != nil {
		return Deployment{}, fmt.Errorf("safedeploy: creating the Safe proxy: %w", err)
	}
	if d.Safe, err = proxyCreated(r, factoryABI, d.ProxyFactory); err != nil {
		return Deployment{}, err
	}
	ctor, err := arts[Target].ABI.Pack("", d.Safe)
	if err != nil {
		return Deployment{}, fmt.Errorf("safedeploy: target constructor: %w", err)
	}
	if d.Target, err = create(ctx, c, key, append(append([]byte{}, arts[Target].Bytecode...), ctor...)); err != nil {
		return Deployment{}, err
	}
	return d, nil
}

func create(ctx context.Context, c *onchain.Client, key *ecdsa.PrivateKey, code []byte) (common.Address, error) {
	r, err := c.Send(ctx, key, nil, nil, code)
	if err != nil {
		return common.Address{}, fmt.Errorf("safedeploy: deploying a contract: %w", err)
	}
	if r.Status != types.ReceiptStatusSuccessful || r.ContractAddress == (common.Address{}) {
		return common.Address{}, fmt.Errorf("safedeploy: contract creation %s failed", r.TxHash.Hex())
	}
	return r.ContractAddress, nil
}

func proxyCreated(r *types.Receipt, factoryABI abi.ABI, factory common.Address) (common.Address, error) {
	if r.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, fmt.Errorf("safedeploy: createProxyWithNonce %s reverted", r.TxHash.Hex())
	}
	ev := factoryABI.Events["ProxyCreation"]
	for _, l := range r.Logs {
		if l.Address == factory && len(l.Topics) == 2 && l.Topics[0] == ev.ID {
			return common.BytesToAddress(l.Topics[1][:]), nil
		}
	}
	return common.Address{}, errors.New("safedeploy: no ProxyCreation log in the proxy's creation receipt")
}

// Paused calls the target's paused().
func Paused(ctx context.Context, caller ethereum.ContractCaller, target common.Address) (bool, error) {
	a, err := Load(Target)
	if err != nil {
		return false, err
	}
	data, err := a.ABI.Pack("paused")
	if err != nil {
		return false, err
	}
	res, err := caller.CallContract(ctx, ethereum.CallMsg{To: &target, Data: data}, nil)
	if err != nil {
		return false, fmt.Errorf("calling %s.paused(): %w", target.Hex(), err)
	}
	out, err := a.ABI.Unpack("paused", res)
	if err != nil || len(out) != 1 {
		return false, fmt.Errorf("%s.paused() returned %d bytes: not a PausableTarget? (%v)", target.Hex(), len(res), err)
	}
	return out[0].(bool), nil
}
