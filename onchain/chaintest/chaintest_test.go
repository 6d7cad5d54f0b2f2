package chaintest

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/tminus-ir/tminus/onchain"
)

// The chain comes up with a 2-of-3 Safe owning an unpaused target, readable
// both in process and over HTTP on 127.0.0.1.
func TestNewServesSafeOverHTTP(t *testing.T) {
	c := New(t, Options{Owners: 3, Threshold: 2, HTTP: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, cl := range []struct {
		name string
		dial func() (*onchain.Client, error)
	}{
		{"in-process", func() (*onchain.Client, error) { return c.Client, nil }},
		{"http", func() (*onchain.Client, error) { return onchain.Dial(ctx, c.RPC) }},
	} {
		t.Run(cl.name, func(t *testing.T) {
			client, err := cl.dial()
			if err != nil {
				t.Fatal(err)
			}
			info, err := client.ReadSafe(ctx, c.Safe)
			if err != nil {
				t.Fatal(err)
			}
			if info.Version != "1.4.1" || info.Threshold != 2 || len(info.Owners) != 3 || info.Nonce.Sign() != 0 || info.ChainID.Int64() != 1337 {
				t.Fatalf("ReadSafe = %+v, want Safe 1.4.1, 2 of 3, nonce 0, chain 1337", info)
			}
			for _, o := range c.Owners {
				if !info.IsOwner(o) {
					t.Errorf("owner %s missing from %v", o.Hex(), info.Owners)
				}
			}
		})
	}
	if paused, err := c.Paused(ctx); err != nil || paused {
		t.Fatalf("Paused = %v, %v; want false", paused, err)
	}
	// A transaction sent over HTTP is mined by the loop.
	ec, err := ethclient.DialContext(ctx, c.RPC)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	a, err := onchain.New(ec).Anchor(ctx, c.OwnerKeys[0], [32]byte{1})
	if err != nil {
		t.Fatalf("anchor over HTTP: %v", err)
	}
	if a.Block == 0 {
		t.Fatalf("anchor mined in block 0")
	}
}
