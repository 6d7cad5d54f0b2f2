package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/store"
)

// asRoot is whether this test runs with root's rights, which read a file
// whatever its mode.
func asRoot() bool { return os.Geteuid() == 0 }

// verify FILE checks FILE.blobs/ as import will read it (bundle_verify.go's
// numbered cases): a bundle verify passes, import takes whole; one it
// fails, import refuses (but for a damaged blob no event names, which
// import never opens). Each case spoils the sidecar of a bundle of one
// evidence blob.
func TestVerifyChecksBundleBlobs(t *testing.T) {
	_, _, exported, data := bundleWithEvidence(t)
	hash := sha(data)
	other := []byte("another bundle's evidence\n")
	for _, tc := range []struct {
		name    string
		spoil   func(t *testing.T, dir, hash string) // nil: as exported
		code    int                                  // verify's exit
		text    string                               // in verify's text or error
		good    int                                  // "blobs"
		missing bool                                 // the evidence blob is in blobs_missing
		unnamed []string                             // blobs_unnamed; "OTHER" is other's hash
		present bool                                 // blobs_dir_exists
		imports bool                                 // bundle import exits 0
		root    bool                                 // meaningless as root: file modes do not bind it
	}{
		{name: "as exported", code: 0, text: "OK: 1 blobs hash to their names", good: 1, present: true, imports: true},
		// 1. a file named by a hash must hold those bytes
		{name: "altered", spoil: func(t *testing.T, dir, hash string) {
			data, _ := os.ReadFile(filepath.Join(dir, hash))
			data[7] ^= 1
			os.WriteFile(filepath.Join(dir, hash), data, 0o600)
		}, code: 1, text: "not to its name: damaged, cut short or tampered with", present: true},
		{name: "truncated", spoil: func(t *testing.T, dir, hash string) {
			if err := os.Truncate(filepath.Join(dir, hash), 100); err != nil {
				t.Fatal(err)
			}
		}, code: 1, text: "its 100 bytes hash to", present: true},
		{name: "oversized", spoil: func(t *testing.T, dir, hash string) {
			if err := os.Truncate(filepath.Join(dir, hash), store.MaxBlob+1); err != nil {
				t.Fatal(err)
			}
		}, code: 1, text: "over the 15 MiB", present: true},
		{name: "symlink to the right bytes", spoil: func(t *testing.T, dir, hash string) {
			target := filepath.Join(t.TempDir(), "real")
			if err := os.Rename(filepath.Join(dir, hash), target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, hash)); err != nil {
				t.Fatal(err)
			}
		}, code: 1, text: "not a regular file but a symbolic link", present: true},
		{name: "another bundle's blob under this one's name", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, hash), string(other))
		}, code: 1, text: "hash to " + sha(other)[:12], present: true},
		{name: "damaged blob no event names", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, sha(other)), "not those bytes")
		}, code: 1, text: "blob " + sha(other)[:12], good: 1, present: true, imports: true},
		{name: "unreadable blob", spoil: func(t *testing.T, dir, hash string) {
			os.Chmod(filepath.Join(dir, hash), 0)
		}, code: 1, text: "permission denied", present: true, root: true},
		// 2. what import refuses
		{name: "misnamed file", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, "notes.txt"), "hello")
		}, code: 1, text: `"notes.txt": not a blob`, good: 1, present: true},
		{name: "subdirectory", spoil: func(t *testing.T, dir, hash string) {
			os.Mkdir(filepath.Join(dir, "more"), 0o700)
		}, code: 1, text: `"more": not a blob but a directory`, good: 1, present: true},
		{name: "sidecar is a file", spoil: func(t *testing.T, dir, hash string) {
			os.RemoveAll(dir)
			writeFile(t, dir, "x")
		}, code: 1, text: "is not a directory", missing: true},
		{name: "sidecar unreadable", spoil: func(t *testing.T, dir, hash string) {
			os.Chmod(dir, 0)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
		}, code: 1, text: "cannot read", missing: true, present: true, root: true},
		// 3. what import ignores
		{name: "blob of another bundle", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, sha(other)), string(other))
		}, code: 0, text: "WARNING", good: 1, unnamed: []string{"OTHER"}, present: true, imports: true},
		{name: "file manager's dotfile", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, ".DS_Store"), "x")
		}, code: 0, text: ".DS_Store: no event of the bundle names it", good: 1, unnamed: []string{".DS_Store"}, present: true, imports: true},
		{name: "macOS's AppleDouble file and a hidden directory", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, "._"+hash), "resource fork")
			os.Mkdir(filepath.Join(dir, ".fseventsd"), 0o700)
		}, code: 0, text: "WARNING", good: 1, unnamed: []string{"._OWN", ".fseventsd"}, present: true, imports: true},
		{name: "interrupted export's temporary file", spoil: func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, ".tminus-blob-123"), "partial")
		}, code: 0, text: "WARNING", good: 1, unnamed: []string{".tminus-blob-123"}, present: true, imports: true},
		// 4. named and not carried: a note
		{name: "blob the exporter lacked (an export without checksums)", spoil: func(t *testing.T, dir, hash string) {
			os.Remove(filepath.Join(dir, hash))
			os.Remove(sumPath(strings.TrimSuffix(dir, ".blobs")))
		}, code: 0, text: "is not in", missing: true, present: true, imports: true},
		{name: "no sidecar (--no-blobs)", spoil: func(t *testing.T, dir, hash string) {
			os.RemoveAll(dir)
			onlyFirstLine(t, sumPath(strings.TrimSuffix(dir, ".blobs"))) // what --no-blobs writes
		}, code: 0, text: "this bundle carries the events only", missing: true, imports: true},
		// 5. listed by FILE.sha256 and not carried: lost
		{name: "blob lost on the way", spoil: func(t *testing.T, dir, hash string) {
			os.Remove(filepath.Join(dir, hash))
		}, code: 1, text: "lost in the copy", present: true},
		{name: "sidecar not copied", spoil: func(t *testing.T, dir, hash string) {
			os.RemoveAll(dir)
		}, code: 1, text: "lost in the copy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && asRoot() {
				t.Skip("root reads a file whatever its mode")
			}
			bundle := copyBundle(t, exported)
			if tc.spoil != nil {
				tc.spoil(t, blobDir(bundle), hash)
			}
			out, errs, code := tminus(t, "", "verify", bundle)
			if code != tc.code || !strings.Contains(out+errs, tc.text) {
				t.Fatalf("verify: exit %d, want %d and %q:\n%s\n%s", code, tc.code, tc.text, out, errs)
			}
			v, jcode := verifyJSON(t, "", bundle)
			if jcode != code || v.OK != (code == 0) || v.Events != 3 || v.Blobs != tc.good || (len(v.BadBlobs) > 0) != (code != 0) {
				t.Errorf("verify --json: exit %d %+v", jcode, v)
			}
			if v.BlobsDir != blobDir(bundle) || v.BlobsDirExists != tc.present || v.CutShort {
				t.Errorf("verify --json: sidecar %q exists %v, cut %v", v.BlobsDir, v.BlobsDirExists, v.CutShort)
			}
			if got := slices.Contains(v.BlobsMissing, hash); got != tc.missing || len(v.BlobsMissing) > 1 {
				t.Errorf("blobs_missing %v, want the evidence's: %v", v.BlobsMissing, tc.missing)
			}
			want := []string{}
			for _, u := range tc.unnamed {
				want = append(want, strings.NewReplacer("OTHER", sha(other), "OWN", hash).Replace(u))
			}
			if !slices.Equal(v.BlobsUnnamed, want) {
				t.Errorf("blobs_unnamed %v, want %v", v.BlobsUnnamed, want)
			}
			bob, _ := joinHome(t, t.TempDir(), "bob")
			if _, errs, code := tminus(t, bob, "bundle", "import", bundle); (code == 0) != tc.imports {
				t.Errorf("import: exit %d (%s), want success %v", code, errs, tc.imports)
			}
		})
	}
}

