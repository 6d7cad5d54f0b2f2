package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// bundleInput is a bundle being read, from a file or, for "-", from stdin
// (ssh host tminus bundle export - | tminus bundle import -). It notes
// whether the bytes end mid-line: every export ends with a line break, so
// a file that does not was cut short, most often by a copy that stopped
// (a full USB stick, a dropped transfer). The line the cut falls in is
// then refused like any malformed line; this says why.
type bundleInput struct {
	name  string // as messages name it
	r     io.Reader
	c     io.Closer
	n     int64
	last  byte
	atEOF bool
	// sniffed: the first line has been looked at (bundle_sniff.go).
	sniffed bool
	sum     hash.Hash // of what was read; nil for stdin (bundle_sum.go)
	sums    bundleSum // FILE.sha256's; zero without one
}

// stdinName is how messages name a bundle read from stdin.
const stdinName = "the bundle on stdin"

// openBundle opens path for reading, "-" being stdin.
func (a *app) openBundle(path string) (*bundleInput, error) {
	if path == "-" {
		return &bundleInput{name: stdinName, r: a.stdin}, nil
	}
	if path == "" {
		return nil, errEmptyPath
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file (a bundle is the FILE that tminus bundle export FILE wrote; its blobs are in FILE.blobs/)", path)
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory: name the bundle FILE that tminus bundle export FILE wrote, not its FILE.blobs/ or the directory it is in", path)
	}
	if dir := filepath.Dir(path); blobName.MatchString(filepath.Base(path)) && strings.HasSuffix(dir, ".blobs") {
		// Tab completion went one level too deep: evidence read as lines
		// was a malformed event a line.
		f.Close()
		return nil, fmt.Errorf("%s is a blob (a file of evidence the bundle carries), not a bundle: name the bundle, %s", path, strings.TrimSuffix(dir, ".blobs"))
	}
	sums, err := readSum(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &bundleInput{name: path, r: f, c: f, sum: sha256.New(), sums: sums}, nil
}

func (b *bundleInput) Read(p []byte) (int, error) {
	if !b.sniffed {
		// What the input is, from its first line whatever size the
		// reads come in (bundle_sniff.go).
		b.sniffed = true
		var why string
		if b.r, why = sniff(b.r, b.name); why != "" {
			return 0, packedError{why}
		}
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.n += int64(n)
		b.last = p[n-1]
		if b.sum != nil {
			b.sum.Write(p[:n])
		}
	}
	if err == io.EOF {
		b.atEOF = true
	}
	return n, err
}

func (b *bundleInput) Close() error {
	if b.c == nil {
		return nil
	}
	return b.c.Close()
}

// cut is whether what was read so far is the whole input and it ends
// mid-line.
func (b *bundleInput) cut() bool {
	return b.atEOF && b.n > 0 && b.last != '\n'
}

// cutShort is whether line, the last read, looks like an event line cut
// short: the input ends mid-line and the line starts as every event line
// does. Anything else lacking its last line break (a zip, a text someone
// typed) is not called cut.
func (b *bundleInput) cutShort(line []byte) bool {
	return b.cut() && bytes.HasPrefix(line, []byte("{"))
}

// at is how messages name line n of the input: "FILE line N", or "the
// bundle on stdin, line N" rather than "- line N".
func (b *bundleInput) at(n int) string {
	if b.name == stdinName {
		return fmt.Sprintf("%s, line %d", b.name, n)
	}
	return fmt.Sprintf("%s line %d", b.name, n)
}

// cutHint is what an error about line adds when the input was cut short.
func (b *bundleInput) cutHint(name string, line []byte) string {
	if !b.cutShort(line) {
		return ""
	}
	return fmt.Sprintf("; %s ends mid-line, and every export ends with a line break: it was cut short (copy it again)", name)
}

// errEmptyPath refuses an empty FILE (a shell variable that was not set),
// which read as ": no such file" and, to export, failed on a temporary file.
var errEmptyPath = usageError{errors.New(`the bundle FILE is "" (an unset shell variable?): name the file, or - for stdin/stdout`)}

// packedError refuses a bundle packed for the trip, or a file that is no
// bundle at all, by its first bytes: one finding, not a malformed line for
// each of its lines.
type packedError struct{ msg string }

func (e packedError) Error() string { return e.msg }
