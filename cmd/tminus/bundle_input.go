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
	"regexp"
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
	sum   hash.Hash // of what was read; nil for stdin (bundle_sum.go)
	sums  bundleSum // FILE.sha256's; zero without one
}

// openBundle opens path for reading, "-" being stdin.
func (a *app) openBundle(path string) (*bundleInput, error) {
	if path == "-" {
		return &bundleInput{name: "the bundle on stdin", r: a.stdin}, nil
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
	sums, err := readSum(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &bundleInput{name: path, r: f, c: f, sum: sha256.New(), sums: sums}, nil
}

func (b *bundleInput) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.n == 0 && n > 0 {
		if what := packed(p[:n]); what != "" {
			// Read as lines, a compressed bundle was thousands of
			// "malformed event" lines, the first naming a byte like '\x1f'.
			return 0, packedError{fmt.Sprintf("%s is %s, not a bundle (a bundle is the jsonl file itself): unpack it first, %s",
				b.name, what, unpackHint[what])}
		}
		if why := stranger(b.name, p[:n]); why != "" {
			return 0, packedError{why}
		}
	}
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

// packers are the first bytes of what a bundle is most often packed in
// for a trip, and what to call it.
var packers = []struct {
	magic, what string
}{
	{"\x1f\x8b", "gzip-compressed"},
	{"PK\x03\x04", "a zip archive"},
	{"\xfd7zXZ\x00", "xz-compressed"},
	{"\x28\xb5\x2f\xfd", "zstd-compressed"},
	{"BZh", "bzip2-compressed"},
}

var unpackHint = map[string]string{
	"gzip-compressed":  "as gunzip -k FILE does, or pipe it: gzip -dc FILE | tminus bundle import -",
	"a zip archive":    "unzip it and name the .jsonl inside (with its .blobs/ and .sha256 beside it)",
	"xz-compressed":    "as unxz -k FILE does, or pipe it: xz -dc FILE | tminus bundle import -",
	"zstd-compressed":  "as unzstd FILE does, or pipe it: zstd -dc FILE | tminus bundle import -",
	"bzip2-compressed": "as bunzip2 -k FILE does, or pipe it: bzip2 -dc FILE | tminus bundle import -",
}

// sumHead is how a checksum file's first line starts (bundle_sum.go).
var sumHead = regexp.MustCompile(`^\\?[0-9a-fA-F]{64} [ *]`)

// stranger says what the file name is when its first bytes show another
// file tminus writes, picked instead of the bundle (tab completion stops at
// FILE.sha256, an incident's report sits beside its bundle); "" otherwise.
func stranger(name string, head []byte) string {
	switch {
	case sumHead.Match(head):
		hint := "name the bundle it checks"
		if b, ok := strings.CutSuffix(name, ".sha256"); ok {
			hint = "name the bundle, " + b
		}
		return fmt.Sprintf("%s is a checksum file (what bundle export writes beside FILE as FILE.sha256), not a bundle: %s", name, hint)
	case bytes.HasPrefix(head, []byte("# ")):
		return fmt.Sprintf("%s is Markdown (as tminus export INCIDENT --format md writes), not a bundle: a bundle is the jsonl file tminus bundle export FILE writes, an event a line", name)
	}
	return ""
}

// packed names the packing the bytes start with, "" for none: an event
// line starts with '{'.
func packed(head []byte) string {
	for _, p := range packers {
		if bytes.HasPrefix(head, []byte(p.magic)) {
			return p.what
		}
	}
	return ""
}
