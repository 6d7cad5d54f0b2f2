package runbooks

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

//go:embed library/*.md
var embedded embed.FS

// EmbeddedPrefix starts the Source of a runbook that ships inside the binary.
const EmbeddedPrefix = "embedded:"

// Library is the set of runbooks a member can propose from: the embedded defaults, with
// the team's own directory laid over them.
type Library struct {
	byID map[string]*Runbook
}

// Load reads the embedded runbooks and then every *.md file in dir (none when dir is ""). A
// file in dir replaces the embedded runbook with the same id, so a team can adapt a default
// without forking tminus. README.md is skipped so the directory can explain itself, and
// so are hidden files. Every broken file is reported, not just the first.
//
// With an error, the library returned still holds every runbook that loaded, less each id
// a broken file claims or is named after (its own id line, its file name) and each id two
// files claim: a caller may go on with it, so that one teammate's typo does not keep the
// cockpit closed or an approved step of another runbook from running, and no embedded
// default stands in for the team's broken version of it. It is nil only when the
// directory cannot be read at all.
func Load(dir string) (*Library, error) {
	lib := &Library{byID: map[string]*Runbook{}}
	names, err := fs.Glob(embedded, "library/*.md")
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, name := range names {
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rb, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err) // a broken default is a build bug; the tests catch it
			continue
		}
		rb.Source = EmbeddedPrefix + name
		lib.byID[rb.ID] = rb
	}
	if dir != "" {
		// Unreadable, the directory's overrides are unknown: nothing stands in for them.
		entries, err := os.ReadDir(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("runbooks directory %s does not exist", dir)
		case err != nil && isFile(dir):
			return nil, fmt.Errorf("runbooks directory %s is a file, not a directory", dir)
		case err != nil:
			return nil, fmt.Errorf("runbooks directory: %w", err)
		}
		errs = append(errs, lib.loadDir(dir, entries)...)
	}
	if len(errs) > 0 {
		return lib, errors.Join(errs...)
	}
	return lib, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// claimedRe finds the id a file means even when the rest of its front matter is broken.
var claimedRe = regexp.MustCompile(`(?m)^id:[ \t]*['"]?([a-z0-9-]+)['"]?[ \t]*(?:#.*)?\r?$`)

// claimed is every id a broken file may have meant: its id line and its file name.
func claimed(path string, data []byte) []string {
	ids := []string{strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
	if m := claimedRe.FindSubmatch(data); m != nil {
		ids = append(ids, string(m[1]))
	}
	return ids
}

func (l *Library) loadDir(dir string, entries []os.DirEntry) []error {
	var errs []error
	local := map[string]string{} // id -> path, to catch two local files claiming one id
	var broken []string          // ids no runbook may answer to: see Load
	for _, e := range entries {
		name := e.Name()
		// Hidden files are an editor's or an OS's, not the team's: emacs holds .#x.md, a
		// link to nowhere, while x.md is edited; macOS writes ._x.md on a FAT stick or a
		// share. Read as runbooks, they failed runbook list for as long as they were there.
		if e.IsDir() || !strings.EqualFold(filepath.Ext(name), ".md") || strings.EqualFold(name, "README.md") ||
			strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := readFile(path)
		if err != nil {
			errs = append(errs, err)
			broken = append(broken, claimed(path, nil)...)
			continue
		}
		rb, err := Parse(path, data)
		if err != nil {
			errs = append(errs, err)
			broken = append(broken, claimed(path, data)...)
			continue
		}
		if prev, dup := local[rb.ID]; dup {
			errs = append(errs, &ParseError{File: path, Msg: fmt.Sprintf(
				"id %s is already used by %s: which one would a proposal mean? rename one", rb.ID, prev)})
			broken = append(broken, rb.ID)
			continue
		}
		local[rb.ID] = path
		l.byID[rb.ID] = rb
	}
	for _, id := range broken {
		delete(l.byID, id)
	}
	return errs
}

// MaxFileSize bounds a runbook file: the largest default is 5 KiB, and a step's command
// is at most 8 KiB, so anything near this is not a runbook.
const MaxFileSize = 256 << 10

// readFile reads a runbook file, refusing before it opens what is not a regular file (a
// named pipe would block the open for ever, a link to /dev/zero never ends) and whatever
// is larger than MaxFileSize.
func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &ParseError{File: path, Msg: "not a regular file (" + fileKind(info.Mode()) +
			"): a runbook is a Markdown file; move it out of the runbooks directory"}
	}
	tooBig := &ParseError{File: path, Msg: fmt.Sprintf("larger than %d KiB: not a runbook; move it out of the runbooks directory", MaxFileSize>>10)}
	if info.Size() > MaxFileSize {
		return nil, tooBig
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err == nil && len(data) > MaxFileSize {
		return nil, tooBig // it grew after the Stat
	}
	return data, err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// List returns every runbook, sorted by id.
func (l *Library) List() []*Runbook {
	out := make([]*Runbook, 0, len(l.byID))
	for _, rb := range l.byID {
		out = append(out, rb)
	}
	slices.SortFunc(out, func(a, b *Runbook) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Get returns the runbook with that id.
func (l *Library) Get(id string) (*Runbook, bool) {
	rb, ok := l.byID[id]
	return rb, ok
}

// ForSeverity returns the runbooks that fit an incident of that severity, sorted by id.
func (l *Library) ForSeverity(sev string) []*Runbook {
	var out []*Runbook
	for _, rb := range l.List() {
		if rb.AppliesTo(sev) {
			out = append(out, rb)
		}
	}
	return out
}
