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
	"strings"
)

// A bundle's lines are whole events, so a copy cut exactly at a line break
// reads as a shorter, valid bundle, and a blob lost from FILE.blobs/ looks
// like one the exporter never held: nothing in the lines can tell. Export
// therefore writes FILE.sha256 beside FILE, in sha256sum's format (so
// `sha256sum -c FILE.sha256` in FILE's directory checks it too): FILE's
// sha256, then one line for each blob it wrote to FILE.blobs/. Import and
// verify check FILE against it, and call a listed blob that is missing
// lost. It guards against accidents of the copy, not tampering (the
// events' signatures do that). It is beside FILE rather than in it: a line
// that is not an event would break an older tminus reading the bundle; and
// it is optional, so a bundle exported by one still imports.

// sumPath is where FILE's checksums are kept.
func sumPath(path string) string { return path + ".sha256" }

// Checksum states, as verify --json and bundle import --json give them.
const (
	sumOK       = "ok"
	sumAbsent   = "absent"
	sumMismatch = "mismatch"
)

// bundleSum is what FILE.sha256 says.
type bundleSum struct {
	file  string          // FILE's sha256 (lower-case hex); "" with no FILE.sha256
	named string          // the name FILE.sha256 gives FILE: FILE's own, or the one it was exported under
	blobs map[string]bool // the blobs export wrote to FILE.blobs/
}

// renamed is the name FILE was exported under when FILE.sha256 gives
// another, "" when it gives FILE's own or there is none.
func (s bundleSum) renamed(path string) string {
	if s.named == "" || s.named == filepath.Base(path) {
		return ""
	}
	return s.named
}

// writeSum writes path's sha256, hashing the file as it is on disk, and
// those of the blobs written beside it (their names are their hashes) to
// sumPath(path), atomically.
func writeSum(path string, blobs map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	return writeFileAtomic(sumPath(path), formatSum(path, hex.EncodeToString(h.Sum(nil)), blobs))
}

// formatSum is the checksum file of the bundle path: its sha256, then its blobs'.
func formatSum(path, sum string, blobs map[string]bool) []byte {
	var b strings.Builder
	b.WriteString(sumLine(sum, filepath.Base(path)))
	dir := filepath.Base(blobDir(path))
	for _, name := range slices.Sorted(maps.Keys(blobs)) {
		b.WriteString(sumLine(name, dir+"/"+name))
	}
	return []byte(b.String())
}

// sumEscapes are sha256sum's escapes for a file name that holds a line
// break or a backslash; such a line starts with a backslash.
var (
	sumEscaper   = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)
	sumUnescaper = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r")
)

