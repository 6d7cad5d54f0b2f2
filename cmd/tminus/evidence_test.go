package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/workspace"
)

// echoRunbook is a runbook that needs no approvals, so one member can run it.
const echoRunbook = `---
id: echo-status
title: Print a status line
when: Tests
severity: [P1]
risk: low
params:
  what:
    description: What to report
    pattern: '^[a-z]+$'
---
# Echo

1. Report
   ` + "```sh" + `
   echo paused {{what}}
   ` + "```" + `
`

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func evidenceOf(t *testing.T, home, inc string) []evidenceItemView {
	t.Helper()
	var items []evidenceItemView
	if err := json.Unmarshal([]byte(must(t, home, "evidence", "list", inc, "--json")), &items); err != nil {
		t.Fatal(err)
	}
	return items
}

func findEvidence(items []evidenceItemView, source string) *evidenceItemView {
	for i := range items {
		if items[i].Source == source {
			return &items[i]
		}
	}
	return nil
}

// Every kind of evidence an incident gathers is listed with where it came
// from and read back byte for byte: a file, a runbook run's output, and the
// webhook delivery an alert came in.
func TestEvidenceListAndGet(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "echo-status.md"), []byte(echoRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_RUNBOOKS", dir)
	home, inc := newWorkspace(t)
	ctx := context.Background()

	// An alert delivered by webhook, then linked to the incident.
	delivery := []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"VaultOutflow","severity":"critical"},"startsAt":"2026-12-06T10:00:00Z","fingerprint":"a1b2c3d4e5f60718"}]}`)
	alerts, err := watch.DecodeAlertmanager(delivery, nil)
	if err != nil {
		t.Fatal(err)
	}
	alerts[0].Payload = delivery
	h := &workspace.Home{Dir: home}
	if err := (alertSink{h}).Observe(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	h.Close()
	inc2 := must(t, home, "incident", "declare", "--title", "Outflow", "--severity", "P2", "--from-alert", "a1b2c3d4e5f60718")

	file := []byte("block 19442001 vault balance 1840 ETH\n")
	path := filepath.Join(t.TempDir(), "balances.txt")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, home, "evidence", "add", inc, path)
	prop := must(t, home, "runbook", "propose", inc, "echo-status", "--param", "what=vault")
	must(t, home, "runbook", "exec", prop)

	items := evidenceOf(t, home, inc)
	if len(items) != 2 {
		t.Fatalf("incident %s evidence: %+v, want a file and a runbook output", inc[:8], items)
	}
	f, out := findEvidence(items, "file"), findEvidence(items, "runbook")
	if f == nil || f.Hash != sha(file) || f.Name != "balances.txt" || f.Size != int64(len(file)) ||
		!strings.HasPrefix(f.MediaType, "text/plain") || f.By != "alice" || !f.Local {
		t.Errorf("file evidence: %+v", f)
	}
	if out == nil || out.Name != "echo-status step 1 output" || out.By != "alice" || !out.Local {
		t.Fatalf("runbook output evidence: %+v", out)
	}
	for _, e := range items {
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", e.At); err != nil {
			t.Errorf("%s at %q: %v", e.Name, e.At, err)
		}
	}
	if got := must(t, home, "evidence", "get", out.Hash[:10]); got != "paused vault" {
		t.Errorf("runbook output read back: %q", got)
	}
	// The retro lists the same evidence: the step's output, not only the file.
	retro := must(t, home, "export", inc, "--format", "md")
	for _, want := range []string{"| balances.txt | file | `" + f.Hash, "| echo-status step 1 output | runbook | `" + out.Hash} {
		if !strings.Contains(retro, want) {
			t.Errorf("the retro lacks %q:\n%s", want, retro)
		}
	}
	// -o writes the exact bytes (must trims stdout, a file does not).
	dst := filepath.Join(t.TempDir(), "copy")
	must(t, home, "evidence", "get", f.Hash[:8], "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, file) {
		t.Errorf("-o wrote %q, want %q", got, file)
	}

	al := findEvidence(evidenceOf(t, home, inc2), "alert")
	if al == nil || al.Hash != sha(delivery) || al.MediaType != "application/json" || al.Size != int64(len(delivery)) {
		t.Fatalf("alert payload evidence on %s: %+v", inc2[:8], al)
	}
	if show := must(t, home, "incident", "show", inc2); !strings.Contains(show, "payload sha256 "+al.Hash[:12]) {
		t.Errorf("the alert's timeline line does not name its payload:\n%s", show)
	}
	dst = filepath.Join(t.TempDir(), "delivery.json")
	must(t, home, "evidence", "get", al.Hash, "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, delivery) {
		t.Errorf("alert payload read back %q", got)
	}
	// The timeline shows the evidence with its short hash.
	if show := must(t, home, "incident", "show", inc); !strings.Contains(show, f.Hash[:12]) || !strings.Contains(show, out.Hash[:12]) {
		t.Errorf("incident show does not name the evidence hashes:\n%s", show)
	}
}

// Bad hashes are refused with a reason, and nothing is written.
func TestEvidenceGetRefusals(t *testing.T) {
	home, inc := newWorkspace(t)
	dir := t.TempDir()
	// Two files whose hashes share their first 6 hex characters.
	a, b := collidingPrefix(t, 6)
	for i, data := range [][]byte{a, b} {
		p := filepath.Join(dir, fmt.Sprint("f", i))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		must(t, home, "evidence", "add", inc, p)
	}
	dst := filepath.Join(dir, "out")
	for _, tt := range []struct {
		name, ref string
		code      int
		want      string
	}{
		{"too short", sha(a)[:5], 2, "at least 6"},
		{"not hex", "zzzzzzzz", 2, "sha256 hex"},
		{"unknown", strings.Repeat("0", 63) + "1", 1, "lacks blob"},
		{"unknown prefix", "ffffff00", 1, "no evidence"},
		{"ambiguous", sha(a)[:6], 2, "ambiguous"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := tminus(t, home, "evidence", "get", tt.ref, "-o", dst, "--timeout", "1s")
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("evidence get %s: exit %d, stderr %q; want exit %d and %q", tt.ref, code, errs, tt.code, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s was written", dst)
			}
		})
	}
	if got := must(t, home, "evidence", "get", sha(a)[:20]); got != strings.TrimSpace(string(a)) {
		t.Errorf("a longer prefix reads %q", got)
	}

	// A blob whose bytes were changed behind the store's back is refused,
	// and verify names it.
	db, err := sql.Open("sqlite", filepath.Join(home, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE blobs SET data = ? WHERE hash = ?", []byte("forged\n"), sha(b)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, errs, code := tminus(t, home, "evidence", "get", sha(b), "-o", dst); code == 0 || !strings.Contains(errs, "damaged") {
		t.Errorf("damaged blob: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("a damaged blob was written out")
	}
	if out, errs, code := tminus(t, home, "verify"); code == 0 || !strings.Contains(out+errs, sha(b)[:12]) {
		t.Errorf("verify with a damaged blob: exit %d\n%s\n%s", code, out, errs)
	}
}

// collidingPrefix finds two short texts whose sha256 share n hex digits.
func collidingPrefix(t *testing.T, n int) ([]byte, []byte) {
	t.Helper()
	seen := map[string][]byte{}
	for i := 0; i < 1<<22; i++ {
		data := []byte(fmt.Sprintf("note %d\n", i))
		p := sha(data)[:n]
		if other, ok := seen[p]; ok {
			return other, data
		}
		seen[p] = data
	}
	t.Fatal("no collision")
	return nil, nil
}

// A copy that lacks a blob says who has it, and fetches it once their node
// is online: bob imports alice's events by bundle (events only, --no-blobs),
// then asks her running node for the file.
func TestEvidenceGetFetchesFromPeer(t *testing.T) {
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	inc := c.run(a, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	data := bytes.Repeat([]byte("trace line\n"), 1000)
	path := filepath.Join(t.TempDir(), "trace.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.run(a, "evidence", "add", inc, path)
	bundle := filepath.Join(t.TempDir(), "events.jsonl")
	c.run(a, "bundle", "export", bundle, "--no-blobs")
	c.run(b, "bundle", "import", bundle)

	var items []evidenceItemView
	if err := json.Unmarshal([]byte(c.run(b, "evidence", "list", inc, "--json")), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Local || items[0].By != "alice" {
		t.Fatalf("bob's evidence list: %+v", items)
	}
	hash := items[0].Hash
	cmd := exec.Command(c.bin, "--home", b, "evidence", "get", hash[:12], "--timeout", "2s")
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err == nil || len(out) > 0 || !strings.Contains(stderr.String(), "alice has it") {
		t.Fatalf("get with alice offline: %v, %d bytes out, stderr %s", err, len(out), stderr.String())
	}

	s := c.serve(a)
	c.run(b, "peer", "add", s.enode)
	dst := filepath.Join(t.TempDir(), "trace.log")
	c.run(b, "evidence", "get", hash[:12], "-o", dst)
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatalf("fetched %d bytes, want alice's %d", len(got), len(data))
	}
	if got := c.run(b, "evidence", "list", inc, "--json"); !strings.Contains(got, `"local":true`) {
		t.Errorf("after the fetch: %s", got)
	}
}

// Every replica names an evidence file's type alike, whether it holds the
// bytes or not (a bundle without blobs): text/csv by its name on both,
// where the holder used to sniff text/plain.
func TestEvidenceMediaTypeAgreesAcrossReplicas(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "evidence", "add", inc, writeFile(t, filepath.Join(t.TempDir(), "outflows.csv"), "block,eth\n19442001,1840\n"))
	bob, _ := joinHome(t, t.TempDir(), "bob")
	file := filepath.Join(t.TempDir(), "b.jsonl")
	must(t, home, "bundle", "export", file, "--no-blobs")
	must(t, bob, "bundle", "import", file)
	var types []string
	for _, h := range []string{home, bob} {
		var items []struct {
			MediaType string `json:"media_type"`
			Local     bool
		}
		if err := json.Unmarshal([]byte(must(t, h, "evidence", "list", inc[:8], "--json")), &items); err != nil || len(items) != 1 {
			t.Fatalf("evidence list: %+v %v", items, err)
		}
		types = append(types, items[0].MediaType)
	}
	if types[0] != types[1] || !strings.HasPrefix(types[0], "text/csv") {
		t.Errorf("media types %q on the holder and %q on a copy without the bytes, want text/csv on both", types[0], types[1])
	}
}
