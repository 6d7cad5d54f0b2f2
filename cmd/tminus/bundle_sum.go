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
	blobs map[string]bool // the blobs export wrote to FILE.blobs/
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
	data, err := readAtMost(sumPath(path), maxSumFile)
	if errors.Is(err, fs.ErrNotExist) {
		return bundleSum{}, nil
	}
	if err != nil {
		return bundleSum{}, err
	}
	return parseSum(path, data)
}

// parseSum reads the checksum file of the bundle path. Anything but what
// export writes is an error: whoever wrote it meant something, and import
// should not guess.
func parseSum(path string, data []byte) (bundleSum, error) {
	base, dir := filepath.Base(path), filepath.Base(blobDir(path))+"/"
	bad := func(why string) error {
		return fmt.Errorf("%s %s: bundle export writes sha256sum lines, for %s then for each blob in %s (delete it to go on without the check)",
			sumPath(path), why, base, dir)
	}
	if len(data) > maxSumFile {
		return bundleSum{}, bad("is too long")
	}
	sum := bundleSum{blobs: map[string]bool{}}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		h, file, ok := splitSumLine(line)
		if !ok {
			return bundleSum{}, bad(fmt.Sprintf("line %d is not a sha256sum line", i+1))
		}
		h = strings.ToLower(h)
		if !blobName.MatchString(h) {
			return bundleSum{}, bad(fmt.Sprintf("line %d does not hold a sha256", i+1))
		}
		switch {
		case i == 0 && file == base:
			sum.file = h
		case i > 0 && file == dir+h:
			sum.blobs[h] = true
		case i == 0:
			return bundleSum{}, bad(fmt.Sprintf("is the checksum of %s, not of %s", file, base))
		default:
			return bundleSum{}, bad(fmt.Sprintf("line %d names %s, not a blob of %s under its hash", i+1, file, dir))
		}
	}
	return sum, nil
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
