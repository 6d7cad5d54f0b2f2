// Command devchain deploys Safe v1.4.1 (singleton, proxy factory, fallback
// handler), a Safe with the given owners and threshold, and a PausableTarget
// owned by that Safe on a running development chain (geth --dev, whose dev
// account is unlocked); funds each owner with 100 ETH; and writes
// DIR/devchain.json. Without --owners it generates owner keystores in
// DIR/keys. scripts/devchain starts geth and runs it; see docs/devchain.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.rpc, "rpc", "", "the chain's JSON-RPC URL, e.g. http://127.0.0.1:8545 (required)")
	flag.StringVar(&o.dir, "dir", "", "directory for devchain.json and generated owner keys (required)")
	flag.StringVar(&o.owners, "owners", "", "comma-separated owner addresses; empty: generate --generate owner keystores in DIR/keys")
	flag.IntVar(&o.generate, "generate", 3, "owner keys to generate when --owners is empty")
	flag.Uint64Var(&o.threshold, "threshold", 0, "the Safe's threshold (default: 2, or 1 for a single owner)")
	flag.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for the RPC to come up and for each transaction")
	flag.IntVar(&o.pid, "pid", 0, "stop waiting for the RPC if this process (the node) exits")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "devchain: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	o.passphrase = os.Getenv("DEVCHAIN_PASSPHRASE")
	if o.passphrase == "" {
		o.passphrase = defaultPassphrase
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devchain:", err)
		os.Exit(1)
	}
	fmt.Printf("devchain: Safe %s (%d of %d owners) and target %s on chain %d at %s\n",
		cfg.Safe, cfg.Threshold, len(cfg.Owners), cfg.Target, cfg.ChainID, cfg.RPC)
}
