package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

type verifyReport struct {
	OK       bool
	Problems []struct {
		Line int
		Msg  string
	}
	Forks []forkView

	// a bundle's sidecar (bundle_verify_test.go)
	Events         int      `json:"events"`
	Blobs          int      `json:"blobs"`
	BadBlobs       []string `json:"bad_blobs"`
	BlobsDir       string   `json:"blobs_dir"`
	BlobsDirExists bool     `json:"blobs_dir_exists"`
	BlobsMissing   []string `json:"blobs_missing"`
	BlobsUnnamed   []string `json:"blobs_unnamed"`
	CutShort       bool     `json:"cut_short"`
}

// verifyJSON runs verify --json in home (on FILE when given) and returns
// its report and exit status.
func verifyJSON(t *testing.T, home string, args ...string) (verifyReport, int) {
	t.Helper()
	out, errs, code := tminus(t, home, append([]string{"verify", "--json"}, args...)...)
	var r verifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json %v: %v\n%s\n%s", args, err, out, errs)
	}
	return r, code
}

// forkedPair is a workspace at roster quorum 1 where alice's home was
// copied and both copies wrote at the same seq: bob holds both events.
func forkedPair(t *testing.T) (alice, bob string) {
	t.Helper()
	dir := t.TempDir()
	alice = founder(t, dir, 1)
	inc := must(t, alice, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	bob, bobAddr := joinHome(t, dir, "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	copied := filepath.Join(dir, "alice-copy")
	if out, err := exec.Command("cp", "-a", alice, copied).CombinedOutput(); err != nil {
		t.Fatalf("copy the home: %v %s", err, out)
	}
	must(t, alice, "note", inc[:8], "from alice")
	must(t, copied, "note", inc[:8], "from the copy")
	carry(t, alice, bob)
	carry(t, copied, bob)
	return alice, bob
}

// A fork fails verify while the forked key stands, saying what the roster
// must do; once the roster removed the member it is a finding and verify
// passes, on the store and on an export alike. An integrity problem still
// fails a file whose only fork was dealt with.
func TestVerifyForkFailsOnlyWhileTheKeyStands(t *testing.T) {
	_, bob := forkedPair(t)
	nobody := filepath.Join(t.TempDir(), "nobody") // verify FILE needs no workspace
	export := func(name string) string {
		f := filepath.Join(t.TempDir(), name)
		must(t, bob, "bundle", "export", f)
		return f
	}
	standing := export("standing.jsonl")
	for _, c := range []struct {
		name string
		home string
		args []string
	}{{"store", bob, nil}, {"file", nobody, []string{standing}}} {
		t.Run("standing/"+c.name, func(t *testing.T) {
			out, errs, code := tminus(t, c.home, append([]string{"verify"}, c.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
			}
			for _, want := range []string{"equivocation", "alice's key still stands", "tminus member rotate alice", "tminus member remove alice"} {
				if !strings.Contains(errs, want) || !strings.Contains(out, "BAD ") {
					t.Errorf("missing %q:\nstdout %s\nstderr %s", want, out, errs)
				}
			}
			r, code := verifyJSON(t, c.home, c.args...)
			if code != 1 || r.OK || len(r.Forks) != 1 || !r.Forks[0].Standing || r.Forks[0].Member != "alice" || len(r.Problems) != 1 {
				t.Errorf("--json: exit %d %+v", code, r)
			}
		})
	}

	must(t, bob, "member", "remove", "alice")
	dealt := export("dealt.jsonl")
	for _, c := range []struct {
		name string
		home string
		args []string
	}{{"store", bob, nil}, {"file", nobody, []string{dealt}}} {
		t.Run("removed/"+c.name, func(t *testing.T) {
			out, errs, code := tminus(t, c.home, append([]string{"verify"}, c.args...)...)
			if code != 0 || !strings.Contains(out, "FORKED ") || !strings.Contains(out, "alice was removed from the roster") ||
				!strings.Contains(out, "OK: 1 fork(s)") || strings.Contains(out, "BAD ") {
				t.Errorf("exit %d\n%s\n%s", code, out, errs)
			}
			r, code := verifyJSON(t, c.home, c.args...)
			if code != 0 || !r.OK || len(r.Forks) != 1 || r.Forks[0].Standing || len(r.Problems) != 0 || len(r.Forks[0].Lines) != 2 {
				t.Errorf("--json: exit %d %+v", code, r)
			}
		})
	}

	// Integrity still fails: the file's first line repeated at its end,
	// its kind changed (repeated byte for byte, it is a duplicate, which
	// import ignores and verify notes).
	data, err := os.ReadFile(dealt)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitAfter(string(data), "\n")[0]
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.jsonl"), string(data)+strings.Replace(first, `"kind":"`, `"kind":"x`, 1))
	out, errs, code := tminus(t, nobody, "verify", bad)
	if code != 1 || !strings.Contains(errs, fmt.Sprintf(`line %d: malformed event: field "kind" disagrees with raw`, strings.Count(string(data), "\n")+1)) ||
		!strings.Contains(out, "FORKED ") {
		t.Errorf("a damaged file with a dealt-with fork: exit %d\n%s\n%s", code, out, errs)
	}
}

// A fork by a key its member rotated out (a stolen copy signing at the
// rotation's seq) is dealt with: verify reports it and passes.
func TestVerifyForkAgainstARotatedKeyPasses(t *testing.T) {
	dir := t.TempDir()
	alice, inc, key, bob := provenPair(t, dir, "alice-proof")
	thief := filepath.Join(dir, "thief")
	if out, err := exec.Command("cp", "-a", alice, thief).CombinedOutput(); err != nil {
		t.Fatalf("copy the home: %v %s", err, out)
	}
	must(t, alice, "key", "rotate", "--key", key, "--light-kdf")
	must(t, thief, "note", inc[:8], "from the stolen copy")
	carry(t, alice, bob)
	carry(t, thief, bob)
	out, errs, code := tminus(t, bob, "verify")
	if code != 0 || !strings.Contains(out, "FORKED ") || !strings.Contains(out, "alice rotated this key out") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	r, code := verifyJSON(t, bob)
	if code != 0 || !r.OK || len(r.Forks) != 1 || r.Forks[0].Standing || r.Forks[0].Member != "alice" {
		t.Errorf("--json: exit %d %+v", code, r)
	}
}

// judgeForks against hand-made rosters: a stranger's key and a removed
// member's are dealt with, an active member's stands; a problem that does
// not read as the audit's equivocation is never dropped.
func TestJudgeForks(t *testing.T) {
	key := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	fork := seenFork{author: key, seq: 3, first: 4, second: 7}
	equiv := domain.Problem{Line: 7, Msg: "equivocation: " + key.Hex() + " signed seq 3 twice (also line 4)"}
	other := domain.Problem{Line: 2, Msg: "signature does not match author"}
	roster := func(active bool) *domain.State {
		s := domain.NewState()
		s.Members["carol"] = &domain.Member{Handle: "carol", Roles: []string{"triage"}, Keys: []common.Address{key}, Active: active}
		s.Keys[key] = "carol"
		return s
	}
	cases := []struct {
		name     string
		state    *domain.State
		problems []domain.Problem
		standing bool
		left     int // problems left
		status   string
	}{
		{"stranger", domain.NewState(), []domain.Problem{other, equiv}, false, 1, "belongs to no member"},
		{"removed", roster(false), []domain.Problem{equiv}, false, 0, "carol was removed"},
		{"standing", roster(true), []domain.Problem{equiv, other}, true, 2, "tminus member remove carol"},
		{"unrecognised problem", roster(false), []domain.Problem{{Line: 7, Msg: "equivocation, reworded"}}, false, 1, "carol was removed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &forkAudit{forks: []seenFork{fork}}
			left, views := f.judgeForks(append([]domain.Problem{}, c.problems...), c.state)
			if len(views) != 1 || views[0].Standing != c.standing || !strings.Contains(views[0].Status, c.status) {
				t.Fatalf("views %+v", views)
			}
			if len(left) != c.left {
				t.Errorf("problems left %+v, want %d", left, c.left)
			}
			if c.standing && !strings.Contains(left[0].Msg, "still stands") {
				t.Errorf("the standing fork's problem does not say what to do: %+v", left)
			}
		})
	}
}

// verify --anchor judges forks as plain verify does: it fails while the
// forked key stands and passes, naming the fork, once the roster dealt
// with it.
func TestVerifyAnchorForkPolicy(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	_, bob := forkedPair(t)
	must(t, bob, "anchor", "--rpc", c.RPC, "--key", keystoreFile(t, c.Funder, "anchor"))
	export := func(name string) string {
		f := filepath.Join(t.TempDir(), name)
		must(t, bob, "bundle", "export", f)
		return f
	}
	_, errs, code := tminus(t, bob, "verify", "--anchor", "--rpc", c.RPC, export("standing.jsonl"))
	if code != 1 || !strings.Contains(errs, "alice's key still stands") {
		t.Fatalf("fork by a standing key: exit %d, %s", code, errs)
	}
	must(t, bob, "member", "remove", "alice")
	out, errs, code := tminus(t, bob, "verify", "--anchor", "--rpc", c.RPC, export("dealt.jsonl"))
	if code != 0 || !strings.Contains(errs, "FORKED ") || !strings.Contains(out, "OK: root") {
		t.Fatalf("fork dealt with: exit %d\n%s\n%s", code, out, errs)
	}
}
