package watch

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

// Config mistakes that used to pass silently: a negative poll or
// blind_after became the default, a min_value on an event that carries no
// amount compared an address (Paused's account) or nothing at all, and a
// misspelt well-known event said only that it was not canonical.
func TestChainConfigMistakes(t *testing.T) {
	paused := []ChainRule{{Name: "p", Event: "Paused"}}
	for _, tc := range []struct {
		name   string
		cfg    ChainConfig
		reason []string // "" means accepted
	}{
		{"negative poll", ChainConfig{Poll: -5 * time.Second, Rules: paused}, []string{`"w"`, "poll -5s", "positive"}},
		{"negative blind_after", ChainConfig{BlindAfter: -time.Minute, Rules: paused}, []string{"blind_after -1m0s", "positive"}},
		{"negative backoff", ChainConfig{BackoffMin: -time.Second, Rules: paused}, []string{"positive"}},
		{"zero is the default", ChainConfig{Rules: paused}, nil},
		{"min_value on Paused", ChainConfig{Rules: []ChainRule{{Name: "p", Event: "Paused", MinValue: big.NewInt(10)}}},
			[]string{`rule "p"`, "min_value", "Paused(address) carries no amount"}},
		{"min_value on OwnershipTransferred", ChainConfig{Rules: []ChainRule{{Name: "o", Event: EventOwnershipTransferred, MinValue: big.NewInt(1)}}},
			[]string{"OwnershipTransferred(address,address) carries no amount"}},
		{"min_value on Transfer", ChainConfig{Rules: []ChainRule{{Name: "t", Event: "Transfer", MinValue: big.NewInt(1)}}}, nil},
		{"min_value on a custom event", ChainConfig{Rules: []ChainRule{{Name: "w", Event: "Withdraw(address,uint256)", MinValue: big.NewInt(1)}}}, nil},
		{"misspelt well-known event", ChainConfig{Rules: []ChainRule{{Name: "p", Event: "Pausd"}}},
			[]string{`event "Pausd"`, "did you mean Paused"}},
		{"lower-case well-known event", ChainConfig{Rules: []ChainRule{{Name: "p", Event: "paused"}}},
			[]string{"did you mean Paused"}},
		{"a well-known signature in the wrong case", ChainConfig{Rules: []ChainRule{{Name: "p", Event: "paused(address)"}}},
			[]string{"did you mean Paused(address)", "case-sensitive"}},
		{"nothing like a known event", ChainConfig{Rules: []ChainRule{{Name: "p", Event: "Zzzzzzzzz"}}},
			[]string{"not a canonical signature"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Name, tc.cfg.ChainID = "w", 1
			_, err := NewChainWatcher(&fakeChain{}, &memCursor{}, tc.cfg)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v does not say %q", err, want)
				}
			}
		})
	}
}
