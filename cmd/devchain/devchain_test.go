package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad flags are refused before any RPC is contacted (the URL is a closed
// port that would fail differently).
func TestRunRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	base := options{rpc: "http://127.0.0.1:1", dir: dir, generate: 3, wait: time.Second, passphrase: "p"}
	for _, c := range []struct {
		name string
		edit func(*options)
		want string
	}{
		{"no rpc", func(o *options) { o.rpc = "" }, "--rpc and --dir are required"},
		{"no dir", func(o *options) { o.dir = "" }, "--rpc and --dir are required"},
		{"bad address", func(o *options) { o.owners = "0x12" }, "--owners"},
		{"repeated owner", func(o *options) {
			o.owners = "0x1111111111111111111111111111111111111111,0x1111111111111111111111111111111111111111"
		}, "repeated"},
		{"zero owner", func(o *options) { o.owners = "0x0000000000000000000000000000000000000000" }, "repeated or zero"},
		{"threshold above owners", func(o *options) { o.threshold = 4 }, "more than the 3 owners"},
		{"no generated owners", func(o *options) { o.generate = 0 }, "want 1 to 20"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			_, err := run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("run = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "devchain.json")); err == nil {
		t.Fatal("devchain.json written by a refused run")
	}
}

// Generated owner keys are kept across restarts, and a wrong passphrase
// for an existing one is a clear error.
func TestOwnerKeysReused(t *testing.T) {
	o := options{dir: t.TempDir(), generate: 2, passphrase: "first"}
	a, files, err := ownerList(o)
	if err != nil || len(a) != 2 || len(files) != 2 || a[0] == a[1] {
		t.Fatalf("ownerList = %v, %v, %v", a, files, err)
	}
	b, _, err := ownerList(o)
	if err != nil || b[0] != a[0] || b[1] != a[1] {
		t.Fatalf("second ownerList = %v, %v; want the same owners %v", b, err, a)
	}
	o.passphrase = "second"
	if _, _, err := ownerList(o); err == nil || !strings.Contains(err.Error(), "DEVCHAIN_PASSPHRASE") {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

// The node never comes up: a clear error once the wait ends.
func TestRunRPCDown(t *testing.T) {
	o := options{rpc: "http://127.0.0.1:1", dir: t.TempDir(), generate: 1, wait: 500 * time.Millisecond, passphrase: "p"}
	if _, err := run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "did not come up") {
		t.Fatalf("run = %v, want the RPC did not come up", err)
	}
}
