package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A USB stick's directory and the names responders give bundles hold
// spaces ("USB STICK/incident 42.jsonl"): export writes FILE.sha256 in
// sha256sum's format, and import, verify and sha256sum -c all read it back.
func TestTransportBundlePathWithSpaces(t *testing.T) {
	alice, _, _, _ := bundleWithEvidence(t)
	dir := filepath.Join(t.TempDir(), "USB STICK")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"incident 42.jsonl", `back\slash.jsonl`, "  lead and trail  ", "line\nbreak.jsonl"} {
		t.Run(name, func(t *testing.T) {
			b := filepath.Join(dir, name)
			must(t, alice, "bundle", "export", b)
			if path, err := exec.LookPath("sha256sum"); err == nil {
				cmd := exec.Command(path, "-c", filepath.Base(sumPath(b)))
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("sha256sum -c: %v\n%s", err, out)
				}
			}
			if out, errs, code := tminus(t, "", "verify", b); code != 0 || !strings.Contains(out, "OK") {
				t.Errorf("verify %q: exit %d\n%s\n%s", b, code, out, errs)
			}
			bob, _ := joinHome(t, t.TempDir(), "bob")
			if _, errs, code := tminus(t, bob, "bundle", "import", b); code != 0 {
				t.Fatalf("import %q: exit %d: %s", b, code, errs)
			}
			if got, want := eventCount(t, bob), eventCount(t, alice); got != want {
				t.Errorf("import stored %d of %d events", got, want)
			}
		})
	}
}

// A bundle compressed for the trip (gzip, zip, xz, zstd, bzip2) is not
// read as thousands of malformed lines: import and verify say once what it
// is and how to unpack it, and nothing is stored.
func TestTransportBundleCompressedByMistake(t *testing.T) {
	_, _, bundle, _ := bundleWithEvidence(t)
	whole := mustRead(t, bundle)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(whole)
	zw.Close()
	var zb bytes.Buffer
	za := zip.NewWriter(&zb)
	w, _ := za.Create("all.jsonl")
	w.Write(whole)
	za.Close()
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"gzip", "all.jsonl.gz", gz.Bytes(), "gzip-compressed"},
		{"zip", "all.zip", zb.Bytes(), "a zip archive"},
		{"xz", "all.jsonl.xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, whole...), "xz-compressed"},
		{"zstd", "all.jsonl.zst", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, whole...), "zstd-compressed"},
		{"bzip2", "all.jsonl.bz2", append([]byte("BZh9"), whole...), "bzip2-compressed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(t.TempDir(), tc.file), string(tc.data))
			bob, _ := joinHome(t, t.TempDir(), "bob")
			_, errs, code := tminus(t, bob, "bundle", "import", file)
			if code != 1 || !strings.Contains(errs, file+" is "+tc.want) || !strings.Contains(errs, "nothing imported") {
				t.Errorf("import: exit %d, %q; want %q", code, errs, tc.want)
			}
			if n := eventCount(t, bob); n != 0 {
				t.Errorf("stored %d events", n)
			}
			_, errs, code = tminusStdin(t, bob, tc.data, "bundle", "import", "-")
			if code != 1 || !strings.Contains(errs, "the bundle on stdin is "+tc.want) {
				t.Errorf("import -: exit %d, %q", code, errs)
			}
			out, errs, code := tminus(t, "", "verify", file)
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(out, "BAD") > 1 {
				t.Errorf("verify: exit %d\n%s\n%s", code, out, errs)
			}
		})
	}
}
