package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// entries lists dir's names, nil when there is no dir, and a file's
// contents when dir is one.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		data, _ := os.ReadFile(dir)
		return []string{"file: " + string(data)}
	}
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// export FILE into a FILE.blobs/ that an earlier export (or someone else)
// wrote to: it leaves exactly this bundle's blobs, deletes only what an
// export writes, and refuses a directory holding anything else before
// writing FILE (bundle_sidecar.go).
func TestBundleExportReplacesItsBlobs(t *testing.T) {
	alice, inc, exported, data := bundleWithEvidence(t)
	// A new event, so that a second export changes FILE.
	must(t, alice, "note", inc[:8], "after the first export")
	stale := []byte("evidence of an earlier bundle\n")
	outside := filepath.Join(t.TempDir(), "outside")
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, dir string) // what is there before the second export
		flags  []string
		msg    string   // in stderr; for a refusal, the error
		refuse bool     // export fails and FILE and dir are as they were
		after  []string // dir's entries afterwards; "BLOB" is the bundle's blob
	}{
		{name: "a blob of an earlier bundle", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, sha(stale)), string(stale))
		}, msg: "removed 1 file(s) an earlier export left", after: []string{"BLOB"}},
		{name: "a damaged blob of ours", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, sha(stale)), "not those bytes")
		}, msg: "removed 1 file(s)", after: []string{"BLOB"}},
		{name: "an interrupted export's temporary file", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".tminus-blob-42"), "partial")
		}, msg: "removed 1 file(s)", after: []string{"BLOB"}},
		{name: "--no-blobs removes the directory", flags: []string{"--no-blobs"}, msg: "removed 1 file(s)", after: nil},
		{name: "a file manager's dotfile stays", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".DS_Store"), "x")
		}, after: []string{".DS_Store", "BLOB"}},
		{name: "--no-blobs beside a dotfile", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".DS_Store"), "x")
		}, flags: []string{"--no-blobs"}, after: []string{".DS_Store"}},
		{name: "someone's file", before: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "notes.txt"), "mine")
		}, refuse: true, msg: `"notes.txt": not a blob`},
		{name: "a subdirectory", before: func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "keep"), 0o700)
		}, refuse: true, msg: `"keep": not a blob but a directory`},
		{name: "a link under a blob's name", before: func(t *testing.T, dir string) {
			writeFile(t, outside, string(stale))
			os.Symlink(outside, filepath.Join(dir, sha(stale)))
		}, refuse: true, msg: "not a regular file but a symbolic link"},
		{name: "the directory is a link", before: func(t *testing.T, dir string) {
			real := filepath.Join(t.TempDir(), "real")
			os.Rename(dir, real)
			os.Symlink(real, dir)
		}, refuse: true, msg: "it is a symbolic link, which export does not follow"},
		{name: "the directory is a file", before: func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			writeFile(t, dir, "x")
		}, refuse: true, msg: "exists and is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := copyBundle(t, exported)
			dir := blobDir(bundle)
			if tc.before != nil {
				tc.before(t, dir)
			}
			oldFile, _ := os.ReadFile(bundle)
			oldDir := entries(t, dir)
			var outsideBefore []byte
			if tc.refuse {
				outsideBefore, _ = os.ReadFile(outside)
			}
			_, errs, code := tminus(t, alice, append([]string{"bundle", "export", bundle}, tc.flags...)...)
			if tc.refuse {
				if code == 0 || !strings.Contains(errs, tc.msg) || !strings.Contains(errs, "export to another FILE") {
					t.Fatalf("export: exit %d, stderr %q, want a refusal with %q", code, errs, tc.msg)
				}
				if got, _ := os.ReadFile(bundle); string(got) != string(oldFile) {
					t.Error("a refused export rewrote FILE")
				}
				if got := entries(t, dir); !slices.Equal(got, oldDir) {
					t.Errorf("a refused export changed %s: %v, was %v", dir, got, oldDir)
				}
				if got, _ := os.ReadFile(outside); string(got) != string(outsideBefore) {
					t.Error("the export changed a file outside the directory")
				}
				return
			}
			if code != 0 || !strings.Contains(errs, tc.msg) {
				t.Fatalf("export: exit %d, stderr %q, want %q", code, errs, tc.msg)
			}
			var want []string
			for _, n := range tc.after {
				want = append(want, strings.ReplaceAll(n, "BLOB", sha(data)))
			}
			if got := entries(t, dir); !slices.Equal(got, want) {
				t.Errorf("%s holds %v, want %v", dir, got, want)
			}
			if got, _ := os.ReadFile(bundle); string(got) == string(oldFile) {
				t.Error("FILE was not written again")
			}
			// What is left is this bundle's: verify warns of nothing else.
			if out := must(t, "", "verify", bundle); strings.Contains(out, "WARNING") != slices.Contains(want, ".DS_Store") {
				t.Errorf("verify after the export:\n%s", out)
			}
		})
	}
}

// Where export cannot write, it says so and creates nothing.
func TestBundleExportBadPaths(t *testing.T) {
	alice, inc := newWorkspace(t)
	must(t, alice, "evidence", "add", inc[:8], writeFile(t, filepath.Join(t.TempDir(), "logs.txt"), "x\n"))
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, msg string
	}{
		{"a missing directory", filepath.Join(dir, "usb", "b.jsonl"), "directory " + filepath.Join(dir, "usb") + " does not exist"},
		{"a directory as FILE", dir, "it is a directory (name a file in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := entries(t, dir)
			fails(t, alice, tc.msg, "bundle", "export", tc.path)
			if got := entries(t, dir); !slices.Equal(got, before) {
				t.Errorf("the failed export left %v in %s", got, dir)
			}
		})
	}
}

// A blob is read only from a regular file, never through a link.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "blob"), "bytes")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, err string
	}{
		{"regular file", file, ""},
		{"link to it", link, "not a regular file but a symbolic link"},
		{"directory", dir, "not a regular file but a directory"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := openRegular(tc.path)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}
