package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// A bundle's blobs travel beside it, in the directory FILE.blobs/, one
// file per blob named by its sha256 (lowercase hex). FILE stays the jsonl
// events file that verify FILE and older importers read; an importer that
// predates blobs ignores the directory, and one carried without the
// directory imports the events alone.

// blobDir is where FILE's blobs are.
func blobDir(path string) string { return path + ".blobs" }

var blobName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// exportBundle writes every stored event to path and, withBlobs, the blobs
// they name that this store holds to path's blob directory, which then
// holds those and nothing an earlier export left (bundle_sidecar.go).
func (a *app) exportBundle(ctx context.Context, st *store.Store, path string, withBlobs bool) error {
	if st.Workspace().IsZero() {
		// An empty file is no bundle: every import refuses it.
		msg := "this home has no workspace yet (it joined, and no sync or bundle import has brought one): nothing to export"
		if path != "-" {
			msg += "; " + path + " is left as it was"
		}
		return errors.New(msg)
	}
	var own []string
	if path != "-" {
		// Checked before FILE is written: a refusal leaves both as they were.
		if err := checkOutputDir(path); err != nil {
			return err
		}
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			return fmt.Errorf("cannot write %s: it is a directory (name a file in it, such as %s)", path, filepath.Join(path, "bundle.jsonl"))
		}
		if err := checkReplace(path); err != nil { // bundle_sniff.go
			return err
		}
		var err error
		if own, err = ownFiles(blobDir(path)); err != nil {
			return err
		}
	}
	named := map[string]bool{}
	var seen func(*domain.Event)
	if withBlobs {
		seen = func(e *domain.Event) {
			if h := domain.BlobOf(e.Kind, e.Body); h != "" {
				named[h] = true
			}
		}
	}
	if path != "-" {
		// An earlier export's checksums would not match what follows; if
		// this one stops halfway, its bundle has none rather than wrong ones.
		if fi, err := os.Lstat(sumPath(path)); err == nil && (fi.IsDir() || fi.Mode()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice) != 0) {
			return notSumFile(path, fi.Mode())
		}
		if err := os.Remove(sumPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot replace %s: %w", sumPath(path), err)
		}
	}
	n, err := writeLines(ctx, st, path, a.stdout, nil, seen)
	if err != nil {
		return err
	}
	if path == "-" {
		if len(named) > 0 {
			// stdout has no "beside it": say so rather than drop evidence
			// silently from a bundle piped elsewhere.
			fmt.Fprintf(a.stderr, "wrote %d events to -; the %d blob(s) they name are not carried on stdout: export to a FILE to write them to FILE.blobs/\n", n, len(named))
		} else {
			fmt.Fprintf(a.stderr, "wrote %d events to -\n", n)
		}
		return nil
	}
	dir := blobDir(path)
	kept, lacking, err := exportBlobs(ctx, st, dir, named, func(hash string, err error) {
		fmt.Fprintf(a.stderr, "warning: blob %s left out of the bundle: %v\n", hash[:12], err)
	})
	if err != nil {
		return fmt.Errorf("wrote %d events to %s, but not all their blobs: %w (export again)", n, path, err)
	}
	removed := prune(dir, own, kept, func(name string, err error) {
		fmt.Fprintf(a.stderr, "warning: %s is left from an earlier export and could not be removed: %v\n", filepath.Join(dir, name), err)
	})
	if err := writeSum(path, kept); err != nil {
		return fmt.Errorf("wrote %d events to %s, but not their checksums to %s: %w (export again)", n, path, sumPath(path), err)
	}
	fmt.Fprintf(a.stderr, "wrote %d events to %s and their checksum to %s", n, path, sumPath(path))
	if len(kept) > 0 {
		fmt.Fprintf(a.stderr, " and %d blobs to %s/", len(kept), dir)
	}
	if lacking > 0 {
		fmt.Fprintf(a.stderr, " (%d more that the events name are not in this store)", lacking)
	}
	if removed > 0 {
		fmt.Fprintf(a.stderr, "; removed %d file(s) an earlier export left in %s/", removed, dir)
	}
	fmt.Fprintln(a.stderr)
	return nil
}

