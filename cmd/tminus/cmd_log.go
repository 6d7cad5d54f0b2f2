package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func (a *app) logCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "log [--json]",
		Short: "The signed events, in fold order",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			s, err := st.State(cmd.Context())
			if err != nil {
				return err
			}
			rejected := map[domain.ID]string{}
			for _, r := range s.Rejected {
				rejected[r.Event] = r.Reason
			}
			buf := bufio.NewWriter(a.stdout)
			defer buf.Flush()
			enc := json.NewEncoder(buf) // signed lines: byte-exact, never textWriter
			w := textWriter{buf}
			enc.SetEscapeHTML(false)
			return st.Log(cmd.Context(), func(e *domain.Event, skewed bool) error {
				if asJSON {
					return enc.Encode(logLine{domain.NewLine(e), rejected[e.ID], skewed})
				}
				note := ""
				if r, ok := rejected[e.ID]; ok {
					note = "  REJECTED: " + r
				}
				if skewed {
					note += "  SKEWED"
				}
				_, err := fmt.Fprintf(w, "%s %s %-8s #%-4d L%-5d %-18s %s%s\n", e.ID.Short(),
					time.UnixMilli(int64(e.Time)).Format("2006-01-02 15:04:05"), s.Handle(e.Author), e.Seq, e.Lamport,
					e.Kind, summary(e.Body), note)
				return err
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "one JSON object a line (the bundle format, with this replica's rejected and skewed marks)")
	return c
}

// logLine is a bundle line plus what this replica alone judged of the
// event. The marks sit outside raw, so a log saved with --json still
// imports and verifies as a bundle (ParseLine ignores them).
type logLine struct {
	domain.Line
	Rejected string `json:"rejected,omitempty"` // why the fold did not count it
	Skewed   bool   `json:"skewed,omitempty"`   // signed further ahead of its arrival than the skew limit
}

func summary(body []byte) string {
	s := string(body)
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func (a *app) stateHashCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "state-hash",
		Short: "Digest of the folded state: equal on replicas holding the same events",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			h, err := s.Hash()
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, h)
			return nil
		},
	}
}

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
				n := 0
				if err := st.Log(cmd.Context(), func(e *domain.Event, _ bool) error {
					n++
					audit.Event(n, e)
					return nil
				}); err != nil {
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
			"forks": forks, "ok": len(problems) == 0 && len(badBlobs) == 0 && audit.Events > 0}
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

func (a *app) bundleCmd() *cobra.Command {
	c := &cobra.Command{Use: "bundle", Short: "Signed events in a file, for members without a network path"}
	var noBlobs bool
	export := &cobra.Command{
		Use:   "export FILE",
		Short: "Write every stored event to FILE (jsonl; - for stdout), and the blobs they name to FILE.blobs/, replacing an earlier export's",
		Args:  exactArgs(1, "a file name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			return a.exportBundle(cmd.Context(), st, args[0], !noBlobs)
		},
	}
	export.Flags().BoolVar(&noBlobs, "no-blobs", false, "write the events only, not the evidence files and outputs they name")
	var iJSON bool
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Verify and store the events of a jsonl bundle (- for stdin): all of it, or nothing; then the blobs in FILE.blobs/",
		Args:  exactArgs(1, "a file name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, named, err := a.importBundle(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			// The events are in; blobs the sidecar holds follow, each
			// checked on its own (bundle_blobs.go).
			var bl blobImport
			var blobErr error
			if args[0] != "-" { // stdin carries no blobs
				bl, blobErr = importBlobs(cmd.Context(), st, args[0], named)
			}
			if iJSON {
				if err := a.printJSON(map[string]any{"added": len(rep.Added), "duplicates": rep.Duplicates,
					"orphaned": rep.Orphaned, "forks": rep.Forks, "skewed": rep.Skewed,
					"blobs": bl.stored, "blobs_here": bl.here, "blobs_ignored": bl.ignored, "blobs_refused": len(bl.refused)}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "imported %d new events (%d already here, %d waiting for their chain, %d forks, %d skewed)\n",
					len(rep.Added), rep.Duplicates, rep.Orphaned, rep.Forks, rep.Skewed)
				if bl.any() {
					fmt.Fprintf(a.stdout, "imported %d blobs (%d already here, %d named by no event of the bundle and ignored)\n",
						bl.stored, bl.here, bl.ignored)
				}
			}
			return blobErr
		},
	}
	imp.Flags().BoolVar(&iJSON, "json", false, "print JSON")
	c.AddCommand(export, imp)
	return c
}