// sumLine is one line of a checksum file as sha256sum writes it.
func sumLine(sum, name string) string {
	if strings.ContainsAny(name, "\\\n\r") {
		return `\` + sum + "  " + sumEscaper.Replace(name) + "\n"
	}
	return sum + "  " + name + "\n"
}

// splitSumLine reads one line of a checksum file: the hash, then two
// spaces (or a space and sha256sum's binary-mode "*"), then the name as it
// is, spaces included; a line that starts with a backslash has its name
// escaped.
func splitSumLine(line string) (hash, name string, ok bool) {
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	hash, rest, found := strings.Cut(line, " ")
	if !found || rest == "" || (rest[0] != ' ' && rest[0] != '*') || len(rest) < 2 {
		return "", "", false
	}
	name = rest[1:]
	if escaped {
		name = sumUnescaper.Replace(name)
	}
	return hash, name, true
}

// maxSumFile bounds what is read of a checksum file: a line per blob, of
// about 200 bytes, for far more blobs than a bundle carries.
const maxSumFile = 32 << 20

// readSum reads sumPath(path); a zero bundleSum when there is none.
func readSum(path string) (bundleSum, error) {
	if fi, err := os.Stat(sumPath(path)); err == nil && !fi.Mode().IsRegular() {
		return bundleSum{}, notSumFile(path, fi.Mode())
	}
	data, err := readAtMost(sumPath(path), maxSumFile)
	if errors.Is(err, fs.ErrNotExist) {
		return bundleSum{}, nil
	}
	if err != nil {
		return bundleSum{}, fmt.Errorf("cannot read %s: %w (bundle export writes it beside %s; delete it to go on without the check)", sumPath(path), err, filepath.Base(path))
	}
	return parseSum(path, data)
}

// A bundle renamed on the way (mv export.jsonl alice-0607.jsonl, or a mail
// client's "export (1).jsonl"), its checksum file renamed with it, still
// has the name it was exported under in that file. sha256sum -c would look
// for that name and fail; what matters is whether the bytes match, so when
// the checksum file names one file, and not FILE, FILE is checked against
// it all the same and the rename is a note. A digest that differs is still
// refused, the note saying which name the checksum is of. A checksum file
// that names several files (sha256sum a.jsonl b.jsonl > FILE.sha256) is
// matched by name: the line for FILE, or, with none, a refusal, since which
// line is FILE's cannot be told.

// parseSum reads the checksum file of the bundle path: lines for files
// beside it and for blobs in a listed file's blob directory. Anything else
// is an error: whoever wrote it meant something, and import should not
// guess.
func parseSum(path string, data []byte) (bundleSum, error) {
	base := filepath.Base(path)
	bad := func(why string) error {
		return fmt.Errorf("%s %s: bundle export writes sha256sum lines, for %s then for each blob in %s/ (delete it to go on without the check)",
			sumPath(path), why, base, filepath.Base(blobDir(path)))
	}
	if len(data) > maxSumFile {
		return bundleSum{}, bad("is too long")
	}
	type entry struct {
		line       int
		hash, name string
	}
	var files, blobs []entry
	listed := map[string]int{} // a file's name -> its index in files
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		h, name, ok := splitSumLine(line)
		if !ok {
			return bundleSum{}, bad(fmt.Sprintf("line %d is not a sha256sum line", i+1))
		}
		h = strings.ToLower(h)
		if !blobName.MatchString(h) {
			return bundleSum{}, bad(fmt.Sprintf("line %d does not hold a sha256", i+1))
		}
		e := entry{i + 1, h, name}
		if strings.Contains(name, "/") {
			blobs = append(blobs, e) // judged once the bundle's line is known
			continue
		}
		if first, ok := listed[name]; ok {
			return bundleSum{}, bad(fmt.Sprintf("names %s on lines %d and %d", name, files[first].line, e.line))
		}
		listed[name] = len(files)
		files = append(files, e)
	}
	var own entry
	switch i, ok := listed[base]; {
	case ok:
		own = files[i]
	case len(files) == 1:
		own = files[0] // renamed since export: the digest decides
	case len(files) == 0:
		return bundleSum{}, bad("names no file beside it (a name without a /), only blobs")
	default:
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.name
		}
		return bundleSum{}, bad(fmt.Sprintf("names %d files (%s) and none is %s, so which is its checksum cannot be told", len(files), strings.Join(names, ", "), base))
	}
	sum := bundleSum{file: own.hash, named: own.name, blobs: map[string]bool{}}
	dir := filepath.Base(blobDir(own.name)) + "/"
	for _, b := range blobs {
		cut := strings.LastIndexByte(b.name, '/') + 1
		d, h := b.name[:cut], b.name[cut:]
		owner, isBlobDir := strings.CutSuffix(d, ".blobs/")
		_, other := listed[owner]
		switch {
		case d == dir && h == b.hash:
			sum.blobs[h] = true
		case isBlobDir && other && h == b.hash:
			// Another listed bundle's blob: not this one's business.
		default:
			return bundleSum{}, bad(fmt.Sprintf("line %d names %s, not a blob of %s under its hash", b.line, b.name, dir))
		}
	}
	return sum, nil
}

// notSumFile refuses a FILE.sha256 that is not a file: read, it was "is a
// directory"; replaced by export, an empty directory went without a word.
func notSumFile(path string, m fs.FileMode) error {
	what := "a special file"
	if m.IsDir() {
		what = "a directory"
	}
	return fmt.Errorf("%s is %s, where bundle export keeps the checksum file of %s: move it away (nothing was read or written)",
		sumPath(path), what, filepath.Base(path))
}

// sumState compares what was read of the bundle with its checksum file,
// once the whole bundle has been read: ok, absent, mismatch, or "" for
// stdin, which has no file beside it.
func (b *bundleInput) sumState() string {
	switch {
	case b.sum == nil:
		return ""
	case b.sums.file == "":
		return sumAbsent
	case hex.EncodeToString(b.sum.Sum(nil)) != b.sums.file:
		return sumMismatch
	}
	return sumOK
}

// sumError is the refusal of a bundle its checksum does not match.
func sumError(path string) string {
	return fmt.Sprintf("%s does not match %s: it was cut or changed on the way (copy both again; if you changed the bundle on purpose, delete %s)",
		path, sumPath(path), sumPath(path))
}

// lostBlob is what import and verify say of a blob FILE.sha256 lists that
// FILE.blobs/ lacks.
func lostBlob(path, hash string) string {
	return fmt.Sprintf("blob %s, which %s lists, is not in %s: lost in the copy (copy %s again)",
		hash[:12], sumPath(path), blobDir(path), blobDir(path))
}

// A bundle renamed without its checksum file (mv export.jsonl
// alice.jsonl) has none beside it under the new name, and reads as an
// older export's. The checksum file it came with is most often still in
// the same directory under the old name: straySum finds one there that
// holds FILE's sha256, so the note can say which it is and what to rename.
// It looks, rather than checks: import goes on as without a checksum.

// maxStrays bounds the checksum files straySum reads, and strayHead what
// it reads of each: export writes the bundle's line first.
const (
	maxStrays = 64
	strayHead = 4 << 10
)

// straySum is a checksum file beside path, other than its own, with a line
// for a file whose sha256 is digest, and the name that line gives; "", ""
// for none.
func straySum(path, digest string) (file, name string) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", ""
	}
	read := 0
	for _, ent := range entries {
		cand := filepath.Join(dir, ent.Name())
		if !strings.HasSuffix(ent.Name(), ".sha256") || !ent.Type().IsRegular() || cand == filepath.Join(dir, filepath.Base(sumPath(path))) {
			continue
		}
		if read++; read > maxStrays {
			break
		}
		f, err := os.Open(cand)
		if err != nil {
			continue
		}
		head := make([]byte, strayHead)
		n, _ := io.ReadFull(f, head)
		f.Close()
		for _, line := range strings.Split(string(head[:n]), "\n") {
			if h, nm, ok := splitSumLine(line); ok && !strings.Contains(nm, "/") && strings.ToLower(h) == digest {
				return cand, nm
			}
		}
	}
	return "", ""
}

// sumNotes is what import and verify say of a renamed bundle's checksum,
// once it has been read whole: the name it was exported under, and what to
// rename so that its blobs come along. "" when there is nothing to say.
type sumNotes struct {
	exportedAs string // the name FILE.sha256, or a stray one, gives FILE; "" for FILE's own
	stray      string // with no FILE.sha256: the checksum file beside FILE that holds its sha256
	oldBlobs   string // FILE.blobs/ is missing, and the exported name's blob directory is here
	// original: the file of the exported name, still beside FILE, so FILE
	// is a copy (cp, or log --json, which writes the same bytes), not a
	// rename: moving that file's checksum or blobs to FILE would take
	// them from it.
	original string
}

// move is what to do with the checksum file or blob directory of the
// exported name to have FILE checked: rename it, or copy it when it is
// still the original's.
func (n sumNotes) move(what, to string) string {
	if n.original != "" {
		return fmt.Sprintf("copy %s to %s (not rename: %s beside it still uses it)", what, to, n.original)
	}
	return fmt.Sprintf("rename %s to %s", what, to)
}

// renames looks at what the checksum and the directory say of a rename.
func (b *bundleInput) renames() sumNotes {
	var n sumNotes
	switch b.sumState() {
	case sumOK, sumMismatch:
		n.exportedAs = b.sums.renamed(b.name)
	case sumAbsent:
		n.stray, n.exportedAs = straySum(b.name, hex.EncodeToString(b.sum.Sum(nil)))
		if n.exportedAs == filepath.Base(b.name) {
			n.exportedAs = "" // a checksum file of the same name elsewhere: say where it is
		}
	}
	if n.exportedAs != "" {
		orig := filepath.Join(filepath.Dir(b.name), n.exportedAs)
		if fi, err := os.Stat(orig); err == nil && fi.Mode().IsRegular() {
			n.original = orig
		}
		old := blobDir(orig)
		if _, err := os.Stat(blobDir(b.name)); errors.Is(err, fs.ErrNotExist) {
			if fi, err := os.Stat(old); err == nil && fi.IsDir() {
				n.oldBlobs = old
			}
		}
	}
	return n
}

// lines are the notes, each a sentence without a prefix, for path whose
// checksum state is state.
func (n sumNotes) lines(path, state string) []string {
	var out []string
	switch {
	case n.exportedAs != "" && state == sumOK && n.original != "":
		out = append(out, fmt.Sprintf("%s gives the bundle the name %s, under which it was exported: %s is a copy of %s, and its sha256 matches all the same",
			sumPath(path), n.exportedAs, path, n.original))
	case n.exportedAs != "" && state == sumOK:
		out = append(out, fmt.Sprintf("%s gives the bundle the name %s, under which it was exported: %s was renamed since, and its sha256 matches all the same",
			sumPath(path), n.exportedAs, path))
	case n.exportedAs != "" && state == sumMismatch:
		out = append(out, fmt.Sprintf("%s is the checksum of %s: if %s is not that bundle renamed, %s is not its checksum file (delete it, or find the right one)",
			sumPath(path), n.exportedAs, path, sumPath(path)))
	case n.stray != "" && n.exportedAs != "":
		out = append(out, fmt.Sprintf("%s holds this bundle's sha256, for the name %s it was exported under: the bundle is whole; %s to have the copy checked, as import and verify do",
			n.stray, n.exportedAs, n.move(n.stray, sumPath(path))))
	case n.stray != "":
		out = append(out, fmt.Sprintf("%s holds this bundle's sha256: the bundle is whole; rename it to %s to have the copy checked, as import and verify do",
			n.stray, sumPath(path)))
	}
	if n.oldBlobs != "" {
		out = append(out, fmt.Sprintf("%s is not here, but %s is, the blob directory of the name %s was exported under: %s to carry its blobs (without it, the events alone)",
			blobDir(path), n.oldBlobs, path, n.move("it", blobDir(path))))
	}
	return out
}