// exportBlobs writes each named blob this store holds to dir, atomically
// each, and returns their names; a damaged one is reported to skip and
// left out.
func exportBlobs(ctx context.Context, st *store.Store, dir string, named map[string]bool, skip func(string, error)) (wrote map[string]bool, lacking int, err error) {
	wrote = map[string]bool{}
	if len(named) == 0 {
		return wrote, 0, nil
	}
	hashes := make([]string, 0, len(named))
	for h := range named {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		data, err := st.VerifiedBlob(ctx, h)
		switch {
		case errors.Is(err, store.ErrNotFound):
			lacking++
			continue
		case errors.Is(err, store.ErrBadBlob):
			skip(h, err)
			continue
		case err != nil:
			return wrote, lacking, err
		}
		if len(wrote) == 0 {
			// Made for the first blob only: a bundle whose events' blobs
			// this store lacks gets no empty directory.
			if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return wrote, lacking, err
			}
		}
		if err := writeAtomic(dir, h, data); err != nil {
			return wrote, lacking, err
		}
		wrote[h] = true
	}
	return wrote, lacking, nil
}

func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

// blobImport counts what importBlobs did.
type blobImport struct {
	stored, here, ignored int
	refused               []string // why, one a blob
}

func (b blobImport) any() bool {
	return b.stored+b.here+b.ignored+len(b.refused) > 0
}

// importBlobs stores the blobs of path's blob directory that the bundle's
// events name (named), each checked against its name and the size limit.
// A file no event names is ignored: a bundle must not fill the store with
// bytes nobody asked for. A bad file is refused and nothing of it kept;
// the others are still stored, and the error lists every refusal. A blob
// FILE.sha256 lists (listed) that the directory lacks was lost in the copy,
// and is refused by name. notes.oldBlobs, when set, is the blob directory
// of the name a renamed (or copied) bundle was exported under, there
// instead of path's.
func importBlobs(ctx context.Context, st *store.Store, path string, named, listed map[string]bool, notes sumNotes) (blobImport, error) {
	var out blobImport
	dir := blobDir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(listed) > 0 && notes.oldBlobs != "":
		return out, fmt.Errorf("%s is missing, and %s lists %d blob(s) export wrote there: %s is here, from the name the bundle was exported under; %s and import again (the events were imported)",
			dir, sumPath(path), len(listed), notes.oldBlobs, notes.move("it", dir))
	case errors.Is(err, fs.ErrNotExist) && len(listed) > 0:
		return out, fmt.Errorf("%s is missing, and %s lists %d blob(s) export wrote there: copy the directory with the bundle and import again (the events were imported)",
			dir, sumPath(path), len(listed))
	case errors.Is(err, fs.ErrNotExist):
		return out, nil
	case err == nil && !fi.IsDir():
		return out, fmt.Errorf("%s is not a directory, so no blobs were imported (the events were): a bundle's blobs are files in the directory FILE.blobs/", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out, fmt.Errorf("%s: %w (the events were imported)", dir, err)
	}
	seen := map[string]bool{}
	for _, ent := range entries {
		name := ent.Name()
		seen[name] = true
		switch kind, why := classify(ent); kind {
		case entryTemp, entryHidden:
			continue // an interrupted export's, or a file manager's (.DS_Store)
		case entryForeign:
			out.refused = append(out.refused, fmt.Sprintf("%s: %s", entryLabel(name), why))
			continue
		}
		if !named[name] {
			out.ignored++
			continue
		}
		if ok, err := st.HasBlob(ctx, name); err != nil {
			return out, err
		} else if ok {
			out.here++
			continue
		}
		why, err := importBlob(ctx, st, filepath.Join(dir, name), name)
		if err != nil {
			return out, err
		}
		if why != "" {
			out.refused = append(out.refused, fmt.Sprintf("%s: %s", name[:12], why))
			continue
		}
		out.stored++
	}
	for _, h := range slices.Sorted(maps.Keys(listed)) {
		if !seen[h] {
			out.refused = append(out.refused, lostBlob(path, h))
		}
	}
	if len(out.refused) > 0 {
		return out, fmt.Errorf("%s: refused %d blob(s), the events and other blobs were imported:\n  %s",
			dir, len(out.refused), strings.Join(out.refused, "\n  "))
	}
	return out, nil
}

// importBlob stores one file; why says why it was refused.
func importBlob(ctx context.Context, st *store.Store, file, hash string) (why string, err error) {
	f, err := openRegular(file)
	if err != nil {
		return err.Error(), nil
	}
	defer f.Close()
	// Read at most one byte past the limit: a file that grows while it is
	// read is refused like one that was too large from the start.
	data, err := io.ReadAll(io.LimitReader(f, store.MaxBlob+1))
	if err != nil {
		return err.Error(), nil
	}
	if len(data) > store.MaxBlob {
		return fmt.Sprintf("over the %d MiB a blob may hold", store.MaxBlob>>20), nil
	}
	if got := store.BlobHash(data); got != hash {
		return fmt.Sprintf("its bytes hash to %s, not to its name: damaged or tampered with", got[:12]), nil
	}
	_, err = st.PutBlob(ctx, data)
	return "", err
}
