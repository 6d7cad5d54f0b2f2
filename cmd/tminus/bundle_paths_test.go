package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Paths a responder gets wrong: an empty FILE (an unset shell variable) is
// wrong usage for export, import and verify alike, not ": no such file" or
// a failed rename of a temporary file; a FILE.sha256 that is a directory
// is refused by name, by import and verify, and export neither deletes it
// nor writes FILE; a blob of FILE.blobs/ named instead of FILE is called
// one, with FILE's name.
func TestBundleBadPaths(t *testing.T) {
	alice, _, b, _ := bundleWithEvidence(t)
	bob, _ := joinHome(t, t.TempDir(), "bob")
	for _, tc := range []struct {
		home string
		args []string
	}{
		{bob, []string{"bundle", "import", ""}},
		{bob, []string{"bundle", "import", "--json", ""}},
		{"", []string{"verify", ""}},
		{alice, []string{"bundle", "export", ""}},
	} {
		out, errs, code := tminus(t, tc.home, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, `the bundle FILE is "" (an unset shell variable?): name the file, or - for stdin/stdout`) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2", tc.args, code, out, errs)
		}
	}
	if n := eventCount(t, bob); n != 0 {
		t.Errorf("bob stored %d events", n)
	}

	// FILE.sha256 is a directory.
	side := copyBundle(t, b)
	if err := os.Remove(sumPath(side)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sumPath(side), 0o700); err != nil {
		t.Fatal(err)
	}
	// A blob in FILE.blobs/ named instead of FILE (tab completion went a
	// level too deep).
	for _, ent := range mustReadDir(t, blobDir(b)) {
		blob := filepath.Join(blobDir(b), ent)
		want := blob + " is a blob (a file of evidence the bundle carries), not a bundle: name the bundle, " + b
		for _, args := range [][]string{{"bundle", "import", blob}, {"verify", blob}} {
			out, errs, code := tminus(t, bob, args...)
			if code != 1 || out != "" || errs != "tminus: "+want {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errs, want)
			}
		}
	}

	want := sumPath(side) + " is a directory, where bundle export keeps the checksum file of all.jsonl: move it away"
	for _, args := range [][]string{{"bundle", "import", side}, {"verify", side}, {"verify", "--json", side}} {
		out, errs, code := tminus(t, bob, args...)
		if code != 1 || out != "" || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errs, want)
		}
	}
	if n := eventCount(t, bob); n != 0 {
		t.Errorf("bob stored %d events", n)
	}
	fresh := filepath.Join(t.TempDir(), "new.jsonl")
	if err := os.Mkdir(sumPath(fresh), 0o700); err != nil {
		t.Fatal(err)
	}
	_, errs, code := tminus(t, alice, "bundle", "export", fresh)
	if code != 1 || !strings.Contains(errs, sumPath(fresh)+" is a directory") {
		t.Errorf("export beside a directory FILE.sha256: exit %d, %s", code, errs)
	}
	if fi, err := os.Stat(sumPath(fresh)); err != nil || !fi.IsDir() {
		t.Errorf("export removed the directory %s: %v", sumPath(fresh), err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("a refused export wrote %s", fresh)
	}
}

// Files tminus writes beside a bundle, named instead of it (tab completion
// stops at FILE.sha256; the incident's report sits in the same folder), are
// called what they are: import refuses them with nothing stored, and verify
// gives one BAD finding, not one for each of their lines, and no notes about
// a checksum beside them.
func TestBundleImportOfAnotherFile(t *testing.T) {
	alice, inc, b, _ := bundleWithEvidence(t)
	md := filepath.Join(t.TempDir(), "inc.md")
	must(t, alice, "export", inc[:8], "--format", "md", "--out", md)
	bob, _ := joinHome(t, t.TempDir(), "bob")
	for _, tc := range []struct{ file, msg string }{
		{sumPath(b), sumPath(b) + " is a checksum file (what bundle export writes beside FILE as FILE.sha256), not a bundle: name the bundle, " + b},
		{md, md + " is Markdown (as tminus export INCIDENT --format md writes), not a bundle"},
	} {
		_, errs, code := tminus(t, bob, "bundle", "import", tc.file)
		if code != 1 || !strings.Contains(errs, tc.msg+"") || !strings.Contains(errs, "(nothing imported)") {
			t.Errorf("import %s: exit %d, %s; want %q", tc.file, code, errs, tc.msg)
		}
		if n := eventCount(t, bob); n != 0 {
			t.Errorf("import %s stored %d events", tc.file, n)
		}
		out, _, code := tminus(t, "", "verify", tc.file)
		if code != 1 || strings.Count(out, "BAD ") != 1 || !strings.Contains(out, "BAD line 1: "+tc.msg) || strings.Contains(out, "NOTE ") {
			t.Errorf("verify %s: exit %d\n%s", tc.file, code, out)
		}
	}
}

