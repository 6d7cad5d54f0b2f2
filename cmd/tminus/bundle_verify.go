package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// What verify FILE says of FILE.blobs/, so that a responder can check a
// bundle before carrying it across an air gap rather than learn at import.
// Verify passes when import would take every blob the directory holds:
//
//  1. A file named by a sha256 must be a regular file within store.MaxBlob
//     whose bytes hash to its name, or verify fails (BAD): altered,
//     truncated, oversized, a link, unreadable. This holds for a file no
//     event names too: the directory was tampered with.
//  2. Anything else that import refuses (a misnamed file, a subdirectory)
//     fails verify, as does a FILE.blobs that is not a readable directory.
//  3. A good blob no event of FILE names is a WARNING: import ignores it
//     (a blob of another bundle, or left by an older tminus's export).
//     So is a hidden file or directory (.DS_Store, ._NAME), which import
//     ignores too.
//  4. A blob an event of FILE names that the directory lacks is a NOTE and
//     verify passes: the exporter's store may not have held it (a peer's
//     evidence it never fetched), and the events verify without it. With
//     no FILE.blobs at all (--no-blobs, export to -, or the directory not
//     copied), the same note once, for all of them.
//  5. Unless FILE.sha256 lists it (bundle_sum.go): export wrote it, so it
//     was lost in the copy, and verify fails (BAD), as it does when FILE
//     does not match the checksum there.

// auditBundle feeds the events of the bundle path ("-": stdin) to audit and
// checks its sidecar.
func (a *app) auditBundle(path string, audit *forkAudit) (*blobCheck, error) {
	in, err := a.openBundle(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var last []byte
	dups := newDupScan() // bundle_dups.go
	err = eachLine(in, path, func(n int, line []byte) error {
		if e, err := domain.ParseLine(line); err == nil {
			dups.add(n, e)
		} else {
			audit.Line(n, line) // records why
		}
		last = append(last[:0], line[0]) // the scanner reuses line's bytes
		return nil
	})
	dups.feed(audit)
	var pe packedError
	notBundle := errors.As(err, &pe)
	if notBundle {
		// One finding, not a malformed line for every line break the
		// compressed bytes happen to hold.
		audit.Problems = append(audit.Problems, domain.Problem{Line: 1, Msg: pe.msg})
		err = nil
	}
	if err != nil {
		return nil, err
	}
	side := checkSidecar(path, audit.blobs, in.sums.blobs, in.cutShort(last))
	side.sum, side.notes = in.sumState(), in.renames()
	side.dups, side.notBundle, side.redacted = dups.dups, notBundle, audit.Redacted
	return &blobCheck{n: side.good, side: side}, nil
}

// sidecarCheck is what verify found in a bundle's blob directory.
type sidecarCheck struct {
	path    string   // the bundle FILE
	cut     bool     // FILE itself ends mid-line (bundle_input.go)
	sum     string   // FILE against FILE.sha256: ok, absent, mismatch (BAD); "" for stdin
	dir     string   // "" for a bundle read from stdin
	present bool     // dir exists
	good    int      // blobs that hash to their names
	bad     []string // case 1 and 2: verify fails
	unnamed []string // case 3: names of files import ignores
	missing []string // case 4: hashes named by events, not here
	notes   sumNotes // a bundle renamed since export (bundle_sum.go)
	dups    int      // lines that repeat an event above (bundle_dups.go)
	// notBundle: FILE is packed, or another file tminus writes
	// (bundle_input.go), and notes about its checksum are beside the point.
	notBundle bool
	// redacted: events without their body, so FILE is an incident's
	// export for readers (export --format jsonl), which comes with no
	// checksum file or blobs: the notes about those would mislead.
	redacted int
}

// checkSidecar looks at path's blob directory against the blobs that
// path's events name.
func checkSidecar(path string, named, listed map[string]bool, cut bool) *sidecarCheck {
	c := &sidecarCheck{path: path, cut: cut, dir: blobDir(path), unnamed: []string{}, missing: []string{}, bad: []string{}}
	here := map[string]bool{}
	looked := true // false when the directory could not be listed: then nothing is known lost
	defer func() {
		for h := range named {
			if !here[h] && (!listed[h] || !looked) {
				c.missing = append(c.missing, h)
			}
		}
		slices.Sort(c.missing)
		for _, h := range slices.Sorted(maps.Keys(listed)) {
			if !here[h] && looked {
				c.bad = append(c.bad, lostBlob(path, h))
			}
		}
	}()
	if path == "-" {
		c.dir = ""
		return c
	}
	fi, err := os.Stat(c.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c
	case err != nil:
		c.bad, looked = append(c.bad, fmt.Sprintf("%s: %v", c.dir, err)), false
		return c
	case !fi.IsDir():
		c.bad, looked = append(c.bad, fmt.Sprintf("%s is not a directory: bundle import would fail on it (a bundle's blobs are files in the directory FILE.blobs/)", c.dir)), false
		return c
	}
	c.present = true
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		c.bad, looked = append(c.bad, fmt.Sprintf("cannot read %s: %v (bundle import would fail on it too)", c.dir, err)), false
		return c
	}
	for _, ent := range entries {
		name := ent.Name()
		here[name] = true // bad or not, it is not missing
		kind, why := classify(ent)
		switch kind {
		case entryTemp, entryHidden:
			c.unnamed = append(c.unnamed, name)
			continue
		case entryForeign:
			c.bad = append(c.bad, fmt.Sprintf("in %s, %s: %s", c.dir, entryLabel(name), why))
			continue
		}
		if why := checkBlobFile(filepath.Join(c.dir, name), name); why != "" {
			c.bad = append(c.bad, fmt.Sprintf("blob %s in %s: %s", name[:12], c.dir, why))
			continue
		}
		if !named[name] {
			c.unnamed = append(c.unnamed, name)
			continue
		}
		c.good++
	}
	return c
}

