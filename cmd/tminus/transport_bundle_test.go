package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// A bundle whose lines come in another order than export's (reversed by a
// tool, concatenated from two exports) imports whole: events parked for
// their chain and released within the import are not reported as still
// waiting, and an incomplete bundle says how many do wait.
func TestTransportBundleOutOfOrder(t *testing.T) {
	alice, inc := newWorkspace(t)
	for i := range 5 {
		must(t, alice, "note", inc[:8], fmt.Sprintf("note %d", i))
	}
	bundle := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, alice, "bundle", "export", "--no-blobs", bundle)
	lines := strings.SplitAfter(string(mustRead(t, bundle)), "\n")
	lines = lines[:len(lines)-1] // after the last line break
	slices.Reverse(lines)
	reversed := writeFile(t, filepath.Join(t.TempDir(), "reversed.jsonl"), strings.Join(lines, ""))

	bob, _ := joinHome(t, t.TempDir(), "bob")
	out, errs, code := tminus(t, bob, "bundle", "import", reversed)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("imported %d new events", len(lines))) || !strings.Contains(out, "0 waiting for their chain") {
		t.Errorf("reversed import: exit %d\n%s\n%s", code, out, errs)
	}
	if a, b := must(t, alice, "state-hash"), must(t, bob, "state-hash"); a != b {
		t.Errorf("state after a reversed import: %s, alice %s", b, a)
	}

	// The last two lines alone: their chain is not here.
	tail := writeFile(t, filepath.Join(t.TempDir(), "tail.jsonl"), strings.Join(lines[:2], ""))
	dave, _ := joinHome(t, t.TempDir(), "dave")
	head := writeFile(t, filepath.Join(t.TempDir(), "head.jsonl"), strings.Join(lines[2:], ""))
	must(t, dave, "bundle", "import", head)
	out, errs, code = tminus(t, dave, "bundle", "import", "--json", tail)
	var rep struct{ Added, Waiting int }
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Added != 2 || rep.Waiting != 0 {
		t.Errorf("the rest of the chain: exit %d %s %s", code, out, errs)
	}
	erin, _ := joinHome(t, t.TempDir(), "erin")
	must(t, erin, "bundle", "import", head)
	gap := writeFile(t, filepath.Join(t.TempDir(), "gap.jsonl"), lines[0]) // the newest, without the one before it
	out, _, code = tminus(t, erin, "bundle", "import", gap)
	if code != 0 || !strings.Contains(out, "1 waiting for their chain") {
		t.Errorf("an event without its predecessor: exit %d %s", code, out)
	}
}

// A bundle that brings a fork (alice's home copied to a second laptop, both
// writing) imports, as every replica must hold both events, and says so on
// stderr with what to do: a fork means a copied home or a stolen key.
func TestTransportBundleBringsFork(t *testing.T) {
	alice, inc := newWorkspace(t)
	clone := filepath.Join(t.TempDir(), "alice-copy")
	if err := os.CopyFS(clone, os.DirFS(alice)); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "note", inc[:8], "from the laptop")
	must(t, clone, "note", inc[:8], "from the copy")
	one, two := filepath.Join(t.TempDir(), "one.jsonl"), filepath.Join(t.TempDir(), "two.jsonl")
	must(t, alice, "bundle", "export", one)
	must(t, clone, "bundle", "export", two)
	bob, _ := joinHome(t, t.TempDir(), "bob")
	if _, errs, _ := tminus(t, bob, "bundle", "import", one); strings.Contains(errs, "fork") {
		t.Errorf("a bundle without a fork: %s", errs)
	}
	out, errs, code := tminus(t, bob, "bundle", "import", two)
	if code != 0 || !strings.Contains(out, "1 forks") || !strings.Contains(errs, "signed two different events") || !strings.Contains(errs, "tminus verify") {
		t.Errorf("import of a fork: exit %d\n%s\n%s", code, out, errs)
	}
	if got, want := eventCount(t, bob), eventCount(t, alice)+1; got != want {
		t.Errorf("bob holds %d events, want %d (both sides of the fork)", got, want)
	}
}

// A home that joined and has not yet received its workspace has nothing to
// export: export says so and writes nothing, rather than an empty bundle
// that every import then refuses as "not a bundle".
func TestTransportBundleExportWithoutWorkspace(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	bob, _ := joinHome(t, t.TempDir(), "bob")
	for _, file := range []string{filepath.Join(t.TempDir(), "b.jsonl"), "-"} {
		out, errs, code := tminus(t, bob, "bundle", "export", file)
		if code != 1 || !strings.Contains(errs, "no workspace yet") || out != "" {
			t.Errorf("export %s from a joined home: exit %d\n%s\n%s", file, code, out, errs)
		}
		if file == "-" {
			continue
		}
		for _, p := range []string{file, sumPath(file), blobDir(file)} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("export left %s", p)
			}
		}
	}
}

// An incident's redacted export (export --format jsonl) carried instead of
// a bundle is refused whole, saying what it is and what to carry instead.
func TestTransportBundleRedactedExport(t *testing.T) {
	alice, inc := newWorkspace(t)
	other := must(t, alice, "incident", "declare", "--title", "Unrelated", "--severity", "P3")
	must(t, alice, "note", other[:8], "not for this incident's readers")
	file := filepath.Join(t.TempDir(), "incident 1.jsonl")
	must(t, alice, "export", inc[:8], "--format", "jsonl", "--out", file)
	if out, errs, code := tminus(t, "", "verify", file); code != 0 {
		t.Fatalf("verify of a redacted export: exit %d\n%s\n%s", code, out, errs)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	_, errs, code := tminus(t, bob, "bundle", "import", file)
	if code != 1 || !strings.Contains(errs, "is redacted") || !strings.Contains(errs, "tminus bundle export") || !strings.Contains(errs, "nothing imported") {
		t.Errorf("import of a redacted export: exit %d %s", code, errs)
	}
	if n := eventCount(t, bob); n != 0 {
		t.Errorf("stored %d events", n)
	}
}
