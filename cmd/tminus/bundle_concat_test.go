package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// concatHomes is alice's workspace with bob in it, and three exports:
// alice's early one (a), bob's (b) and alice's (c), written after each
// signed a note the other's copy lacks, so that b and c each hold an
// event that sorts between the other's lines.
func concatHomes(t *testing.T) (alice, inc, a, b, c string, events int) {
	t.Helper()
	alice, inc = newWorkspace(t)
	dir := t.TempDir()
	a = filepath.Join(dir, "a.jsonl")
	must(t, alice, "bundle", "export", a)
	bob, addr := joinHome(t, t.TempDir(), "bob")
	must(t, alice, "member", "add", addr, "--handle", "bob", "--role", "triage")
	must(t, alice, "note", inc[:8], "after a")
	carry(t, alice, bob)
	must(t, bob, "note", inc[:8], "bob's")
	must(t, alice, "note", inc[:8], "alice's, concurrent with bob's")
	b, c = filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "c.jsonl")
	must(t, bob, "bundle", "export", b)
	must(t, alice, "bundle", "export", c)
	return alice, inc, a, b, c, eventCount(t, alice) + 1 // and bob's note
}

// lineCount is the number of lines of the file.
func lineCount(t *testing.T, file string) int {
	t.Helper()
	return strings.Count(string(mustRead(t, file)), "\n")
}

// swapLast is the lines, each ending with a line break, the last two
// swapped.
func swapLast(lines []string) string {
	n := len(lines)
	return strings.Join(lines[:n-2], "") + strings.TrimSuffix(lines[n-1], "\n") + "\n" + lines[n-2]
}

// Exports joined into one file (cat a b > both) hold their shared events
// twice, and the second's lines start over. bundle import stores each event
// once, in any order; verify says the same: the repeats are duplicates (a
// NOTE and a count), not BAD, and the events are checked in fold order; the
// lines' order is checked export by export. The same id with other signed
// bytes is still BAD, as is anything else wrong.
func TestVerifyConcatenatedBundles(t *testing.T) {
	_, _, a, b, c, events := concatHomes(t)
	whole := string(mustRead(t, c))
	lines := strings.SplitAfter(strings.TrimSuffix(whole, "\n"), "\n")
	// A line of c whose signature is changed, in its sig field and its raw alike.
	var line struct{ Sig string }
	if err := json.Unmarshal([]byte(lines[1]), &line); err != nil {
		t.Fatal(err)
	}
	forged := strings.ReplaceAll(lines[1], line.Sig, "00"+line.Sig[2:])
	for _, tc := range []struct {
		name   string
		parts  []string // files or, starting with '{', lines
		code   int
		dups   int
		events int // verify's count
		text   string
		bad    string // a BAD line's words, for code 1
		// anyOrder: only the order is wrong, which import does not mind
		anyOrder bool
	}{
		{name: "one export", parts: []string{c}, events: events - 1, text: "OK: every signature"},
		{name: "an early export and a later one", parts: []string{a, c}, dups: lineCount(t, a), events: events - 1,
			text: "NOTE " + strconv.Itoa(lineCount(t, a)) + " line(s) repeat the event of a line above, byte for byte: the file is several exports joined"},
		{name: "three homes' exports, out of order joined", parts: []string{a, b, c}, dups: lineCount(t, a) + lineCount(t, b) + lineCount(t, c) - events,
			events: events, text: "OK: every signature, chain and lamport checks out"},
		{name: "the same export twice", parts: []string{c, c}, dups: lineCount(t, c), events: events - 1, text: "OK: every signature"},
		{name: "a line repeated in place", parts: []string{strings.Join(lines[:3], "") + lines[2] + strings.Join(lines[3:], "")}, dups: 1,
			events: events - 1, text: "NOTE 1 line(s) repeat"},
		{name: "a copy with another signature", parts: []string{c, forged}, code: 1, events: events - 1,
			bad: " is on line 2 too)"},
		{name: "an out-of-order export, no repeats", parts: []string{lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], "")}, code: 1,
			events: events - 1, bad: "out of order", anyOrder: true},
		// Repeats do not hide a shuffled stretch after them, in a line
		// repeated in place or in a second export joined.
		{name: "a line repeated in place, then a stretch out of order", parts: []string{strings.Join(lines[:3], "") + lines[2] + swapLast(lines[3:])}, code: 1,
			dups: 1, events: events - 1, bad: "BAD line " + strconv.Itoa(len(lines)+1) + ": out of order", anyOrder: true},
		{name: "an early export and a later one out of order", parts: []string{a, swapLast(lines)}, code: 1, dups: lineCount(t, a),
			events: events - 1, bad: "BAD line " + strconv.Itoa(lineCount(t, a)+len(lines)) + ": out of order", anyOrder: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			for _, p := range tc.parts {
				if strings.HasPrefix(p, "{") {
					data = append(data, p...)
				} else {
					data = append(data, mustRead(t, p)...)
				}
			}
			file := writeFile(t, filepath.Join(t.TempDir(), "both.jsonl"), string(data))
			out, errs, code := tminus(t, "", "verify", file)
			if code != tc.code || !strings.Contains(out, tc.text) {
				t.Fatalf("verify: exit %d, want %d and %q\n%s\n%s", code, tc.code, tc.text, out, errs)
			}
			if tc.bad != "" && !strings.Contains(out, "BAD ") || !strings.Contains(out, tc.bad) {
				t.Errorf("verify does not say BAD ... %q:\n%s", tc.bad, out)
			}
			if tc.code == 0 && strings.Contains(out, "BAD ") {
				t.Errorf("verify passed with a BAD line:\n%s", out)
			}
			r, code := verifyJSON(t, "", file)
			var extra struct{ Duplicates int }
			jout, _, _ := tminus(t, "", "verify", "--json", file)
			if err := json.Unmarshal([]byte(jout), &extra); err != nil {
				t.Fatal(err)
			}
			if (code == 0) != r.OK || r.OK != (tc.code == 0) || extra.Duplicates != tc.dups || r.Events != tc.events {
				t.Errorf("verify --json: exit %d, ok %v, %d duplicates, %d events; want %d duplicates, %d events\n%s", code, r.OK, extra.Duplicates, r.Events, tc.dups, tc.events, jout)
			}
			// import agrees: what verify passes imports whole, with the same duplicates.
			bob, _ := joinHome(t, t.TempDir(), "carol")
			iout, ierrs, icode := tminus(t, bob, "bundle", "import", "--json", file)
			if tc.anyOrder {
				return // import takes any order: only verify holds an export to fold order
			}
			if (icode == 0) != (tc.code == 0) {
				t.Fatalf("import: exit %d, verify's %d\n%s\n%s", icode, tc.code, iout, ierrs)
			}
			if icode == 0 {
				var rep struct{ Added, Duplicates int }
				if err := json.Unmarshal([]byte(iout), &rep); err != nil || rep.Added != tc.events || rep.Duplicates != tc.dups {
					t.Errorf("import --json: %s (%v); want %d added, %d duplicates", iout, err, tc.events, tc.dups)
				}
			} else if n := eventCount(t, bob); n != 0 {
				t.Errorf("a refused import stored %d events", n)
			}
		})
	}
}