// mustReadDir is the names in dir, at least one.
func mustReadDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("%s: %d entries, %v", dir, len(ents), err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names
}

// bundle export replaces FILE whole, so it refuses, writing nothing, a
// FILE that is something else named by mistake (the bundle's checksum
// file, the incident's report, any file whose first line is not an
// event), and a FILE inside a bundle's blob directory, which import would
// then refuse. An earlier export, one cut short, or an empty file is
// replaced.
func TestBundleExportKeepsWhatIsNotABundle(t *testing.T) {
	alice, inc, b, _ := bundleWithEvidence(t)
	dir := t.TempDir()
	md := filepath.Join(dir, "retro.md")
	must(t, alice, "export", inc[:8], "--format", "md", "--out", md)
	notes := writeFile(t, filepath.Join(dir, "notes.txt"), "call the exchange at 14:00\n")
	for _, tc := range []struct{ file, want string }{
		{sumPath(b), "cannot write " + sumPath(b) + ": it is a checksum file (what bundle export writes beside FILE as FILE.sha256), not a bundle, and export would replace it"},
		{md, "cannot write " + md + ": it is Markdown (as tminus export INCIDENT --format md writes), not a bundle, and export would replace it"},
		{notes, "cannot write " + notes + ": it exists and is not a bundle (its first line is not an event), and export would replace it"},
		{filepath.Join(blobDir(b), "x.jsonl"), "cannot write " + filepath.Join(blobDir(b), "x.jsonl") + ": " + blobDir(b) + " is a bundle's blob directory, which holds blobs only"},
	} {
		before := map[string][]byte{}
		for _, f := range []string{tc.file, sumPath(tc.file), b, sumPath(b)} {
			if data, err := os.ReadFile(f); err == nil {
				before[f] = data
			}
		}
		blobs := len(mustReadDir(t, blobDir(b)))
		_, errs, code := tminus(t, alice, "bundle", "export", tc.file)
		if code != 1 || !strings.HasPrefix(errs, "tminus: "+tc.want) || !strings.HasSuffix(errs, "(nothing written)") {
			t.Errorf("export %s: exit %d, %s\nwant %s", tc.file, code, errs, tc.want)
		}
		for f, data := range before {
			if got, _ := os.ReadFile(f); string(got) != string(data) {
				t.Errorf("export %s changed %s", tc.file, f)
			}
		}
		for _, f := range []string{sumPath(tc.file), blobDir(tc.file)} {
			if _, ok := before[f]; !ok {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("export %s wrote %s", tc.file, f)
				}
			}
		}
		if n := len(mustReadDir(t, blobDir(b))); n != blobs {
			t.Errorf("export %s: %s holds %d entries, was %d", tc.file, blobDir(b), n, blobs)
		}
	}
	whole := string(mustRead(t, b))
	for _, old := range []string{"", whole, whole[:len(whole)/2]} {
		file := writeFile(t, filepath.Join(t.TempDir(), "all.jsonl"), old)
		must(t, alice, "bundle", "export", file)
		if got := string(mustRead(t, file)); got != whole {
			t.Errorf("export over %d bytes: wrote %d bytes, want the bundle", len(old), len(got))
		}
	}
}
