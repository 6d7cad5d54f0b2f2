package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tminusStdin is tminus with stdin.
func tminusStdin(t *testing.T, home string, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--home", home}, args...), bytes.NewReader(stdin), &out, &errb)
	return strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()), code
}

func verifyJSONStdin(t *testing.T, stdin []byte) (verifyReport, int) {
	t.Helper()
	out, errs, code := tminusStdin(t, "", stdin, "verify", "--json", "-")
	var r verifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json -: %v\n%s\n%s", err, out, errs)
	}
	return r, code
}

// copyBundle copies a bundle and its blob directory to a new path.
func copyBundle(t *testing.T, bundle string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(bundle))
	copyFile(t, bundle, to)
	if _, err := os.Stat(sumPath(bundle)); err == nil {
		copyFile(t, sumPath(bundle), sumPath(to))
	}
	if err := os.CopyFS(blobDir(to), os.DirFS(blobDir(bundle))); err != nil {
		t.Fatal(err)
	}
	return to
}

// An air-gapped responder's bundle imports, with what goes wrong between
// two machines: each bad input gets an error that says what to do, and
// what the home stored before is all still there. bob has imported alice's
// first bundle (one evidence blob); her second adds a second blob.
func TestBundleImportAirGapped(t *testing.T) {
	alice, inc, first, _ := bundleWithEvidence(t)
	second2 := []byte("second evidence file\n")
	must(t, alice, "evidence", "add", inc[:8], writeFile(t, filepath.Join(t.TempDir(), "more.txt"), string(second2)))
	second := filepath.Join(t.TempDir(), "second.jsonl")
	must(t, alice, "bundle", "export", second)
	secondBytes, _ := os.ReadFile(second)
	aliceEvents := eventCount(t, alice)

	t.Setenv("TMINUS_PASSPHRASE", "carol's")
	carol := filepath.Join(t.TempDir(), "carol")
	must(t, carol, "init", "--name", "acme", "--handle", "carol", "--light-kdf")
	carolBundle := filepath.Join(t.TempDir(), "carol.jsonl")
	must(t, carol, "bundle", "export", carolBundle)
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")

	stray := []byte("a blob of another bundle\n")
	for _, tc := range []struct {
		name  string
		input func(t *testing.T) string // the FILE argument
		stdin []byte
		code  int
		msg   string // in stdout or stderr
		// afterwards: all of second's events, and how many blobs; else
		// bob's home is as it was
		events bool
		blobs  int
		root   bool // meaningless as root
	}{
		{name: "cut mid-line, sidecar beside it", input: func(t *testing.T) string {
			cut := copyBundle(t, second)
			os.WriteFile(cut, secondBytes[:len(secondBytes)-50], 0o600)
			return cut
		}, code: 1, msg: "ends mid-line, and every export ends with a line break: it was cut short (copy it again)"},
		{name: "another workspace", input: func(t *testing.T) string { return carolBundle },
			code: 1, msg: "the bundle is of another workspace than this home's, and a home holds one: import it with another --home"},
		{name: "replayed", input: func(t *testing.T) string { return first },
			code: 0, msg: "imported 0 new events (3 already here"},
		{name: "empty", input: func(t *testing.T) string {
			return writeFile(t, filepath.Join(t.TempDir(), "b.jsonl"), "")
		}, code: 1, msg: "holds no events: not a bundle"},
		{name: "not a bundle", input: func(t *testing.T) string {
			return writeFile(t, filepath.Join(t.TempDir(), "b.zip"), "PK\x03\x04\x14\x00\x00\x00\x08\x00")
		}, code: 1, msg: "b.zip is a zip archive, not a bundle"},
		{name: "not an event", input: func(t *testing.T) string {
			return writeFile(t, filepath.Join(t.TempDir(), "b.txt"), "hello\n")
		}, code: 1, msg: "line 1: malformed event"},
		{name: "no such file", input: func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "b.jsonl")
		}, code: 1, msg: "no such file (a bundle is the FILE that tminus bundle export FILE wrote"},
		{name: "the blob directory as FILE", input: func(t *testing.T) string { return blobDir(second) },
			code: 1, msg: "is a directory: name the bundle FILE"},
		// The events are whole and import; a bad blob is refused alone.
		{name: "another bundle's blob under a named hash", input: func(t *testing.T) string {
			b := copyBundle(t, second)
			writeFile(t, filepath.Join(blobDir(b), sha(second2)), string(stray))
			return b
		}, code: 1, msg: "damaged or tampered with", events: true, blobs: 1},
		{name: "sidecar is a file", input: func(t *testing.T) string {
			b := copyBundle(t, second)
			os.RemoveAll(blobDir(b))
			writeFile(t, blobDir(b), "x")
			return b
		}, code: 1, msg: "is not a directory, so no blobs were imported (the events were)", events: true, blobs: 1},
		{name: "sidecar unreadable", input: func(t *testing.T) string {
			b := copyBundle(t, second)
			os.Chmod(blobDir(b), 0)
			t.Cleanup(func() { os.Chmod(blobDir(b), 0o700) })
			return b
		}, code: 1, msg: "permission denied (the events were imported)", events: true, blobs: 1, root: true},
		{name: "sidecar holds a blob of another bundle", input: func(t *testing.T) string {
			b := copyBundle(t, second)
			writeFile(t, filepath.Join(blobDir(b), sha(stray)), string(stray))
			return b
		}, code: 0, msg: "1 named by no event of the bundle and ignored", events: true, blobs: 2},
		{name: "from stdin", input: func(t *testing.T) string { return "-" }, stdin: secondBytes,
			code: 0, msg: "imported 1 new events", events: true, blobs: 1},
		{name: "cut short on stdin", input: func(t *testing.T) string { return "-" }, stdin: secondBytes[:len(secondBytes)-50],
			code: 1, msg: "(nothing imported; the bundle on stdin ends mid-line, and every export ends with a line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && asRoot() {
				t.Skip("root reads a directory whatever its mode")
			}
			bob, _ := joinHome(t, t.TempDir(), "bob")
			must(t, bob, "bundle", "import", first)
			state, events := must(t, bob, "state-hash"), eventCount(t, bob)
			out, errs, code := tminusStdin(t, bob, tc.stdin, "bundle", "import", tc.input(t))
			if code != tc.code || !strings.Contains(out+errs, tc.msg) {
				t.Fatalf("import: exit %d, want %d and %q:\n%s\n%s", code, tc.code, tc.msg, out, errs)
			}
			if code != 0 && !strings.HasPrefix(errs, "tminus: ") {
				t.Errorf("stderr %q", errs)
			}
			if !tc.events {
				if must(t, bob, "state-hash") != state || eventCount(t, bob) != events || storedBlobs(t, bob) != 1 {
					t.Fatal("bob's home changed")
				}
				return
			}
			if got := eventCount(t, bob); got != aliceEvents {
				t.Errorf("bob holds %d events, alice %d", got, aliceEvents)
			}
			if got := storedBlobs(t, bob); got != tc.blobs {
				t.Errorf("bob holds %d blobs, want %d", got, tc.blobs)
			}
		})
	}
}

// A bundle piped from one home into another (ssh host tminus bundle export
// - | tminus bundle import -) carries the events, and export says the
// blobs stayed behind.
func TestBundlePipedThroughStdout(t *testing.T) {
	alice, inc, _, _ := bundleWithEvidence(t)
	lines, errs, code := tminus(t, alice, "bundle", "export", "-")
	if code != 0 || !strings.Contains(errs, "not carried on stdout") {
		t.Fatalf("export -: exit %d: %s", code, errs)
	}
	v, vcode := verifyJSONStdin(t, []byte(lines+"\n"))
	if vcode != 0 || !v.OK || v.BlobsDir != "" || len(v.BlobsMissing) != 1 {
		t.Errorf("verify -: exit %d %+v", vcode, v)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	if _, errs, code := tminusStdin(t, bob, []byte(lines+"\n"), "bundle", "import", "-"); code != 0 {
		t.Fatalf("import -: exit %d: %s", code, errs)
	}
	if must(t, bob, "state-hash") != must(t, alice, "state-hash") {
		t.Error("bob's state differs from alice's")
	}
	if got := evidenceLocal(t, bob, inc); len(got) != 1 || got["logs.txt"] {
		t.Errorf("bob's evidence: %v (the event, not the blob)", got)
	}
}