// An incident export redacts the other incidents' events: joined to a
// bundle, each of those ids is on two lines with different signed bytes,
// which verify fails (import refuses a redacted line anyway).
func TestVerifyRedactedBesideFull(t *testing.T) {
	alice, inc := newWorkspace(t)
	must(t, alice, "incident", "declare", "--title", "Other", "--severity", "P3")
	bundle := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, alice, "bundle", "export", bundle)
	export := filepath.Join(t.TempDir(), "inc.jsonl")
	must(t, alice, "export", inc[:8], "--format", "jsonl", "--out", export)
	file := writeFile(t, filepath.Join(t.TempDir(), "both.jsonl"), string(mustRead(t, bundle))+string(mustRead(t, export)))
	out, errs, code := tminus(t, "", "verify", file)
	if code != 1 || !strings.Contains(out, "with other signed bytes (another signature by the same key, or a redacted copy beside a full one)") ||
		!strings.Contains(out, "NOTE ") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errs)
	}
	bob, _ := joinHome(t, t.TempDir(), "bob")
	if _, errs, code := tminus(t, bob, "bundle", "import", file); code != 1 || !strings.Contains(errs, "is redacted") || eventCount(t, bob) != 0 {
		t.Errorf("import: exit %d, %s", code, errs)
	}
}

// Bundles of two workspaces joined into one file are refused whole by
// import, which says that the file changes workspace at that line, not
// that it is of another workspace than the home's.
func TestImportTwoWorkspacesJoined(t *testing.T) {
	_, _, c := newWorkspaceBundle(t, "acme")
	_, _, other := newWorkspaceBundle(t, "globex")
	file := writeFile(t, filepath.Join(t.TempDir(), "both.jsonl"), string(mustRead(t, c))+string(mustRead(t, other)))
	bob, _ := joinHome(t, t.TempDir(), "bob")
	_, errs, code := tminus(t, bob, "bundle", "import", file)
	want := fmt.Sprintf("tminus: %s line %d: ", file, lineCount(t, c)+1)
	if code != 1 || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "from that line on the file holds another workspace's events (bundles of two workspaces joined?)") {
		t.Errorf("import: exit %d, %s; want %s...", code, errs, want)
	}
	if n := eventCount(t, bob); n != 0 {
		t.Errorf("a refused import stored %d events", n)
	}
	_, errs, code = tminus(t, bob, "bundle", "import", other)
	if code != 0 {
		t.Errorf("import of the second workspace's bundle alone: exit %d, %s", code, errs)
	}
	_, errs, code = tminus(t, bob, "bundle", "import", c)
	if code != 1 || !strings.Contains(errs, " line 1: ") || !strings.Contains(errs, "the bundle is of another workspace than this home's") {
		t.Errorf("import of another workspace's bundle: exit %d, %s", code, errs)
	}
}

// newWorkspaceBundle is a new workspace named name, one incident in it, and
// its bundle.
func newWorkspaceBundle(t *testing.T, name string) (home, inc, bundle string) {
	t.Helper()
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	home = filepath.Join(t.TempDir(), name)
	must(t, home, "init", "--name", name, "--handle", "alice", "--light-kdf")
	inc = must(t, home, "incident", "declare", "--title", "Drain at "+name, "--severity", "P2")
	bundle = filepath.Join(t.TempDir(), name+".jsonl")
	must(t, home, "bundle", "export", bundle)
	return home, inc, bundle
}
