package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// What a bundle's blob directory may hold, and what export may do there.
// export FILE leaves FILE.blobs/ holding exactly the blobs of the bundle it
// just wrote: a blob left by an earlier export beside a new FILE would be
// carried, imported (if the new events name it) and vouched for by nobody.
// But export deletes only what an export writes: regular files named by a
// sha256 and its own temporary files. Anything else there (a subdirectory,
// a link, a file with another name) means the directory is not only ours,
// and export refuses before writing FILE, so FILE and its blobs never
// disagree because of it. Hidden files that are not ours (.DS_Store, and
// the ._NAME files macOS writes on a USB stick) are left alone, and import
// ignores them.

// tempPrefix names an export's temporary blob file, renamed to the blob's
// name once complete; one left behind is from an export that stopped.
const tempPrefix = ".tminus-blob-"

// entryKind sorts what a blob directory holds.
type entryKind int

const (
	entryBlob    entryKind = iota // a regular file named by a sha256
	entryTemp                     // an export's temporary file
	entryHidden                   // someone else's dotfile or dot directory: ignored
	entryForeign                  // anything else: not a blob
)

// classify says what the directory entry is; why, for a foreign one, says
// what it is instead, in words for a refusal.
func classify(ent fs.DirEntry) (kind entryKind, why string) {
	name := ent.Name()
	regular := ent.Type().IsRegular()
	switch {
	case strings.HasPrefix(name, tempPrefix) && regular:
		return entryTemp, ""
	case strings.HasPrefix(name, "."):
		return entryHidden, "" // never read, so never followed
	case !blobName.MatchString(name):
		if !regular {
			return entryForeign, fmt.Sprintf("not a blob but %s (a blob is a file named by the sha256 of its bytes, 64 lowercase hex characters)", typeName(ent.Type()))
		}
		return entryForeign, "not a blob (a blob is a file named by the sha256 of its bytes, 64 lowercase hex characters)"
	case !regular:
		// A link is never followed: it could point anywhere on this disk.
		return entryForeign, fmt.Sprintf("not a regular file but %s, which tminus does not follow: put the file itself there", typeName(ent.Type()))
	}
	return entryBlob, ""
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// ownFiles lists what an earlier export left in dir, the files export may
// replace or delete, and refuses a directory that holds anything else. A
// dir that does not exist holds nothing.
func ownFiles(dir string) ([]string, error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("cannot export blobs to %s: %w", dir, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("cannot export blobs to %s: it is a symbolic link, which export does not follow (remove the link, or export to another FILE)", dir)
	case !fi.IsDir():
		return nil, fmt.Errorf("cannot export blobs to %s: it exists and is not a directory (move it away, or export to another FILE)", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot export blobs to %s: %w", dir, err)
	}
	var own, foreign []string
	for _, ent := range entries {
		switch kind, why := classify(ent); kind {
		case entryBlob, entryTemp:
			own = append(own, ent.Name())
		case entryForeign:
			foreign = append(foreign, fmt.Sprintf("%s: %s", entryLabel(ent.Name()), why))
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("cannot export to %s: it holds %d entries an export did not write, and export replaces that directory's blobs: move them away, or export to another FILE (nothing written): %s",
			dir, len(foreign), strings.Join(foreign, "; "))
	}
	return own, nil
}

// prune deletes the files of own that this export did not write (kept),
// each only if it is still a regular file, then dir itself if that left it
// empty. It returns how many it deleted; what it could not delete is
// reported to warn, by its name in dir ("" for dir), and left.
func prune(dir string, own []string, kept map[string]bool, warn func(string, error)) int {
	n := 0
	for _, name := range own {
		if kept[name] {
			continue
		}
		file := filepath.Join(dir, name)
		fi, err := os.Lstat(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("no longer a regular file")
		}
		if err == nil {
			err = os.Remove(file)
		}
		if err != nil {
			warn(name, err)
			continue
		}
		n++
	}
	if len(kept) == 0 {
		// Only an empty directory goes: someone's hidden file keeps it.
		if left, err := os.ReadDir(dir); err == nil && len(left) == 0 {
			if err := os.Remove(dir); err != nil {
				warn("", err) // the directory itself
			}
		}
	}
	return n
}

// entryLabel is how messages name a directory entry: a blob by the first
// 12 digits of its hash, as elsewhere, anything else by its quoted name.
func entryLabel(name string) string {
	if blobName.MatchString(name) {
		return name[:12]
	}
	return fmt.Sprintf("%q", name)
}

// openRegular opens file for reading only if it is a regular file, and
// the one that was there when it was looked at: a link put in a blob's
// place after the directory was listed is not followed either.
func openRegular(file string) (*os.File, error) {
	before, err := os.Lstat(file)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file but %s, which tminus does not follow", typeName(before.Mode()))
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	if now, err := f.Stat(); err != nil || !os.SameFile(before, now) {
		f.Close()
		return nil, errors.New("replaced while it was being read: look at who else writes to this directory")
	}
	return f, nil
}
