package workspace

import (
	"bytes"
	"crypto/ecdsa"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/store"
)

// A key switch stopped at each point between its steps (a crash, a power
// cut) leaves a home with a key.json that opens, and it ends switched: by
// the next Config (stopped after config.yaml), or by key rotate switching
// again (stopped before it). The old switch renamed key.json away first:
// stopped there, the home had no key at all.
func TestSwitchKeySurvivesACrashAtEachStep(t *testing.T) {
	for stop := 0; stop <= 3; stop++ {
		th, h, old, newKey := rotating(t)
		newAddr := crypto.PubkeyToAddress(newKey.PublicKey)
		steps, _, err := h.switchSteps(newKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range steps[:stop] {
			if err := step(); err != nil {
				t.Fatalf("stop %d: %v", stop, err)
			}
		}

		// The process died here; the next command opens the home.
		var warn bytes.Buffer
		after := &Home{Dir: th.dir, Warn: &warn}
		t.Cleanup(after.Close)
		if _, err := os.Stat(after.KeyPath()); err != nil {
			t.Fatalf("stopped after step %d: no key.json: %v", stop, err)
		}
		c, err := after.Config()
		if err != nil {
			t.Fatalf("stopped after step %d: the home does not open: %v", stop, err)
		}
		if k, err := after.Key(); err != nil {
			t.Fatalf("stopped after step %d: key.json does not match config.yaml: %v", stop, err)
		} else if a := crypto.PubkeyToAddress(k.PublicKey); a.Hex() != c.Address {
			t.Fatalf("stopped after step %d: key %s, config %s", stop, a.Hex(), c.Address)
		}
		finished := strings.Contains(warn.String(), "finished an interrupted key rotation")
		if finished != (stop == 2) {
			t.Errorf("stopped after step %d: said %q", stop, warn.String())
		}
		if common.HexToAddress(c.Address) == old {
			// key rotate, run again, finds the rotation recorded and switches.
			if _, err := after.SwitchKey(newKey); err != nil {
				t.Fatalf("stopped after step %d: switching again: %v", stop, err)
			}
		}

		again := &Home{Dir: th.dir}
		t.Cleanup(again.Close)
		if a, err := again.Address(); err != nil || a != newAddr {
			t.Errorf("stopped after step %d: config names %s (%v), want %s", stop, a.Hex(), err, newAddr.Hex())
		}
		if a, err := store.KeyAddress(again.KeyPath()); err != nil || a != newAddr {
			t.Errorf("stopped after step %d: key.json holds %s (%v), want %s", stop, a.Hex(), err, newAddr.Hex())
		}
		if a, err := store.KeyAddress(again.RetiredKeyPath(old)); err != nil || a != old {
			t.Errorf("stopped after step %d: the retired keystore holds %s (%v), want %s", stop, a.Hex(), err, old.Hex())
		}
		if _, err := os.Stat(again.NextKeyPath()); !os.IsNotExist(err) {
			t.Errorf("stopped after step %d: key.next.json left behind (%v)", stop, err)
		}
	}
}

// finishSwitch only completes a switch: key.json's key must be kept as
// retired and key.next.json must be the key config.yaml names. Otherwise
// the mismatch is left for Key to name, and no keystore is overwritten.
func TestFinishSwitchTouchesNothingElse(t *testing.T) {
	for _, tc := range []struct {
		name            string
		retired, toNext bool
	}{
		{"no retired copy of key.json", false, true},
		{"key.next.json is another key", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, h, old, newKey := rotating(t)
			target := newKey
			if !tc.toNext {
				var err error
				if target, err = crypto.GenerateKey(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.retired {
				data, _ := os.ReadFile(h.KeyPath())
				if err := os.WriteFile(h.RetiredKeyPath(old), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := h.Config()
			next := *c
			next.Address = crypto.PubkeyToAddress(target.PublicKey).Hex()
			next.PubKey = ""
			if err := h.SaveConfig(&next); err != nil {
				t.Fatal(err)
			}
			var warn bytes.Buffer
			after := &Home{Dir: th.dir, Warn: &warn}
			t.Cleanup(after.Close)
			if _, err := after.Config(); err != nil {
				t.Fatal(err)
			}
			if a, err := store.KeyAddress(after.KeyPath()); err != nil || a != old {
				t.Errorf("key.json holds %s (%v), want it left as %s", a.Hex(), err, old.Hex())
			}
			if _, err := after.Key(); err == nil || !strings.Contains(err.Error(), "config.yaml says") {
				t.Errorf("Key: %v, want the mismatch named", err)
			}
			if warn.Len() != 0 {
				t.Errorf("said %q", warn.String())
			}
		})
	}
}

// rotating is a home whose next key is written beside its key.json, as key
// rotate leaves it before the switch: the home, its old address, the new key.
func rotating(t *testing.T) (*testHome, *Home, common.Address, *ecdsa.PrivateKey) {
	t.Helper()
	th := newHome(t)
	old := common.Address(th.addr())
	h := th.open(t)
	newKey, err := store.CreateKey(h.NextKeyPath(), []byte(pass), true)
	if err != nil {
		t.Fatal(err)
	}
	return th, h, old, newKey
}
