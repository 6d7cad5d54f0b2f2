package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/onchain"
	"github.com/tminus-ir/tminus/store"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).anchorCmd)
}

type anchorOptions struct {
	rpc, key      string
	timeout       time.Duration
	confirmations uint64
	asJSON        bool
}

func (a *app) anchorCmd() *cobra.Command {
	var o anchorOptions
	cmd := &cobra.Command{
		Use:   "anchor --rpc URL --key KEYSTORE",
		Short: "Put the workspace's log root (every author's head and the state hash) on a chain, and record it",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.anchor(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.rpc, "rpc", "", "JSON-RPC URL of the chain to anchor on")
	cmd.Flags().StringVar(&o.key, "key", "", "keystore file of the account that sends (and pays for) the anchor")
	cmd.Flags().DurationVar(&o.timeout, "timeout", rpcTimeout, "give up waiting for the node or the receipt after")
	cmd.Flags().Uint64Var(&o.confirmations, "confirmations", 1,
		"record the anchor once this many blocks hold it (its own included), so a reorg cannot leave the record naming a block the chain dropped; a chain that mines only on demand (geth --dev) never adds more than 1 by itself")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("rpc")
	cmd.MarkFlagRequired("key")
	return cmd
}

// logRoot reads the heads and the state hash of one moment of the store:
// a sync that lands between the two reads would pair heads with another
// state, so the heads are read again until they did not move. fold is the
// state now (the command's view: a retry folds only what arrived).
func logRoot(ctx context.Context, st *store.Store, fold func(context.Context) (*domain.State, error)) ([]domain.ChainHead, string, error) {
	read := func() ([]domain.ChainHead, error) {
		hs, err := st.Heads(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]domain.ChainHead, len(hs))
		for i, h := range hs {
			out[i] = domain.ChainHead{Author: h.Author, Seq: h.Seq, ID: h.ID}
		}
		domain.SortHeads(out)
		return out, nil
	}
	for range 5 {
		before, err := read()
		if err != nil {
			return nil, "", err
		}
		s, err := fold(ctx)
		if err != nil {
			return nil, "", err
		}
		sh, err := s.Hash()
		if err != nil {
			return nil, "", err
		}
		after, err := read()
		if err != nil {
			return nil, "", err
		}
		if sameHeads(before, after) {
			return after, sh, nil
		}
	}
	return nil, "", errors.New("the store kept changing while the log root was read (a sync running?); try again")
}

