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
	"strings"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func (a *app) bundleCmd() *cobra.Command {
	c := &cobra.Command{Use: "bundle", Short: "Signed events in a file, for members without a network path"}
	var noBlobs bool
	export := &cobra.Command{
		Use:   "export FILE",
		Short: "Write every stored event to FILE (jsonl; - for stdout), and the blobs they name to FILE.blobs/, replacing an earlier export's",
		Args:  exactArgs(1, "a file name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errEmptyPath
			}
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
			rep, read, err := a.importBundle(cmd.Context(), args[0])
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
				bl, blobErr = importBlobs(cmd.Context(), st, args[0], read.named, read.listed, read.notes)
			}
			// What still waits for its chain, in the store: the report's
			// Orphaned counts the events parked on the way, and a bundle
			// in another order than export's parks most of its events and
			// releases them before the import ends.
			waiting, err := st.Orphans(cmd.Context())
			if err != nil {
				return err
			}
			if rep.Forks > 0 {
				fmt.Fprintf(a.stderr, "note: this bundle brought %d fork(s): an author signed two different events at one place in their chain "+
					"(a home copied to a second machine, or a stolen key); both are kept, and the author's events from there on do not count: "+
					"tminus verify names the key and what the roster must do\n", rep.Forks)
			}
			if waiting > 0 {
				fmt.Fprintf(a.stderr, "note: %d event(s) in this home wait for the events before them in their author's chain, which no bundle imported here held: import the bundle that does, or sync with a member\n", waiting)
			}
			notCounted, err := refusedAmong(cmd.Context(), st, rep.Added)
			if err != nil {
				return err
			}
			if notCounted > 0 {
				fmt.Fprintf(a.stderr, "note: %d of the imported events do not count: the fold refused them (the losing half of two responders' "+
					"concurrent changes, a removed member's late events, ...); stored all the same, and tminus log lists each with the reason\n", notCounted)
			}
			for _, n := range read.notes.lines(args[0], read.sum) {
				fmt.Fprintf(a.stderr, "note: %s\n", n)
			}
			if read.sum == sumAbsent && read.notes.stray == "" {
				fmt.Fprintf(a.stderr, "note: no %s beside %s, so a copy cut at a line break could not be told from a shorter bundle (bundle export writes one)\n", sumPath(args[0]), args[0])
			}
			if iJSON {
				if err := a.printJSON(map[string]any{"added": len(rep.Added), "duplicates": rep.Duplicates,
					"orphaned": rep.Orphaned, "waiting": waiting, "forks": rep.Forks, "skewed": rep.Skewed, "not_counted": notCounted,
					"blobs": bl.stored, "blobs_here": bl.here, "blobs_ignored": bl.ignored, "blobs_refused": len(bl.refused),
					"checksum": read.sum, "exported_as": read.notes.exportedAs}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "imported %d new events (%d already here, %d waiting for their chain, %d forks, %d skewed)\n",
					len(rep.Added), rep.Duplicates, waiting, rep.Forks, rep.Skewed)
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

// refusedAmong counts the events of ids the fold does not count.
func refusedAmong(ctx context.Context, st *store.Store, ids []domain.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	s, err := st.State(ctx)
	if err != nil {
		return 0, err
	}
	added := make(map[domain.ID]bool, len(ids))
	for _, id := range ids {
		added[id] = true
	}
	n := 0
	for _, r := range s.Rejected {
		if added[r.Event] {
			n++
		}
	}
	return n, nil
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

// bundleRead is what importBundle learnt reading a bundle besides its
// events: the blobs they name, those FILE.sha256 lists, and the checksum's
// state (bundle_sum.go).
type bundleRead struct {
	named  map[string]bool
	listed map[string]bool // by FILE.sha256: what export wrote to FILE.blobs/
	sum    string
	notes  sumNotes // a bundle renamed since export (bundle_sum.go)
}

// lineError is a refusal of one line of a bundle, which says itself that
// nothing was imported.
type lineError struct{ error }

func (e lineError) Unwrap() error { return e.error }

// importBundle reads every line first: one bad line, or a checksum the
// file does not match, refuses the file, and nothing from it is stored.
func (a *app) importBundle(ctx context.Context, path string) (store.Report, bundleRead, error) {
	f, err := a.openBundle(path)
	if err != nil {
		return store.Report{}, bundleRead{}, err
	}
	defer f.Close()
	var raws [][]byte
	var lines []int
	named := map[string]bool{}
	err = eachLine(f, path, func(n int, line []byte) error {
		e, err := domain.ParseLine(line)
		if err != nil {
			return lineError{fmt.Errorf("%s: %w (nothing imported%s)", f.at(n), err, f.cutHint(f.name, line))}
		}
		if e.Redacted {
			return lineError{fmt.Errorf("%s: event %s is redacted; bundles carry full events only (nothing imported): "+
				"this is an incident's export for readers (tminus export --format jsonl), which verify checks; to carry the events to a member, tminus bundle export FILE", f.at(n), e.ID.Short())}
		}
		if h := domain.BlobOf(e.Kind, e.Body); h != "" {
			named[h] = true
		}
		raws = append(raws, e.Raw)
		lines = append(lines, n)
		return nil
	})
	var le lineError
	if err != nil && !errors.As(err, &le) {
		// The file could not be read as lines at all (packed, a line
		// over the limit, a read error): nothing is stored either.
		err = fmt.Errorf("%w (nothing imported)", err)
	}
	if err != nil {
		return store.Report{}, bundleRead{}, err
	}
	read := bundleRead{named: named, listed: f.sums.blobs, sum: f.sumState(), notes: f.renames()}
	if read.sum == sumMismatch {
		return store.Report{}, bundleRead{}, fmt.Errorf("%s (nothing imported)%s", sumError(path),
			strings.Join(append([]string{""}, read.notes.lines(path, read.sum)...), "; "))
	}
	if len(raws) == 0 {
		// Not "imported 0 new events": that reads as up to date, and an
		// empty file is a copy or export that failed.
		return store.Report{}, bundleRead{}, fmt.Errorf("%s holds no events: not a bundle (an export holds its workspace's genesis at least; copy or export it again)", f.name)
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return store.Report{}, bundleRead{}, err
	}
	rep, err := st.Ingest(ctx, raws)
	var be *store.BatchError
	if errors.As(err, &be) {
		hint := ""
		switch {
		case errors.Is(be.Err, store.ErrWorkspace) && be.Index > 0:
			// Every export starts with its genesis: past the first line,
			// another workspace's events are a second file joined on.
			hint = "; from that line on the file holds another workspace's events (bundles of two workspaces joined?), and a home holds one: split the file, and import that part with another --home"
		case errors.Is(be.Err, store.ErrWorkspace):
			hint = "; the bundle is of another workspace than this home's, and a home holds one: import it with another --home"
		}
		return rep, bundleRead{}, fmt.Errorf("%s: %w (nothing imported%s)", f.at(lines[be.Index]), be.Err, hint)
	}
	return rep, read, err
}
