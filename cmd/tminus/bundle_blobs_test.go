package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/store"
)

// evidenceLocal is whether each of an incident's evidence items is held in
// home, by name.
func evidenceLocal(t *testing.T, home, inc string) map[string]bool {
	t.Helper()
	var items []evidenceItemView
	if err := json.Unmarshal([]byte(must(t, home, "evidence", "list", inc[:8], "--json")), &items); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range items {
		out[it.Name] = it.Local
	}
	return out
}

// storedBlobs is how many blobs home's store holds (verify rehashes them).
func storedBlobs(t *testing.T, home string) int {
	t.Helper()
	var v struct{ Blobs int }
	if err := json.Unmarshal([]byte(must(t, home, "verify", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	return v.Blobs
}

// bundleWithEvidence is alice's workspace with one evidence file, exported
// to a bundle; it returns her home, the incident, the bundle and the file.
func bundleWithEvidence(t *testing.T, args ...string) (alice, inc, bundle string, data []byte) {
	t.Helper()
	alice, inc = newWorkspace(t)
	data = bytes.Repeat([]byte("eth_getLogs 0xdead\n"), 500)
	must(t, alice, "evidence", "add", inc[:8], writeFile(t, filepath.Join(t.TempDir(), "logs.txt"), string(data)))
	bundle = filepath.Join(t.TempDir(), "all.jsonl")
	must(t, alice, append([]string{"bundle", "export", bundle}, args...)...)
	return alice, inc, bundle, data
}

// The tester's repro: an air-gapped member who imports a bundle holds the
// evidence it names, and the bundle is still a jsonl file verify accepts.
func TestBundleCarriesEvidence(t *testing.T) {
	_, inc, bundle, data := bundleWithEvidence(t)
	if _, err := os.Stat(filepath.Join(blobDir(bundle), sha(data))); err != nil {
		t.Fatalf("the bundle's blob directory lacks the evidence: %v", err)
	}
	if out := must(t, "", "verify", bundle); !strings.Contains(out, "OK: every signature") {
		t.Errorf("verify %s: %s", bundle, out)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	out := must(t, bob, "bundle", "import", bundle)
	if !strings.Contains(out, "imported 1 blobs") {
		t.Errorf("import said %q", out)
	}
	if got := evidenceLocal(t, bob, inc); !got["logs.txt"] {
		t.Fatalf("bob's evidence after the import: %v", got)
	}
	if list := must(t, bob, "evidence", "list", inc[:8]); strings.Contains(list, "(not here)") {
		t.Errorf("evidence list still says not here:\n%s", list)
	}
	dst := filepath.Join(t.TempDir(), "got.txt")
	must(t, bob, "evidence", "get", sha(data)[:12], "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatalf("bob's copy: %d bytes, want %d", len(got), len(data))
	}
	// Again: nothing new, the blob counted as here.
	var again struct {
		Blobs     int `json:"blobs"`
		BlobsHere int `json:"blobs_here"`
	}
	if err := json.Unmarshal([]byte(must(t, bob, "bundle", "import", bundle, "--json")), &again); err != nil || again.Blobs != 0 || again.BlobsHere != 1 {
		t.Errorf("second import: %+v %v", again, err)
	}
}

// --no-blobs writes the events alone, as bundles did before.
func TestBundleNoBlobs(t *testing.T) {
	_, inc, bundle, _ := bundleWithEvidence(t, "--no-blobs")
	if _, err := os.Stat(blobDir(bundle)); !os.IsNotExist(err) {
		t.Fatalf("--no-blobs made %s: %v", blobDir(bundle), err)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	must(t, bob, "bundle", "import", bundle)
	if got := evidenceLocal(t, bob, inc); got["logs.txt"] {
		t.Fatalf("bob holds the evidence from a bundle without blobs: %v", got)
	}
}

// Bad files beside a bundle: each is refused with a clear error and
// nothing of it stored, while the events and good blobs still import; a
// file no event names is ignored.
func TestBundleBadBlobs(t *testing.T) {
	stray := []byte("bytes no event names")
	// every case's evidence is the same file, so its hash is known here
	hash12 := sha(bytes.Repeat([]byte("eth_getLogs 0xdead\n"), 500))[:12]
	for _, tc := range []struct {
		name   string
		spoil  func(t *testing.T, dir, hash string)
		msg    string // "" for success
		stored int
	}{
		{"tampered", func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, hash), "forged log line\n")
		}, "damaged or tampered with", 0},
		{"oversized", func(t *testing.T, dir, hash string) {
			if err := os.WriteFile(filepath.Join(dir, hash), make([]byte, store.MaxBlob+1), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "over the 15 MiB", 0},
		{"not a blob's name", func(t *testing.T, dir, hash string) {
			writeFile(t, filepath.Join(dir, "notes.txt"), "hello")
		}, `"notes.txt": not a blob`, 1},
		{"symlink under a blob's name", func(t *testing.T, dir, hash string) {
			// Even to the right bytes: a link could point anywhere on the
			// importer's disk, so it is refused, and the reason must not
			// claim the name is wrong.
			file := filepath.Join(dir, hash)
			target := filepath.Join(t.TempDir(), "real")
			if err := os.Rename(file, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, file); err != nil {
				t.Fatal(err)
			}
		}, hash12 + ": not a regular file", 0},
		{"named by no event", func(t *testing.T, dir, hash string) {
			if err := os.WriteFile(filepath.Join(dir, sha(stray)), stray, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, inc, bundle, data := bundleWithEvidence(t)
			tc.spoil(t, blobDir(bundle), sha(data))
			bob, _ := joinHome(t, t.TempDir(), "bob")
			out, errs, code := tminus(t, bob, "bundle", "import", bundle)
			if tc.msg == "" {
				if code != 0 {
					t.Fatalf("import failed: %s", errs)
				}
				if !strings.Contains(out, "1 named by no event of the bundle and ignored") {
					t.Errorf("import said %q", out)
				}
			} else if code == 0 || !strings.Contains(errs, tc.msg) || !strings.Contains(errs, "the events and other blobs were imported") {
				t.Fatalf("import: exit %d, stderr %q, want %q", code, errs, tc.msg)
			}
			if got := evidenceLocal(t, bob, inc); len(got) != 1 {
				t.Fatalf("the events did not import: %v", got)
			}
			if n := storedBlobs(t, bob); n != tc.stored {
				t.Errorf("bob's store holds %d blobs, want %d", n, tc.stored)
			}
		})
	}
}

// The export's summary says what it wrote and where: to stdout ("-") the
// evidence cannot travel beside the events, which a responder piping a
// bundle over ssh must be told; with no evidence named it names no
// directory, since none was made.
func TestBundleExportSummary(t *testing.T) {
	alice, inc := newWorkspace(t)
	empty := filepath.Join(t.TempDir(), "none.jsonl")
	_, errs, code := tminus(t, alice, "bundle", "export", empty)
	if code != 0 || strings.Contains(errs, ".blobs") {
		t.Errorf("export with no evidence: exit %d, said %q (no blob directory was made)", code, errs)
	}
	must(t, alice, "evidence", "add", inc[:8], writeFile(t, filepath.Join(t.TempDir(), "logs.txt"), "x\n"))
	got, errs, code := tminus(t, alice, "bundle", "export", "-")
	if code != 0 || !strings.Contains(got, `"kind":"evidence.add"`) {
		t.Fatalf("export -: exit %d, %d bytes on stdout: %s", code, len(got), errs)
	}
	if !strings.Contains(errs, "1 blob") || !strings.Contains(errs, "not carried") {
		t.Errorf("export - said %q, want it to say the evidence's 1 blob is not carried", errs)
	}
}
