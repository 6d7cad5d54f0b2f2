// Command soak runs tminus nodes under faults and checks that they agree
// (package internal/soak). `make soak` runs it: SOAK_NODES (default 10),
// SOAK_SECONDS (60), SOAK_SEED (random, printed), SOAK_DIR (a directory
// to keep the homes and each node's serve.log in). It prints one JSON line
// and exits 1 when a write was lost or a node differs, saying which and
// why on stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tminus-ir/tminus/internal/soak"
)

func main() {
	cfg, err := config(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak: "+err.Error())
		os.Exit(2)
	}
	cfg.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := soak.Run(ctx, cfg)
	if res.Nodes > 0 {
		fmt.Println(res.JSON())
	}
	if err != nil {
		for _, p := range res.Problems {
			fmt.Fprintln(os.Stderr, "soak: "+p)
		}
		fmt.Fprintln(os.Stderr, "soak: "+err.Error())
		fmt.Fprintf(os.Stderr, "soak: reproduce with SOAK_NODES=%d SOAK_SECONDS=%d SOAK_SEED=%d make soak\n",
			cfg.Nodes, int(cfg.Duration/time.Second), cfg.Seed)
		os.Exit(1)
	}
}

// config reads SOAK_NODES, SOAK_SECONDS and SOAK_SEED.
func config(getenv func(string) string) (soak.Config, error) {
	cfg := soak.Config{Nodes: 10, Duration: 60 * time.Second, Seed: time.Now().UnixNano() % 1_000_000}
	if v := getenv("SOAK_NODES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			return cfg, fmt.Errorf("SOAK_NODES=%q: want a whole number of at least 4", v)
		}
		cfg.Nodes = n
	}
	if v := getenv("SOAK_SECONDS"); v != "" {
		s, err := strconv.Atoi(v)
		if err != nil || s < 1 {
			return cfg, fmt.Errorf("SOAK_SECONDS=%q: want a whole number of seconds, at least 1", v)
		}
		cfg.Duration = time.Duration(s) * time.Second
	}
	cfg.Dir = getenv("SOAK_DIR") // kept for a post-mortem: homes, serve.log of each node
	if v := getenv("SOAK_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return cfg, fmt.Errorf("SOAK_SEED=%q: want an integer", v)
		}
		cfg.Seed = s
	}
	return cfg, nil
}