func sameHeads(a, b []domain.ChainHead) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (a *app) anchor(ctx context.Context, o anchorOptions) error {
	if err := a.writable(ctx); err != nil {
		return err
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	heads, sh, err := logRoot(ctx, st, a.state)
	if err != nil {
		return err
	}
	if len(heads) > domain.MaxAnchorHeads {
		return fmt.Errorf("%d authors, more than an anchor records (%d)", len(heads), domain.MaxAnchorHeads)
	}
	root, err := domain.LogRoot(heads, sh)
	if err != nil {
		return err
	}
	if err := a.readyToRecord(ctx, o.key); err != nil {
		return err
	}
	key, err := a.unlock(o.key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client, err := onchain.Dial(ctx, o.rpc)
	if err != nil {
		return fmt.Errorf("%w; nothing anchored", err)
	}
	anc, err := client.Anchor(ctx, key, root)
	if err != nil {
		return fmt.Errorf("%w; nothing recorded", err)
	}
	if o.confirmations > 1 {
		fmt.Fprintf(a.stderr, "anchor tx %s mined in block %d; waiting for %d confirmations (up to %s)\n",
			anc.TxHash.Hex(), anc.Block, o.confirmations, o.timeout)
		block, err := client.Confirm(ctx, anc.TxHash, o.confirmations)
		if err != nil {
			return fmt.Errorf("%w; nothing recorded: run tminus anchor again (the root it sends then covers what arrived meanwhile)", err)
		}
		anc.Block = block // a reorg may have moved it
	}
	if !anc.ChainID.IsUint64() {
		return fmt.Errorf("chain id %s does not fit an anchor record", anc.ChainID)
	}
	body := &domain.AnchorRecord{ChainID: anc.ChainID.Uint64(), TxHash: anc.TxHash, Block: anc.Block, From: anc.From,
		Root: root, StateHash: sh, Heads: heads}
	ev, err := a.gated(context.WithoutCancel(ctx), body)
	if err != nil {
		return fmt.Errorf("anchored in tx %s but not recorded: %w", anc.TxHash.Hex(), err)
	}
	if !o.asJSON {
		fmt.Fprintf(a.stderr, "root %s of %d heads anchored on chain %s in tx %s, block %d\n", root.Hex(), len(heads), anc.ChainID,
			anc.TxHash.Hex(), anc.Block)
	}
	return a.created(o.asJSON, ev.ID.String(), map[string]any{"chain_id": anc.ChainID.String(), "tx_hash": anc.TxHash.Hex(),
		"block": fmt.Sprint(anc.Block), "root": root.Hex(), "state_hash": sh, "heads": len(heads)})
}

// verifyAnchor is `verify --anchor --rpc URL FILE`: the file's events must
// pass verify's checks, and every anchor.record in it must be on the chain
// with its root, and be reproduced by the file (domain.CheckAnchor).
func (a *app) verifyAnchor(ctx context.Context, path, rpc string, asJSON bool) error {
	audit := newForkAudit()
	var events []*domain.Event
	f, err := a.openBundle(path)
	if err != nil {
		return err
	}
	// Lines are audited once all are read, their signatures checked first
	// in batches (domain.VerifyAll), in the file's order.
	type parsed struct {
		n   int
		bad []byte // the line, when it does not parse
		e   *domain.Event
	}
	var lines []parsed
	err = eachLine(f, path, func(n int, line []byte) error {
		e, err := domain.ParseLine(line)
		if err != nil {
			lines = append(lines, parsed{n: n, bad: bytes.Clone(line)}) // the scanner reuses line
			return nil
		}
		lines = append(lines, parsed{n: n, e: e})
		events = append(events, e)
		return nil
	})
	f.Close()
	if err != nil {
		return err
	}
	domain.VerifyAll(events)
	for _, l := range lines {
		if l.e == nil {
			audit.Line(l.n, l.bad) // records the problem
		} else {
			audit.Event(l.n, l.e)
		}
	}
	// Events after the last anchor, cut off in a copy, leave every root
	// reproduced: only the checksum tells (bundle_sum.go).
	if f.sumState() == sumMismatch {
		fmt.Fprintln(a.text(), "BAD "+sumError(path))
		return errors.New(sumError(path))
	}
	// Forks fail only while their key stands, as in plain verify.
	problems, forks := audit.judgeForks(audit.Finish(), audit.roster())
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(a.text(), "BAD "+p.String())
		}
		return fmt.Errorf("%s: %d problem(s), first: %s", path, len(problems), problems[0])
	}
	for _, f := range forks {
		if !f.Standing && !asJSON {
			fmt.Fprintln(a.textErr(), "FORKED "+f.String())
		}
	}
	var recs []*domain.AnchorRecord
	var at []*domain.Event
	for _, e := range events {
		if e.Kind != domain.KindAnchorRecord || e.Redacted {
			continue
		}
		b, err := domain.DecodeBody(e.Kind, e.Body)
		if err != nil {
			return fmt.Errorf("%s: anchor.record %s: %w", path, e.ID.Short(), err)
		}
		recs = append(recs, b.(*domain.AnchorRecord))
		at = append(at, e)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s holds no anchor.record: anchor the workspace (tminus anchor), then export", path)
	}
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	client, err := onchain.Dial(ctx, rpc)
	if err != nil {
		return err
	}
	type result struct {
		Event      string `json:"event"`
		ChainID    string `json:"chain_id"`
		TxHash     string `json:"tx_hash"`
		Block      string `json:"block"`
		Recorded   string `json:"recorded_block"`
		Confirms   uint64 `json:"confirmations"`
		Root       string `json:"root"`
		Covered    int    `json:"covered"`
		Redacted   int    `json:"redacted"`
		StateHash  string `json:"state_hash"`
		Recomputed bool   `json:"state_hash_recomputed"`
	}
	served, err := client.ChainID(ctx)
	if err != nil {
		return err
	}
	var out []result
	for i, rec := range recs {
		// The chain first: on another chain the transaction is simply not
		// found, which would read as a dropped anchor.
		if served.Cmp(new(big.Int).SetUint64(rec.ChainID)) != 0 {
			return fmt.Errorf("anchor %s was recorded on chain %d, %s serves chain %s (give an RPC of chain %d)",
				at[i].ID.Short(), rec.ChainID, rpc, served, rec.ChainID)
		}
		anc, err := client.ReadAnchor(ctx, rec.TxHash)
		if err != nil {
			return fmt.Errorf("anchor %s: %w", at[i].ID.Short(), err)
		}
		switch {
		case anc.ChainID.Cmp(new(big.Int).SetUint64(rec.ChainID)) != 0:
			return fmt.Errorf("anchor %s was recorded on chain %d, %s serves chain %s", at[i].ID.Short(), rec.ChainID, rpc, anc.ChainID)
		case anc.Root != rec.Root:
			return fmt.Errorf("anchor %s: tx %s carries root %s, the record says %s: the record does not match the chain",
				at[i].ID.Short(), rec.TxHash.Hex(), anc.Root.Hex(), rec.Root.Hex())
		}
		chk, err := domain.CheckAnchor(events, rec)
		if err != nil {
			return fmt.Errorf("%s does not reproduce the root anchored in tx %s: %w", path, rec.TxHash.Hex(), err)
		}
		out = append(out, result{Event: at[i].ID.String(), ChainID: anc.ChainID.String(), TxHash: rec.TxHash.Hex(),
			Block: fmt.Sprint(anc.Block), Recorded: fmt.Sprint(rec.Block), Confirms: anc.Confirmations, Root: rec.Root.Hex(), Covered: chk.Covered, Redacted: chk.Redacted,
			StateHash: rec.StateHash, Recomputed: chk.StateHash != ""})
	}
	if asJSON {
		return a.printJSON(map[string]any{"source": path, "events": audit.Events, "anchors": out, "ok": true})
	}
	for _, r := range out {
		how := "state hash recomputed from the file"
		if !r.Recomputed {
			how = fmt.Sprintf("state hash taken from the record (%d covered events are redacted here), bound by the root", r.Redacted)
		}
		where := fmt.Sprintf("block %s, %d confirmation", r.Block, r.Confirms)
		if r.Confirms != 1 {
			where += "s"
		}
		if r.Block != r.Recorded {
			// The root is what counts and it is on chain; the record's
			// block is where it was first mined.
			where += fmt.Sprintf("; recorded in block %s, a reorg moved it", r.Recorded)
		}
		fmt.Fprintf(a.stdout, "OK: root %s anchored on chain %s in tx %s (%s) reproduced from %d events; %s\n",
			r.Root, r.ChainID, r.TxHash, where, r.Covered, how)
	}
	return nil
}
