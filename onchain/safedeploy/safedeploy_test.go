package safedeploy

import (
	"context"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestLoadArtifacts(t *testing.T) {
	for _, c := range []struct {
		name, origin string
		methods      []string
	}{
		{SafeSingleton, "@safe-global/safe-contracts@1.4.1", []string{"setup", "execTransaction", "getTransactionHash", "VERSION"}},
		{ProxyFactory, "@safe-global/safe-contracts@1.4.1", []string{"createProxyWithNonce"}},
		{FallbackHandler, "@safe-global/safe-contracts@1.4.1", []string{"isValidSignature"}},
		{Target, "solc-js 0.8.30", []string{"pause", "unpause", "paused", "owner"}},
	} {
		a, err := Load(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != c.name || !strings.HasPrefix(a.Origin, c.origin) || len(a.Bytecode) < 100 {
			t.Errorf("%s: name %q, origin %q, %d bytes of code", c.name, a.Name, a.Origin, len(a.Bytecode))
		}
		for _, m := range c.methods {
			if _, ok := a.ABI.Methods[m]; !ok {
				t.Errorf("%s has no method %s", c.name, m)
			}
		}
	}
	if _, err := Load("SafeL2"); err == nil || !strings.Contains(err.Error(), "no artifact") {
		t.Fatalf("Load(SafeL2) = %v", err)
	}
}

// A bad owner set is refused before any transaction (the nil client would
// panic if used).
func TestDeployRefusesBadThreshold(t *testing.T) {
	k, _ := crypto.GenerateKey()
	owners := []common.Address{{1}, {2}}
	for _, th := range []uint64{0, 3} {
		if _, err := Deploy(context.Background(), nil, k, owners, th); err == nil || !strings.Contains(err.Error(), "want 1 <= threshold <= owners") {
			t.Errorf("threshold %d: %v", th, err)
		}
	}
	if _, err := Deploy(context.Background(), nil, k, nil, 1); err == nil {
		t.Error("no owners accepted")
	}
}