// A bundle of events that name no blob has no sidecar to check, and verify
// says nothing of one.
func TestVerifyBundleWithoutEvidence(t *testing.T) {
	alice, _ := newWorkspace(t)
	bundle := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, alice, "bundle", "export", bundle)
	out := must(t, "", "verify", bundle)
	if strings.Contains(out, "blob") {
		t.Errorf("verify speaks of blobs:\n%s", out)
	}
	if v, _ := verifyJSON(t, "", bundle); !v.OK || v.BlobsDirExists || len(v.BlobsMissing)+len(v.BlobsUnnamed)+len(v.BadBlobs) != 0 {
		t.Errorf("verify --json: %+v", v)
	}
}

// A bundle cut short by a copy that stopped fails verify on its last line,
// and verify says why; a file that is no bundle at all is not called cut.
func TestVerifyCutBundle(t *testing.T) {
	_, _, bundle, _ := bundleWithEvidence(t)
	data, _ := os.ReadFile(bundle)
	for _, tc := range []struct {
		name string
		data []byte
		cut  bool
	}{
		{"cut mid-line", data[:len(data)-50], true},
		{"cut in the first line", data[:200], true},
		{"not a bundle", []byte("PK\x03\x04\x14\x00"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "b.jsonl")
			if err := os.WriteFile(file, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			out, errs, code := tminus(t, "", "verify", file)
			if code != 1 || !strings.Contains(out, "BAD line") || strings.Contains(out, "cut short") != tc.cut {
				t.Errorf("verify: exit %d, want 1 and a note of the cut: %v\n%s\n%s", code, tc.cut, out, errs)
			}
			if v, code := verifyJSON(t, "", file); code != 1 || v.OK || v.CutShort != tc.cut {
				t.Errorf("verify --json: exit %d %+v", code, v)
			}
		})
	}
}

