package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// tminusReader runs the command tree in-process with stdin read from r.
func tminusReader(t *testing.T, home string, r io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--home", home}, args...), r, &out, &errb)
	return strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()), code
}

// prettyLines is the bundle's events as jq . prints them, one indented
// object after another, and as jq -s . does, one indented array.
func prettyLines(t *testing.T, bundle []byte) (objects, array []byte) {
	t.Helper()
	var all []json.RawMessage
	var objs bytes.Buffer
	for line := range strings.SplitSeq(strings.TrimSpace(string(bundle)), "\n") {
		if err := json.Indent(&objs, []byte(line), "", "  "); err != nil {
			t.Fatal(err)
		}
		objs.WriteByte('\n')
		all = append(all, json.RawMessage(line))
	}
	arr, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return objs.Bytes(), append(arr, '\n')
}

// Files that are not a bundle, named as one, are called what they are in
// one line, from a file or from stdin however its bytes arrive (one at a
// time here, as a slow pipe may): JSON reformatted over many lines (jq .),
// an array of events (jq -s), the checksum file beside the bundle whatever
// the length of the name in it, a Markdown report whose first lines are
// blank or long, and a bundle an editor saved with a byte order mark. import stores nothing and verify gives one BAD finding;
// the bundle itself, read the same ways, still imports.
func TestBundleImportOfWhatIsNotABundle(t *testing.T) {
	alice, inc, bundle, _ := bundleWithEvidence(t)
	whole := mustRead(t, bundle)
	objects, array := prettyLines(t, whole)
	dir := t.TempDir()
	long := strings.Repeat("incident-2026-12-07-vault-drain-", 6) + "alice.jsonl"
	md := filepath.Join(t.TempDir(), "retro.md")
	must(t, alice, "export", inc[:8], "--format", "md", "--out", md)
	retro := "\n\n" + string(mustRead(t, md)) // an editor's blank lines above the title
	longRetro := "# " + strings.Repeat("Vault drain on mainnet, ", 400) + "\n\n" + strings.Repeat("A long first paragraph. ", 400) + "\n"

	const bundleIs = "a bundle holds one event per line, as tminus bundle export FILE writes"
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"jq .", "pretty.json", string(objects), " is JSON spread over many lines (as jq . prints it), not a bundle: " + bundleIs + "; compact it with jq -c . "},
		{"jq -s .", "array.json", string(array), " is a JSON array, not a bundle: " + bundleIs + "; make one with jq -c '.[]' "},
		{"jq -c -s .", "array.jsonl", "[" + strings.ReplaceAll(strings.TrimSpace(string(whole)), "\n", ",") + "]\n", " is a JSON array, not a bundle"},
		{"checksum, long name", "long.sha256", strings.Repeat("ab", 32) + "  " + long + "\n", " is a checksum file (what bundle export writes beside FILE as FILE.sha256), not a bundle"},
		{"retro, blank first lines", "retro.md", retro, " is Markdown (as tminus export INCIDENT --format md writes), not a bundle: " + bundleIs},
		{"retro, long first lines", "long.md", longRetro, " is Markdown (as tminus export INCIDENT --format md writes), not a bundle"},
		{"saved with a byte order mark", "bom.jsonl", "\ufeff" + string(whole), " is text with a byte order mark (which an editor adds on saving) before its first event, not a bundle: " + bundleIs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, filepath.Join(dir, tc.file), tc.data)
			bob, _ := joinHome(t, t.TempDir(), "bob")
			for _, via := range []struct {
				name string
				run  func(args ...string) (string, string, int)
				arg  string
			}{
				{file, func(args ...string) (string, string, int) { return tminus(t, bob, args...) }, file},
				{stdinName, func(args ...string) (string, string, int) {
					return tminusReader(t, bob, iotest.OneByteReader(strings.NewReader(tc.data)), args...)
				}, "-"},
			} {
				_, errs, code := via.run("bundle", "import", via.arg)
				if code != 1 || strings.Count(errs, "\n") != 0 || !strings.HasPrefix(errs, "tminus: "+via.name+tc.want) || !strings.Contains(errs, "(nothing imported)") {
					t.Errorf("import %s: exit %d\n%s\nwant one line: tminus: %s%s", via.arg, code, errs, via.name, tc.want)
				}
				if n := eventCount(t, bob); n != 0 {
					t.Errorf("import %s stored %d events", via.arg, n)
				}
				out, errs, code := via.run("verify", via.arg)
				if code != 1 || strings.Count(out, "BAD ") != 1 || !strings.Contains(out, "BAD line 1: "+via.name+tc.want) || strings.Contains(out, "NOTE ") {
					t.Errorf("verify %s: exit %d\n%s\n%s", via.arg, code, out, errs)
				}
			}
		})
	}

	// The bundle itself, a byte at a time on stdin and with a blank first
	// line, is no stranger.
	bob, _ := joinHome(t, t.TempDir(), "bob")
	out, errs, code := tminusReader(t, bob, iotest.OneByteReader(bytes.NewReader(append([]byte("\n"), whole...))), "bundle", "import", "-")
	if code != 0 || !strings.Contains(out, "imported ") || eventCount(t, bob) == 0 {
		t.Errorf("import - of the bundle a byte at a time: exit %d\n%s\n%s", code, out, errs)
	}
	if out, errs, code := tminusReader(t, "", iotest.HalfReader(bytes.NewReader(whole)), "verify", "-"); code != 0 || !strings.Contains(out, "OK: every signature") {
		t.Errorf("verify - of the bundle in halves: exit %d\n%s\n%s", code, out, errs)
	}
}
