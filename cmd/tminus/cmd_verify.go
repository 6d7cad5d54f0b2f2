package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func (a *app) verifyCmd() *cobra.Command {
	var asJSON, anchor bool
	var rpc string
	c := &cobra.Command{
		Use:   "verify [FILE] | verify --anchor --rpc URL FILE",
		Short: "Check every signature, chain and workspace in the store, or in a jsonl file (- for stdin) and its FILE.blobs/ (and its anchored roots)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if anchor {
				if len(args) != 1 || rpc == "" {
					return usageError{errors.New("verify --anchor needs --rpc URL and an exported FILE")}
				}
				return a.verifyAnchor(cmd.Context(), args[0], rpc, asJSON)
			}
			audit := newForkAudit()
			var src string
			var blobs *blobCheck
			var roster *domain.State
			if len(args) == 1 {
				src = args[0]
				var err error
				if blobs, err = a.auditBundle(src, audit); err != nil {
					return err
				}
			} else {
				st, err := a.home.Store(cmd.Context())
				if err != nil {
					return err
				}
				src = a.home.DBPath()
				if err := auditLog(cmd.Context(), st, audit); err != nil {
					return err
				}
				n, bad, err := st.CheckBlobs(cmd.Context())
				if err != nil {
					return err
				}
				blobs = &blobCheck{n: n, bad: bad}
				if s, err := st.State(cmd.Context()); err == nil {
					a.refused = identityRefusals(s)
					roster = s
				}
			}
			if roster == nil {
				roster = audit.roster()
				a.refused = audit.refused(roster)
			}
			return a.report(src, audit, roster, asJSON, blobs)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&anchor, "anchor", false, "also check that FILE reproduces every log root anchored in it (tminus anchor)")
	c.Flags().StringVar(&rpc, "rpc", "", "with --anchor: JSON-RPC URL of the anchor's chain")
	return c
}

// eachLine calls fn for every non-empty line of the file name, numbered
// from 1.
func eachLine(r io.Reader, name string, fn func(int, []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), domain.MaxLine)
	n := 0
	for sc.Scan() {
		n++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("%s line %d: longer than %d bytes, more than any event line (not a tminus jsonl file?)", name, n+1, domain.MaxLine)
	}
	return sc.Err()
}

// blobCheck is what verify found rehashing a store's blobs, or a bundle's
// (side, bundle_verify.go).
type blobCheck struct {
	n    int
	bad  []store.BadBlob
	side *sidecarCheck
}

// report prints what verify found and fails on any problem: integrity
// problems, and forks by keys the roster has not dealt with (verify_forks.go).
func (a *app) report(src string, audit *forkAudit, roster *domain.State, asJSON bool, blobs *blobCheck) error {
	problems, forks := audit.judgeForks(audit.Finish(), roster)
	cut := "" // the bundle against its checksum (bundle_sum.go)
	if blobs != nil && blobs.side != nil && blobs.side.sum == sumMismatch {
		cut = sumError(blobs.side.path)
	}
	var badBlobs []string
	if blobs != nil {
		for _, b := range blobs.bad {
			badBlobs = append(badBlobs, fmt.Sprintf("blob %s is damaged: its bytes hash to %s", b.Hash, b.Actual))
		}
		if blobs.side != nil {
			badBlobs = append(badBlobs, blobs.side.bad...)
		}
	}
	signers := make([]string, 0, len(audit.Signers))
	for s, n := range audit.Signers {
		signers = append(signers, fmt.Sprintf("%s (%d)", s.Hex(), n))
	}
	sort.Strings(signers)
	if asJSON {
		v := map[string]any{"source": src, "workspace": audit.WS.String(), "events": audit.Events,
			"redacted": audit.Redacted, "signers": signers, "problems": append([]domain.Problem{}, problems...), // [] not null
			"forks": forks, "ok": len(problems) == 0 && len(badBlobs) == 0 && cut == "" && audit.Events > 0}
		if blobs != nil {
			v["blobs"], v["bad_blobs"] = blobs.n, append([]string{}, badBlobs...)
			if blobs.side != nil {
				blobs.side.addJSON(v)
			}
		}
		v["refused"] = append([]string{}, a.refused...)
		a.printJSON(v)
	} else {
		w := a.text()
		fmt.Fprintf(w, "%s: %d events (%d redacted), workspace %s\nsigners:\n", src, audit.Events, audit.Redacted, audit.WS.Short())
		for _, s := range signers {
			fmt.Fprintln(w, "  "+s)
		}
		if cut != "" {
			fmt.Fprintln(w, "BAD "+cut)
		}
		for _, p := range problems {
			fmt.Fprintln(w, "BAD "+p.String())
		}
		for _, b := range badBlobs {
			fmt.Fprintln(w, "BAD "+b)
		}
		for _, f := range forks {
			if !f.Standing {
				fmt.Fprintln(w, "FORKED "+f.String())
			}
		}
		for _, r := range a.refused {
			fmt.Fprintln(w, "NOT COUNTED "+r)
		}
		if blobs != nil && blobs.side != nil {
			blobs.side.printNotes(w)
		}
	}
	if cut != "" {
		return errors.New(cut)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %d problem(s), first: %s", src, len(problems), problems[0])
	}
	if len(badBlobs) > 0 {
		return fmt.Errorf("%s: %d bad blob(s), first: %s", src, len(badBlobs), badBlobs[0])
	}
	if audit.Events == 0 {
		// Not "OK": verify vouches for a workspace's record, and an empty
		// file (a failed or truncated export) holds none, not even its genesis.
		return fmt.Errorf("%s holds no events: nothing to verify (an export holds its workspace's genesis at least)", src)
	}
	if !asJSON {
		w := a.text()
		fmt.Fprintln(w, "OK: every signature, chain and lamport checks out")
		if len(forks) > 0 {
			fmt.Fprintf(w, "OK: %d fork(s) above, each by a key that no longer stands on the roster\n", len(forks))
		}
		if blobs != nil && (blobs.side == nil || blobs.side.present) {
			fmt.Fprintf(w, "OK: %d blobs hash to their names\n", blobs.n)
		}
	}
	return nil
}

// auditLog feeds the store's log to audit in fold order. Reading and
// decoding, checking signatures (domain.VerifyAll, in batches) and the
// audit itself each run on their own goroutine, a few thousand events at
// a time: a 100,000-event store verifies in about half the time.
func auditLog(ctx context.Context, st *store.Store, audit *forkAudit) error {
	const size = 4096
	read, checked, errc := make(chan []*domain.Event, 1), make(chan []*domain.Event, 1), make(chan error, 1)
	go func() {
		defer close(read)
		chunk := make([]*domain.Event, 0, size)
		errc <- st.Log(ctx, func(e *domain.Event, _ bool) error {
			if chunk = append(chunk, e); len(chunk) == size {
				read <- chunk
				chunk = make([]*domain.Event, 0, size)
			}
			return nil
		})
		read <- chunk
	}()
	go func() {
		defer close(checked)
		for chunk := range read {
			domain.VerifyAll(chunk)
			checked <- chunk
		}
	}()
	n := 0
	for chunk := range checked {
		for _, e := range chunk {
			n++
			audit.Event(n, e)
		}
	}
	return <-errc
}