// onlyFirstLine keeps a checksum file's line for the bundle alone.
func onlyFirstLine(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	writeFile(t, file, first+"\n")
}

// An incident's export for readers (export --format jsonl) redacts the
// other incidents' events and comes alone, without FILE.sha256 or blobs:
// verify passes it and says what it is, rather than note a missing
// checksum file and blob directory as of a bundle copied without them; and
// bundle import, from a file or stdin, says why it refuses it, naming
// stdin as such.
func TestVerifyIncidentExport(t *testing.T) {
	alice, inc, _, _ := bundleWithEvidence(t)
	must(t, alice, "incident", "declare", "--title", "Phishing", "--severity", "P3")
	file := filepath.Join(t.TempDir(), "inc.jsonl")
	must(t, alice, "export", inc[:8], "--format", "jsonl", "--out", file)
	out, errs, code := tminus(t, "", "verify", file)
	if code != 0 || !strings.Contains(out, "NOTE 1 event(s) are redacted") || strings.Contains(out, sumPath(file)) || strings.Contains(out, blobDir(file)) {
		t.Errorf("verify of an incident export: exit %d\n%s\n%s", code, out, errs)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	for _, tc := range []struct{ arg, where string }{{file, file + " line "}, {"-", "the bundle on stdin, line "}} {
		_, errs, code := tminusStdin(t, bob, mustRead(t, file), "bundle", "import", tc.arg)
		if code != 1 || !strings.HasPrefix(errs, "tminus: "+tc.where) || !strings.Contains(errs, "is redacted; bundles carry full events only (nothing imported)") {
			t.Errorf("import %s: exit %d, %s", tc.arg, code, errs)
		}
	}
	if _, errs, code := tminusStdin(t, bob, nil, "bundle", "import", "-"); code != 1 || !strings.HasPrefix(errs, "tminus: the bundle on stdin holds no events") {
		t.Errorf("import - of nothing: exit %d, %s", code, errs)
	}
	if n := eventCount(t, bob); n != 0 {
		t.Errorf("refused imports stored %d events", n)
	}
}