// writeLines writes the store's events as jsonl to path, atomically, or
// to stdout for "-"; redact, when set, chooses the events written without
// their body, and seen, when set, is shown every event written.
func writeLines(ctx context.Context, st *store.Store, path string, stdout io.Writer, redact func(*domain.Event) bool, seen func(*domain.Event)) (int, error) {
	var w io.Writer
	var f *os.File
	if path == "-" {
		w = stdout
	} else {
		if err := checkOutputDir(path); err != nil {
			return 0, err
		}
		var err error
		f, err = os.CreateTemp(dirOf(path), ".tminus-export-*")
		if err != nil {
			return 0, fmt.Errorf("cannot write %s: %w", path, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := st.Log(ctx, func(e *domain.Event, _ bool) error {
		if seen != nil {
			seen(e)
		}
		if redact != nil && redact(e) {
			r, err := e.Redact()
			if err != nil {
				return err
			}
			e = r
		}
		n++
		return enc.Encode(domain.NewLine(e))
	})
	if err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return 0, err
		}
		if err := f.Close(); err != nil {
			return 0, err
		}
		if err := os.Rename(f.Name(), path); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// checkOutputDir says plainly that the directory a file is to be written in
// is missing, before the temporary file there fails with its own name
// ("open /nonexistent/.tminus-export-123: no such file or directory").
func checkOutputDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot write %s: directory %s does not exist (create it, or name another)", path, dir)
	case err != nil:
		return fmt.Errorf("cannot write %s: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	return nil
}

// importBundle reads every line first: one bad line refuses the file,
// naming the line, and nothing from it is stored.
// It also returns the blobs the bundle's events name.
func (a *app) importBundle(ctx context.Context, path string) (store.Report, map[string]bool, error) {
	f, err := a.openBundle(path)
	if err != nil {
		return store.Report{}, nil, err
	}
	defer f.Close()
	var raws [][]byte
	var lines []int
	named := map[string]bool{}
	err = eachLine(f, path, func(n int, line []byte) error {
		e, err := domain.ParseLine(line)
		if err != nil {
			return fmt.Errorf("%s line %d: %w (nothing imported%s)", path, n, err, f.cutHint(path, line))
		}
		if e.Redacted {
			return fmt.Errorf("%s line %d: event %s is redacted; bundles carry full events only (nothing imported)", path, n, e.ID.Short())
		}
		if h := domain.BlobOf(e.Kind, e.Body); h != "" {
			named[h] = true
		}
		raws = append(raws, e.Raw)
		lines = append(lines, n)
		return nil
	})
	if err != nil {
		return store.Report{}, nil, err
	}
	if len(raws) == 0 {
		// Not "imported 0 new events": that reads as up to date, and an
		// empty file is a copy or export that failed.
		return store.Report{}, nil, fmt.Errorf("%s holds no events: not a bundle (an export holds its workspace's genesis at least; copy or export it again)", path)
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return store.Report{}, nil, err
	}
	rep, err := st.Ingest(ctx, raws)
	var be *store.BatchError
	if errors.As(err, &be) {
		hint := ""
		if errors.Is(be.Err, store.ErrWorkspace) {
			hint = "; the bundle is of another workspace than this home's, and a home holds one: import it with another --home"
		}
		return rep, nil, fmt.Errorf("%s line %d: %w (nothing imported%s)", path, lines[be.Index], be.Err, hint)
	}
	return rep, named, err
}
