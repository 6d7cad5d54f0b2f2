package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// What a file named as a bundle is, when it is not one, told from its
// first line rather than refused line by line. Every line of a bundle is
// one whole event, a JSON object, so its first non-blank line starts with
// "{" and ends with "}"; what else is named by mistake:
//
//  1. a bundle packed for the trip (gzip, zip, xz, zstd, bzip2), by its
//     magic bytes;
//  2. the checksum file beside it (FILE.sha256: tab completion stops
//     there), whose lines are sha256sum's;
//  3. Markdown (the incident's report sits beside its bundle), whose first
//     line is a heading;
//  4. JSON spread over many lines (jq . or an editor reformatted the
//     bundle: the first line is "{" alone), or an array of events (jq -s:
//     it starts with "["): either way not an event a line;
//  5. a bundle an editor saved with a byte order mark before its first
//     event.
//
// The first line is read whole (up to sniffMax) before anything is
// decided, however the bytes arrive: a pipe or a slow link hands them over
// a few at a time, and a decision on the first read alone missed a
// checksum file or report whose first read was short.

// sniffMax bounds what is read ahead to find the end of the first
// non-blank line: far more than a checksum line or a heading holds. A
// first line longer than this is judged by its start alone (cases 1 to 3
// and a "[" need no more).
const sniffMax = 64 << 10

// sniff reads the start of r, up to the end of its first non-blank line,
// and says what the input is when it is not a bundle (name as messages
// give it), else "". It returns a reader of all of r, the bytes it read
// included.
func sniff(r io.Reader, name string) (io.Reader, string) {
	head, err := readHead(r, sniffMax)
	why := notBundle(name, head)
	switch {
	case err == io.EOF:
		return bytes.NewReader(head), why
	case err != nil:
		return io.MultiReader(bytes.NewReader(head), errReader{err}), why
	}
	return io.MultiReader(bytes.NewReader(head), r), why
}

// readHead reads from r until what it read holds a whole non-blank line,
// or max bytes, or r fails (io.EOF included), and returns the error. Each
// byte is looked at once, however small the reads.
func readHead(r io.Reader, max int) ([]byte, error) {
	buf := make([]byte, 0, 512)
	line, scanned := 0, 0 // where the line being read starts; how far line breaks were looked for
	for len(buf) < max {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), max-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), max)])
		buf = buf[:len(buf)+n]
		for ; scanned < len(buf); scanned++ {
			if buf[scanned] != '\n' {
				continue
			}
			if len(bytes.TrimSpace(buf[line:scanned])) > 0 {
				return buf, nil // as firstLine finds it: whole
			}
			line = scanned + 1
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// firstLine is head's first non-blank line, trimmed, and whether it is
// whole: followed by a line break in head.
func firstLine(head []byte) (line []byte, whole bool) {
	for len(head) > 0 {
		l, rest, found := bytes.Cut(head, []byte("\n"))
		if t := bytes.TrimSpace(l); len(t) > 0 {
			return t, found
		}
		head = rest
	}
	return nil, false
}

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

var (
	// sumHead is how a checksum file's lines start (bundle_sum.go),
	// whatever the length of the name after it.
	sumHead = regexp.MustCompile(`^\\?[0-9a-fA-F]{64} [ *]`)
	// mdHeading is a Markdown heading, as a report starts.
	mdHeading = regexp.MustCompile(`^#{1,6}(\s|$)`)
)

// notBundle says what the input name, which starts with head, is when its
// first line shows it is not a bundle; "" otherwise.
func notBundle(name string, head []byte) string {
	what, hint := sniffKind(name, head)
	if what == "" {
		return ""
	}
	return fmt.Sprintf("%s is %s, not a bundle%s", name, what, hint)
}

// sniffKind says what the input name, which starts with head, is when its
// first line shows it is not a bundle, and what to do about it (a hint to
// follow ", not a bundle"); "", "" otherwise. It looks at the first
// sniffMax bytes only, so that it decides the same on head as on the
// whole input.
func sniffKind(name string, head []byte) (what, hint string) {
	head = head[:min(len(head), sniffMax)]
	if what := packed(head); what != "" {
		// Read as lines, a compressed bundle was thousands of
		// "malformed event" lines, the first naming a byte like '\x1f'.
		return what, " (a bundle is the jsonl file itself): unpack it first, " + unpackHint[what]
	}
	line, whole := firstLine(head)
	line, bom := bytes.CutPrefix(line, []byte("\ufeff")) // an editor's byte order mark
	const bundleIs = ": a bundle holds one event per line, as tminus bundle export FILE writes"
	switch {
	case sumHead.Match(line):
		hint := "name the bundle it checks"
		if b, ok := strings.CutSuffix(name, ".sha256"); ok {
			hint = "name the bundle, " + b
		}
		return "a checksum file (what bundle export writes beside FILE as FILE.sha256)", ": " + hint
	case mdHeading.Match(line):
		return "Markdown (as tminus export INCIDENT --format md writes)", bundleIs
	case bytes.HasPrefix(line, []byte("[")):
		return "a JSON array", fmt.Sprintf("%s; make one with jq -c '.[]' %s > events.jsonl", bundleIs, jqInput(name))
	case whole && bytes.Equal(line, []byte("{")):
		// A lone "{" then a line break; one with none is a bundle cut
		// short after its first byte, and said to be.
		return "JSON spread over many lines (as jq . prints it)", fmt.Sprintf("%s; compact it with jq -c . %s > events.jsonl", bundleIs, jqInput(name))
	case bom:
		// Before the first event, where no line of a bundle has it, the
		// JSON decoder read it as "invalid character 'ï'".
		return "text with a byte order mark (which an editor adds on saving) before its first event",
			fmt.Sprintf("%s; remove the mark (sed -i '1s/^\\xEF\\xBB\\xBF//' %s) or export the bundle again", bundleIs, jqInput(name))
	}
	return "", ""
}

// jqInput is how a jq command line names the input, quoted for a shell
// when it needs to be.
func jqInput(name string) string {
	switch {
	case name == stdinName:
		return "FILE"
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+,:@") != "":
		return "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
	}
	return name
}

// errReader fails every read with err: what was left of a reader that
// failed while its head was read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// checkReplace refuses to export to path where that would destroy what is
// not a bundle, before anything is written: export replaces FILE whole,
// and a report or checksum file named by mistake (tab completion) was
// lost without a word. An earlier export, one cut short, or an empty file
// is replaced as before. A file in a FILE.blobs/ directory is refused too:
// import refuses a blob directory that holds anything but blobs.
func checkReplace(path string) error {
	if dir := filepath.Dir(path); strings.HasSuffix(filepath.Base(dir), ".blobs") {
		return fmt.Errorf("cannot write %s: %s is a bundle's blob directory, which holds blobs only (import refuses anything else there): export beside it, to %s for one (nothing written)",
			path, dir, filepath.Join(filepath.Dir(dir), filepath.Base(path)))
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return nil // absent, or not a file: writing says what is wrong
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	head, _ := readHead(f, sniffMax)
	const advice = "and export would replace it: name another FILE, or move it away (nothing written)"
	if what, _ := sniffKind(path, head); what != "" {
		return fmt.Errorf("cannot write %s: it is %s, not a bundle, %s", path, what, advice)
	}
	if line, _ := firstLine(head); len(line) > 0 && line[0] != '{' {
		return fmt.Errorf("cannot write %s: it exists and is not a bundle (its first line is not an event), %s", path, advice)
	}
	return nil
}
