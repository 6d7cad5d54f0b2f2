package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A copy cut exactly at a line break is a shorter bundle whose every line
// verifies: only FILE.sha256, written by export, tells. Import refuses it
// with nothing stored, verify fails it, and bundles without a checksum (an
// older export) still import, with a note.
func TestBundleChecksum(t *testing.T) {
	alice, _, bundle, data := bundleWithEvidence(t)
	sum, err := os.ReadFile(sumPath(bundle))
	if err != nil {
		t.Fatalf("export wrote no checksum: %v", err)
	}
	want := sha(mustRead(t, bundle)) + "  all.jsonl\n" + sha(data) + "  all.jsonl.blobs/" + sha(data) + "\n"
	if string(sum) != want {
		t.Fatalf("checksum file:\n%s\nwant:\n%s", sum, want)
	}
	if path, err := exec.LookPath("sha256sum"); err == nil { // coreutils' own check agrees
		cmd := exec.Command(path, "-c", filepath.Base(sumPath(bundle)))
		cmd.Dir = filepath.Dir(bundle)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
	whole, _ := os.ReadFile(bundle)
	lines := strings.SplitAfter(strings.TrimSuffix(string(whole), "\n"), "\n")
	short := strings.Join(lines[:len(lines)-1], "") // cut at the last line break

	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, b string) // on a full copy of the bundle
		code     int
		msg      string // import's stderr
		checksum string // verify --json's and import --json's
		stored   bool   // import exits 1 but stores the events (a blob refused)
	}{
		{"whole", func(*testing.T, string) {}, 0, "", sumOK, false},
		{"cut at a line break", func(t *testing.T, b string) { writeFile(t, b, short) }, 1,
			"does not match %s.sha256: it was cut or changed on the way (copy both again; if you changed the bundle on purpose, delete", sumMismatch, false},
		{"a line changed", func(t *testing.T, b string) {
			writeFile(t, b, strings.Replace(string(whole), `"id":"`, `"id": "`, 1))
		}, 1, "does not match", sumMismatch, false},
		{"no checksum, as an older export", func(t *testing.T, b string) { os.Remove(sumPath(b)) }, 0,
			"note: no %s.sha256 beside", sumAbsent, false},
		{"checksum of another file", func(t *testing.T, b string) { // read as a rename: the digest decides
			writeFile(t, sumPath(b), strings.Repeat("ab", 32)+"  other.jsonl\n")
		}, 1, "(nothing imported); %s.sha256 is the checksum of other.jsonl: if %s is not that bundle renamed", sumMismatch, false},
		{"not a checksum", func(t *testing.T, b string) { writeFile(t, sumPath(b), "hello\n") }, 1,
			"line 1 is not a sha256sum line: bundle export writes sha256sum lines", "", false},
		{"not hex", func(t *testing.T, b string) {
			writeFile(t, sumPath(b), strings.Repeat("zz", 32)+"  "+filepath.Base(b)+"\n")
		}, 1, "line 1 does not hold a sha256", "", false},
		{"oversized", func(t *testing.T, b string) { writeFile(t, sumPath(b), strings.Repeat("a", maxSumFile+1)) }, 1,
			"is too long", "", false},
		{"a line for something else", func(t *testing.T, b string) {
			f, _ := os.OpenFile(sumPath(b), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(strings.Repeat("ab", 32) + "  /etc/passwd\n")
			f.Close()
		}, 1, "line 3 names /etc/passwd, not a blob of all.jsonl.blobs/ under its hash", "", false},
		{"a blob lost in the copy", func(t *testing.T, b string) { os.Remove(filepath.Join(blobDir(b), sha(data))) }, 1,
			"blob " + sha(data)[:12] + ", which %s.sha256 lists, is not in %s.blobs: lost in the copy", sumOK, true},
		{"the blob directory not copied", func(t *testing.T, b string) { os.RemoveAll(blobDir(b)) }, 1,
			"%s.blobs is missing, and %s.sha256 lists 1 blob(s) export wrote there", sumOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := copyBundle(t, bundle)
			tc.setup(t, b)
			msg := tc.msg
			if strings.Contains(msg, "%s") {
				msg = strings.ReplaceAll(msg, "%s", b)
			}
			home, _ := joinHome(t, t.TempDir(), "bob")
			out, errs, code := tminus(t, home, "bundle", "import", "--json", b)
			if code != tc.code || !strings.Contains(errs, msg) {
				t.Fatalf("import: exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, msg)
			}
			if code != 0 && !tc.stored {
				if n := eventCount(t, home); n != 0 {
					t.Errorf("a refused import stored %d events", n)
				}
			} else if n := eventCount(t, home); n != eventCount(t, alice) {
				t.Errorf("import stored %d of %d events", n, eventCount(t, alice))
			}
			if code == 0 {
				var rep struct {
					Added    int
					Checksum string
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Checksum != tc.checksum || rep.Added != eventCount(t, alice) {
					t.Errorf("import --json: %s (%v), want checksum %q and every event", out, err, tc.checksum)
				}
			}
			vout, verrs, vcode := tminus(t, "", "verify", "--json", b)
			var v struct {
				OK       bool
				Checksum string
			}
			if tc.checksum != "" {
				if err := json.Unmarshal([]byte(vout), &v); err != nil {
					t.Fatalf("verify --json: %v\n%s\n%s", err, vout, verrs)
				}
			}
			if (vcode == 0) != (tc.code == 0) || v.Checksum != tc.checksum || (tc.checksum != "" && v.OK != (tc.code == 0)) {
				t.Errorf("verify: exit %d, %s %s; want the import's verdict and checksum %q", vcode, vout, verrs, tc.checksum)
			}
		})
	}
}

// verify's text says BAD for a mismatch, NOTE for a bundle without one.
func TestBundleChecksumVerifyText(t *testing.T) {
	_, _, bundle, _ := bundleWithEvidence(t)
	b := copyBundle(t, bundle)
	whole, _ := os.ReadFile(b)
	writeFile(t, b, string(whole[:strings.LastIndexByte(strings.TrimSuffix(string(whole), "\n"), '\n')+1]))
	out, errs, code := tminus(t, "", "verify", b)
	if code != 1 || !strings.Contains(out, "BAD "+b+" does not match "+sumPath(b)) || !strings.Contains(errs, "it was cut or changed on the way") {
		t.Errorf("verify of a cut bundle: exit %d\n%s\n%s", code, out, errs)
	}
	os.Remove(sumPath(b))
	out, _, code = tminus(t, "", "verify", b)
	if code != 0 || !strings.Contains(out, "NOTE no "+sumPath(b)+" beside the bundle") {
		t.Errorf("verify without a checksum: exit %d\n%s", code, out)
	}
	// stdin has nothing beside it: no checksum, no note.
	data, _ := os.ReadFile(bundle)
	out, _, code = tminusStdin(t, "", data, "verify", "-")
	if code != 0 || strings.Contains(out, ".sha256") {
		t.Errorf("verify - : exit %d\n%s", code, out)
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzSum: whatever a checksum file holds, parseSum refuses it or reads a
// bundle's sha256 and blob hashes that export would write back the same.
func FuzzSum(f *testing.F) {
	h := strings.Repeat("ab", 32)
	for _, s := range []string{"", "\n", h + "  b.jsonl\n", h + " *b.jsonl", h + "  b.jsonl\n" + h + "  b.jsonl.blobs/" + h + "\n",
		h + "  b.jsonl\n" + h + "  ../etc/passwd\n", "  \n\n", strings.ToUpper(h) + "  b.jsonl", h + "  b 1.jsonl", `\` + h + `  b\\n.jsonl`, h + " b.jsonl"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := parseSum("/x/b.jsonl", data)
		if err != nil {
			if !strings.Contains(err.Error(), "/x/b.jsonl.sha256 ") {
				t.Fatalf("an error that does not name the file: %v", err)
			}
			return
		}
		if !blobName.MatchString(sum.file) {
			t.Fatalf("accepted %q with bundle sum %q", data, sum.file)
		}
		back, err := parseSum("/x/b.jsonl", formatSum("/x/b.jsonl", sum.file, sum.blobs))
		if err != nil || back.file != sum.file || len(back.blobs) != len(sum.blobs) {
			t.Fatalf("%q read as %+v, written back and read as %+v, %v", data, sum, back, err)
		}
		for b := range sum.blobs {
			if !blobName.MatchString(b) || !back.blobs[b] {
				t.Fatalf("blob %q", b)
			}
		}
	})
}