// checkBlobFile says what is wrong with the blob file named hash, or "".
// It reads at most one byte past the limit, whatever the file's size says.
func checkBlobFile(file, hash string) string {
	f, err := openRegular(file)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, store.MaxBlob+1))
	switch {
	case err != nil:
		return err.Error()
	case n > store.MaxBlob:
		return fmt.Sprintf("over the %d MiB a blob may hold: bundle import refuses it", store.MaxBlob>>20)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return fmt.Sprintf("its %d bytes hash to %s, not to its name: damaged, cut short or tampered with (export the bundle again)", n, got[:12])
	}
	return ""
}

// addJSON adds the findings to verify --json's object: "blobs" and
// "bad_blobs" mean what they mean for a store (good ones; the failures),
// the rest is the sidecar's own.
func (c *sidecarCheck) addJSON(v map[string]any) {
	v["blobs_dir"], v["blobs_dir_exists"], v["cut_short"] = c.dir, c.present, c.cut
	v["blobs_unnamed"], v["blobs_missing"], v["checksum"] = c.unnamed, c.missing, c.sum
	v["exported_as"], v["duplicates"] = c.notes.exportedAs, c.dups
}

// printNotes prints the warnings and notes of verify's text report; the
// failures are printed as BAD with the others.
func (c *sidecarCheck) printNotes(w io.Writer) {
	if c.dups > 0 {
		fmt.Fprintf(w, "NOTE %d line(s) repeat the event of a line above, byte for byte: the file is several exports joined (as cat a b makes); bundle import stores each event once, in any order, so its events were checked once each, in fold order, and its lines' order export by export\n", c.dups)
	}
	if c.cut {
		fmt.Fprintln(w, "NOTE the file ends mid-line, and every export ends with a line break: it was cut short (copy it again)")
	}
	if c.notBundle {
		return
	}
	if c.redacted > 0 {
		fmt.Fprintf(w, "NOTE %d event(s) are redacted (their body left out, their signature checked): an incident's export for readers, as tminus export INCIDENT --format jsonl writes, without a checksum file or blobs; bundle import takes full events only (tminus bundle export FILE)\n", c.redacted)
	}
	for _, n := range c.notes.lines(c.path, c.sum) {
		fmt.Fprintln(w, "NOTE "+n)
	}
	if c.sum == sumAbsent && c.notes.stray == "" && c.redacted == 0 {
		fmt.Fprintf(w, "NOTE no %s beside the bundle (bundle export writes one): a copy cut at a line break would read as a shorter bundle\n", sumPath(c.path))
	}
	for _, name := range c.unnamed {
		fmt.Fprintf(w, "WARNING %s: no event of the bundle names it; bundle import ignores it\n", filepath.Join(c.dir, name))
	}
	switch {
	case len(c.missing) == 0:
	case c.redacted > 0 && !c.present:
		// An incident's export carries no blobs: said above.
	case c.dir == "":
		fmt.Fprintf(w, "NOTE the events name %d blob(s), which a bundle read from stdin does not carry (they travel in FILE.blobs/ beside a bundle FILE)\n", len(c.missing))
	case !c.present:
		fmt.Fprintf(w, "NOTE the events name %d blob(s) and there is no %s: this bundle carries the events only (exported with --no-blobs or to -, or copied without the directory); import stores the events, and their evidence shows as not here\n",
			len(c.missing), c.dir)
	default:
		for _, h := range c.missing {
			fmt.Fprintf(w, "NOTE blob %s, named by an event, is not in %s: the exporter did not hold it, or it was lost on the way (import stores the events without it)\n", h[:12], c.dir)
		}
	}
}
