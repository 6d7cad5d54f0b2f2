package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).demoCmd)
}

// demoPassphrase unlocks every key of a demo workspace. The keys guard nothing: the
// workspace is thrown away, and --seed-only homes are for tests.
const demoPassphrase = "demo"

type demoOpts struct {
	seedOnly  string
	peersOnly string
	every     time.Duration
	runFor    time.Duration
}

func (a *app) demoCmd() *cobra.Command {
	var o demoOpts
	c := &cobra.Command{
		Use:   "demo [--seed-only DIR | --peers-only DIR]",
		Short: "The cockpit on a throwaway workspace with live simulated alerts and peers",
		Long: `Opens the cockpit on a new workspace in a temporary directory: a vault drain on an L2
bridge, 41 minutes in, with three simulated teammates signing events every few seconds.
Nothing touches the network or your --home; the directory is removed on exit.

--seed-only DIR writes the same workspace as a home for alice (passphrase "demo") and
exits; --peers-only DIR runs the simulated teammates against such a home without a
cockpit, for --for a while (or until interrupted).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.seedOnly, "seed-only", "", "write the demo workspace as a home in DIR and exit")
	c.Flags().StringVar(&o.peersOnly, "peers-only", "", "run the simulated peers against the demo home in DIR, no cockpit")
	c.Flags().DurationVar(&o.every, "peers-every", 4*time.Second, "how often the simulated peers act")
	c.Flags().DurationVar(&o.runFor, "for", 0, "with --peers-only: stop after this long (0: until interrupted)")
	return c
}

func (a *app) runDemo(ctx context.Context, o demoOpts) error {
	switch {
	case o.seedOnly != "" && o.peersOnly != "":
		return usageError{errors.New("give --seed-only or --peers-only, not both")}
	case o.every < 100*time.Millisecond:
		return usageError{fmt.Errorf("--peers-every %s: at least 100ms", o.every)}
	case o.seedOnly != "":
		d, err := seedDemo(ctx, o.seedOnly, time.Now())
		if err != nil {
			return err
		}
		d.st.Close()
		fmt.Fprintln(a.stdout, o.seedOnly)
		return nil
	case o.peersOnly != "":
		d, err := openDemo(ctx, o.peersOnly)
		if err != nil {
			return err
		}
		defer d.st.Close()
		if o.runFor > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.runFor)
			defer cancel()
		}
		return d.simulate(ctx, o.every)
	}
	dir, err := os.MkdirTemp("", "tminus-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := seedDemo(ctx, dir, time.Now())
	if err != nil {
		return err
	}
	defer d.st.Close()
	// A broken team runbook is said inside the screen, as in the cockpit.
	b, err := a.backendOver(ctx, workspace.Attach(d.dir, d.st, d.signers["alice"].Key), "alice")
	if err != nil {
		return err
	}
	// The peers stop, and their last append returns, before the store closes and the
	// directory goes.
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.simulate(pctx, o.every) }()
	err = a.runCockpit(ctx, b, "")
	if err != nil {
		b.warnProblems(a.textErr()) // the screen that would have said them did not open
	}
	stop()
	wg.Wait()
	return err
}

// demo is a demo workspace: its store and every member's signer.
type demo struct {
	dir     string
	st      *store.Store
	signers map[string]domain.KeySigner
	// write, when set, stands in for signing into the store (tests make it fail).
	write func(ctx context.Context, who string, b domain.Body) error
}

var demoMembers = []struct {
	handle string
	roles  []string
}{
	{"alice", []string{"comms", "containment", "recorder", "reporter", "triage"}},
	{"bob", []string{"containment", "triage"}},
	{"carol", []string{"comms", "reporter"}},
	{"dave", []string{"containment", "recorder", "reporter"}}, // without a proof: below containment's minimum
}

func demoKeyPath(dir, handle string) string {
	if handle == "alice" {
		return filepath.Join(dir, "key.json") // alice's is the home's own key
	}
	return filepath.Join(dir, "peers", handle+".json")
}

// newDemoHome creates the keys (light scrypt: a demo must start at once) and alice's
// config.yaml, so DIR is also a home the CLI can open.
func newDemoHome(dir string) (*demo, error) {
	if err := os.MkdirAll(filepath.Join(dir, "peers"), 0o700); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
		return nil, fmt.Errorf("%s already holds a tminus home; give an empty directory", dir)
	}
	d := &demo{dir: dir, signers: map[string]domain.KeySigner{}}
	for _, m := range demoMembers {
		k, err := store.CreateKey(demoKeyPath(dir, m.handle), []byte(demoPassphrase), true)
		if err != nil {
			return nil, err
		}
		d.signers[m.handle] = domain.KeySigner{Key: k}
	}
	alice := d.signers["alice"].Key
	h := &workspace.Home{Dir: dir}
	err := h.SaveConfig(&workspace.Config{Handle: "alice", Address: crypto.PubkeyToAddress(alice.PublicKey).Hex(),
		PubKey: fmt.Sprintf("%x", crypto.FromECDSAPub(&alice.PublicKey)), Listen: workspace.DefaultListen})
	return d, err
}

// openDemo unlocks the keys of a home written by --seed-only.
func openDemo(ctx context.Context, dir string) (*demo, error) {
	d := &demo{dir: dir, signers: map[string]domain.KeySigner{}}
	for _, m := range demoMembers {
		k, err := store.UnlockKey(demoKeyPath(dir, m.handle), []byte(demoPassphrase))
		if err != nil {
			return nil, fmt.Errorf("%s is not a demo home (tminus demo --seed-only DIR makes one): %w", dir, err)
		}
		d.signers[m.handle] = domain.KeySigner{Key: k}
	}
	st, err := store.Open(ctx, filepath.Join(dir, "tminus.db"))
	if err != nil {
		return nil, err
	}
	d.st = st
	return d, nil
}
