package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renameBundle moves the bundle b to name in its directory, and with it
// those of its checksum file and blob directory that withSum and withBlobs
// say; it returns the new path.
func renameBundle(t *testing.T, b, name string, withSum, withBlobs bool) string {
	t.Helper()
	to := filepath.Join(filepath.Dir(b), name)
	moves := [][2]string{{b, to}}
	if withSum {
		moves = append(moves, [2]string{sumPath(b), sumPath(to)})
	}
	if withBlobs {
		moves = append(moves, [2]string{blobDir(b), blobDir(to)})
	}
	for _, m := range moves {
		if err := os.Rename(m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// A bundle renamed on the way (by hand, or by a mail client) is checked
// against the checksum it was exported with all the same: a digest that
// matches imports with a note naming the old name, one that does not is
// refused, saying which name the checksum is of. A bundle renamed without
// its checksum file imports as one without, and the note names the file
// beside it that holds its sha256, and the blob directory to rename.
func TestBundleRenamed(t *testing.T) {
	alice, _, bundle, data := bundleWithEvidence(t)
	events := eventCount(t, alice)
	whole := string(mustRead(t, bundle))
	cut := whole[:strings.LastIndexByte(strings.TrimSuffix(whole, "\n"), '\n')+1]
	blob := sha(data)
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, b string) string // on a copy named all.jsonl; returns the path to import
		code     int
		stored   bool     // events stored (exit 0, or a blob refused after them)
		fewer    int      // events the bundle lacks, cut at a line break
		blobs    int      // blobs imported
		checksum string   // import --json's and verify --json's; "" when import refuses before JSON
		exported string   // exported_as
		msgs     []string // in import's stderr; %s is the imported path's directory
		notMsg   string   // not in import's stderr
		verify   int      // verify's exit
		vText    []string // in verify's text
	}{
		{name: "with its checksum and blobs", setup: func(t *testing.T, b string) string {
			return renameBundle(t, b, "alice-0607.jsonl", true, true)
		}, stored: true, blobs: 1, checksum: sumOK, exported: "all.jsonl",
			msgs:  []string{"note: %s/alice-0607.jsonl.sha256 gives the bundle the name all.jsonl, under which it was exported: %s/alice-0607.jsonl was renamed since, and its sha256 matches all the same"},
			vText: []string{"NOTE %s/alice-0607.jsonl.sha256 gives the bundle the name all.jsonl", "OK: every signature"}},
		{name: "a mail client's name", setup: func(t *testing.T, b string) string {
			return renameBundle(t, b, "all (1).jsonl", true, true)
		}, stored: true, blobs: 1, checksum: sumOK, exported: "all.jsonl",
			msgs: []string{"gives the bundle the name all.jsonl"}, vText: []string{"OK: every signature"}},
		{name: "with its checksum, not its blobs", setup: func(t *testing.T, b string) string {
			return renameBundle(t, b, "alice.jsonl", true, false)
		}, code: 1, stored: true, checksum: sumOK, exported: "all.jsonl", verify: 1,
			msgs: []string{"note: %s/alice.jsonl.blobs is not here, but %s/all.jsonl.blobs is, the blob directory of the name %s/alice.jsonl was exported under: rename it to %s/alice.jsonl.blobs",
				"tminus: %s/alice.jsonl.blobs is missing, and %s/alice.jsonl.sha256 lists 1 blob(s) export wrote there: %s/all.jsonl.blobs is here"},
			vText: []string{"BAD blob " + blob[:12] + ", which %s/alice.jsonl.sha256 lists, is not in %s/alice.jsonl.blobs", "NOTE %s/alice.jsonl.blobs is not here, but %s/all.jsonl.blobs is"}},
		{name: "renamed and cut at a line break", setup: func(t *testing.T, b string) string {
			writeFile(t, b, cut)
			return renameBundle(t, b, "alice.jsonl", true, true)
		}, code: 1, checksum: sumMismatch, exported: "all.jsonl", verify: 1,
			msgs:  []string{"does not match %s/alice.jsonl.sha256: it was cut or changed on the way", "(nothing imported); %s/alice.jsonl.sha256 is the checksum of all.jsonl: if %s/alice.jsonl is not that bundle renamed"},
			vText: []string{"BAD %s/alice.jsonl does not match", "NOTE %s/alice.jsonl.sha256 is the checksum of all.jsonl"}},
		{name: "without its checksum or blobs", setup: func(t *testing.T, b string) string {
			return renameBundle(t, b, "alice.jsonl", false, false)
		}, stored: true, checksum: sumAbsent, exported: "all.jsonl",
			msgs: []string{"note: %s/all.jsonl.sha256 holds this bundle's sha256, for the name all.jsonl it was exported under: the bundle is whole; rename %s/all.jsonl.sha256 to %s/alice.jsonl.sha256",
				"note: %s/alice.jsonl.blobs is not here, but %s/all.jsonl.blobs is"},
			notMsg: "could not be told from a shorter bundle",
			vText:  []string{"NOTE %s/all.jsonl.sha256 holds this bundle's sha256"}},
		{name: "only its checksum renamed", setup: func(t *testing.T, b string) string {
			if err := os.Rename(sumPath(b), filepath.Join(filepath.Dir(b), "all.jsonl (1).sha256")); err != nil {
				t.Fatal(err)
			}
			return b
		}, stored: true, blobs: 1, checksum: sumAbsent,
			msgs:   []string{"note: %s/all.jsonl (1).sha256 holds this bundle's sha256: the bundle is whole; rename it to %s/all.jsonl.sha256"},
			notMsg: "could not be told from a shorter bundle",
			vText:  []string{"NOTE %s/all.jsonl (1).sha256 holds this bundle's sha256"}},
		// A copy (cp, or a saved log --json: the same bytes) beside the
		// original: the advice is to copy what the original uses, not to
		// take it from it.
		{name: "copied with its checksum, not its blobs", setup: func(t *testing.T, b string) string {
			to := filepath.Join(filepath.Dir(b), "alice.jsonl")
			copyFile(t, b, to)
			copyFile(t, sumPath(b), sumPath(to))
			return to
		}, code: 1, stored: true, checksum: sumOK, exported: "all.jsonl", verify: 1,
			msgs: []string{"note: %s/alice.jsonl.sha256 gives the bundle the name all.jsonl, under which it was exported: %s/alice.jsonl is a copy of %s/all.jsonl",
				"copy it to %s/alice.jsonl.blobs (not rename: %s/all.jsonl beside it still uses it) and import again"},
			notMsg: "rename it to", vText: []string{"is a copy of %s/all.jsonl", "copy it to %s/alice.jsonl.blobs (not rename"}},
		{name: "copied alone", setup: func(t *testing.T, b string) string {
			to := filepath.Join(filepath.Dir(b), "log.jsonl")
			copyFile(t, b, to)
			return to
		}, stored: true, checksum: sumAbsent, exported: "all.jsonl",
			msgs: []string{"the bundle is whole; copy %s/all.jsonl.sha256 to %s/log.jsonl.sha256 (not rename: %s/all.jsonl beside it still uses it)",
				"copy it to %s/log.jsonl.blobs (not rename"},
			notMsg: "whole; rename", vText: []string{"copy %s/all.jsonl.sha256 to %s/log.jsonl.sha256"}},
		{name: "without its checksum, and cut", setup: func(t *testing.T, b string) string {
			writeFile(t, b, cut)
			return renameBundle(t, b, "alice.jsonl", false, true)
		}, stored: true, fewer: 1, checksum: sumAbsent,
			msgs: []string{"note: no %s/alice.jsonl.sha256 beside %s/alice.jsonl"}, notMsg: "holds this bundle's sha256",
			vText: []string{"NOTE no %s/alice.jsonl.sha256 beside the bundle"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.setup(t, copyBundle(t, bundle))
			dir := filepath.Dir(b)
			fill := func(s string) string { return strings.ReplaceAll(s, "%s", dir) }
			home, _ := joinHome(t, t.TempDir(), "bob")
			out, errs, code := tminus(t, home, "bundle", "import", "--json", b)
			if code != tc.code {
				t.Fatalf("import: exit %d, want %d\n%s\n%s", code, tc.code, out, errs)
			}
			for _, m := range tc.msgs {
				if !strings.Contains(errs, fill(m)) {
					t.Errorf("import's stderr lacks %q:\n%s", fill(m), errs)
				}
			}
			if tc.notMsg != "" && strings.Contains(errs, tc.notMsg) {
				t.Errorf("import's stderr says %q:\n%s", tc.notMsg, errs)
			}
			want := 0
			if tc.stored {
				want = events - tc.fewer
			}
			if n := eventCount(t, home); n != want {
				t.Errorf("import stored %d events, want %d", n, want)
			}
			if tc.stored {
				var rep struct {
					Blobs      int
					Checksum   string
					ExportedAs string `json:"exported_as"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Blobs != tc.blobs || rep.Checksum != tc.checksum || rep.ExportedAs != tc.exported {
					t.Errorf("import --json: %s (%v); want %d blobs, checksum %q, exported_as %q", out, err, tc.blobs, tc.checksum, tc.exported)
				}
			}
			vout, verrs, vcode := tminus(t, "", "verify", b)
			if vcode != tc.verify {
				t.Errorf("verify: exit %d, want %d\n%s\n%s", vcode, tc.verify, vout, verrs)
			}
			for _, m := range tc.vText {
				if !strings.Contains(vout, fill(m)) {
					t.Errorf("verify's text lacks %q:\n%s", fill(m), vout)
				}
			}
			jout, _, _ := tminus(t, "", "verify", "--json", b)
			var v struct {
				Checksum   string
				ExportedAs string `json:"exported_as"`
			}
			if err := json.Unmarshal([]byte(jout), &v); err != nil || v.Checksum != tc.checksum || v.ExportedAs != tc.exported {
				t.Errorf("verify --json: %s (%v); want checksum %q, exported_as %q", jout, err, tc.checksum, tc.exported)
			}
		})
	}
}

// A checksum file that names several files is matched by name: the line
// for FILE, or a refusal when none is FILE's, as for anything else that
// is not what export or sha256sum writes.
func TestBundleChecksumOfSeveralFiles(t *testing.T) {
	_, _, bundle, data := bundleWithEvidence(t)
	own := string(mustRead(t, sumPath(bundle)))
	other := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, sum string
		code      int
		msg       string
	}{
		{"another bundle listed first", other + "  other.jsonl\n" + other + "  other.jsonl.blobs/" + other + "\n" + own, 0, ""},
		{"another bundle listed after", own + other + "  other.jsonl\n", 0, ""},
		{"several, none this one", other + "  a.jsonl\n" + other + "  b.jsonl\n", 1,
			"names 2 files (a.jsonl, b.jsonl) and none is all.jsonl, so which is its checksum cannot be told"},
		{"this one twice", own + other + "  all.jsonl\n", 1, "names all.jsonl on lines 1 and 3"},
		{"blobs only", other + "  all.jsonl.blobs/" + other + "\n", 1, "names no file beside it (a name without a /), only blobs"},
		{"a blob of a bundle not listed", own + other + "  x.jsonl.blobs/" + other + "\n", 1, "line 3 names x.jsonl.blobs/" + other + ", not a blob of all.jsonl.blobs/"},
		{"a blob under another name", own + other + "  all.jsonl.blobs/" + sha(data) + "\n", 1, "line 3 names all.jsonl.blobs/" + sha(data) + ", not a blob of all.jsonl.blobs/ under its hash"},
		{"a path above", own + other + "  ../all.jsonl\n", 1, "line 3 names ../all.jsonl, not a blob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := copyBundle(t, bundle)
			writeFile(t, sumPath(b), tc.sum)
			home, _ := joinHome(t, t.TempDir(), "bob")
			out, errs, code := tminus(t, home, "bundle", "import", "--json", b)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Fatalf("import: exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.msg)
			}
			if code != 0 {
				if n := eventCount(t, home); n != 0 {
					t.Errorf("a refused import stored %d events", n)
				}
				return
			}
			var rep struct{ Checksum, ExportedAs string }
			if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Checksum != sumOK {
				t.Errorf("import --json: %s (%v), want checksum ok", out, err)
			}
		})
	}
}
