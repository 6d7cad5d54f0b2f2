package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// The exit codes of /work/shared/CLI.md, which scripts branch on: 2 for
// wrong usage, whatever the store holds (a malformed or ambiguous id, a
// flag value no event can carry, a --param the runbook refuses), 1 for
// the rest (not found, refused by policy, I/O). An error is one line on
// stderr starting with "tminus: ", nothing on stdout, nothing stored.
func TestContractExitCodes(t *testing.T) {
	home, inc := newWorkspace(t)
	addr := "0x3333333333333333333333333333333333333333"
	a1, a2 := alertsSharingPrefix(t)
	must(t, home, "alert", "raise", "--title", "one", "--fingerprint", a1)
	must(t, home, "alert", "raise", "--title", "two", "--fingerprint", a2)
	shared := domain.AlertID(a1).String()[:6]

	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		// An id too short, too long or not hex: usage in every command that takes one.
		{"incident show short", []string{"incident", "show", "abc"}, 2, "at least 6"},
		{"incident show not hex", []string{"incident", "show", "abcdeg"}, 2, "not hex"},
		{"incident show too long", []string{"incident", "show", inc + "00"}, 2, "longer than an id"},
		{"incident severity short", []string{"incident", "severity", "abc", "P2"}, 2, "at least 6"},
		{"incident status short", []string{"incident", "status", "abc", "triaged"}, 2, "at least 6"},
		{"incident assign short", []string{"incident", "assign", "abc", "triage", "alice"}, 2, "at least 6"},
		{"note short", []string{"note", "abc", "x"}, 2, "at least 6"},
		{"task add short", []string{"task", "add", "abc", "--title", "t"}, 2, "at least 6"},
		{"task done short", []string{"task", "done", "abc"}, 2, "at least 6"},
		{"timer set short", []string{"timer", "set", "abc", "--label", "l", "--in", "5m"}, 2, "at least 6"},
		{"evidence list short", []string{"evidence", "list", "abc"}, 2, "at least 6"},
		{"evidence get short", []string{"evidence", "get", "abc"}, 2, "at least 6"},
		{"export short", []string{"export", "abc", "--format", "md"}, 2, "at least 6"},
		{"member approve short", []string{"member", "approve", "abc"}, 2, "at least 6"},
		{"runbook approve short", []string{"runbook", "approve", "abc"}, 2, "at least 6"},
		{"runbook exec short", []string{"runbook", "exec", "abc", "--dry-run"}, 2, "at least 6"},
		{"runbook propose short", []string{"runbook", "propose", "abc", "host-quarantine", "--param", "host=web1"}, 2, "at least 6"},
		{"proof revoke short", []string{"proof", "revoke", "abc"}, 2, "at least 6"},
		{"alert ack short", []string{"alert", "ack", "abc"}, 2, "at least 6"},
		{"declare from short alert", []string{"incident", "declare", "--title", "x", "--severity", "P2", "--from-alert", "abc"}, 2, "at least 6"},
		// A prefix two alerts share: usage too, fixed by typing more.
		{"alert ack ambiguous", []string{"alert", "ack", shared}, 2, "ambiguous"},
		// Well formed but absent: not found, 1.
		{"incident show unknown", []string{"incident", "show", "ffffff"}, 1, "not found"},
		{"task done unknown", []string{"task", "done", "ffffff"}, 1, "not found"},
		{"alert ack unknown", []string{"alert", "ack", "ffffff"}, 1, "not found"},
		// member list --json is the array of members CLI.md names; the pending
		// proposals and their ids are in the text form.
		{"member approve unknown", []string{"member", "approve", "ffffff"}, 1, "not found (tminus member list shows ids)"},

		// Flag values no event can carry.
		{"alert raise bad severity", []string{"alert", "raise", "--title", "x", "--severity", "P9"}, 2, "want P1..P4"},
		{"alert raise empty title", []string{"alert", "raise", "--title", ""}, 2, "title is required"},
		{"member add no role", []string{"member", "add", addr, "--handle", "carol"}, 2, "a new member needs at least one role: give --role"},
		{"member add bad handle", []string{"member", "add", addr, "--handle", "Bad Handle", "--role", "triage"}, 2, "handle"},
		{"member add unknown role", []string{"member", "add", addr, "--handle", "carol", "--role", "nosuch"}, 2, "unknown role"},
		{"runbook propose missing param", []string{"runbook", "propose", inc, "host-quarantine"}, 2, "missing param host"},
		{"runbook propose unknown param", []string{"runbook", "propose", inc, "host-quarantine", "--param", "host=a", "--param", "bogus=1"}, 2, "unknown param bogus"},
		{"runbook propose param pattern", []string{"runbook", "propose", inc, "host-quarantine", "--param", "host=a;b"}, 2, "does not match"},
		{"safe propose missing param", []string{"safe", "propose", inc, "--runbook", "contract-pause", "--rpc", "http://127.0.0.1:1"}, 2, "missing param"},
		{"safe propose param twice", []string{"safe", "propose", inc, "--runbook", "contract-pause", "--rpc", "http://127.0.0.1:1",
			"--param", "safe=" + addr, "--param", "safe=0x4444444444444444444444444444444444444444"}, 2, "--param safe given twice"},
		{"safe propose no safe block", []string{"safe", "propose", inc, "--runbook", "host-quarantine", "--rpc", "http://127.0.0.1:1"}, 2, "has no safe: block"},
		{"theme unknown, cockpit", []string{"--theme", "bogus"}, 2, "--theme \"bogus\": want one of"},
		{"theme unknown, any command", []string{"--theme", "bogus", "incident", "list"}, 2, "want one of dark"},
		{"serve malformed listen", []string{"serve", "--listen", "garbage"}, 2, "want HOST:PORT"},
		{"serve malformed webhook", []string{"serve", "--webhook", "127.0.0.1:99999"}, 2, "want a number"},

		// Refused by the state: 1.
		{"member add key of a member", []string{"member", "add", mustAddress(t, home), "--handle", "bob", "--role", "triage"}, 1, "already a key of alice"},
		{"runbook propose unknown runbook", []string{"runbook", "propose", inc, "nosuch"}, 1, "not found"},
	}
	before := eventCount(t, home)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := tminus(t, home, c.args...)
			if code != c.code || out != "" || strings.Contains(errs, "\n") || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, c.msg) {
				t.Errorf("tminus %s: exit %d, stdout %q, stderr %q; want exit %d, nothing on stdout, one line with %q",
					strings.Join(c.args, " "), code, out, errs, c.code, c.msg)
			}
		})
	}
	if after := eventCount(t, home); after != before {
		t.Errorf("failed commands stored %d events", after-before)
	}
}

// Ids are accepted as CLI.md says: any unique prefix of at least 6 hex
// characters, in any case, with or without 0x, the same in every command.
func TestContractIDForms(t *testing.T) {
	home, inc := newWorkspace(t)
	task := must(t, home, "task", "add", inc, "--title", "t")
	for _, ref := range []string{inc[:6], "0x" + inc[:8], "0X" + strings.ToUpper(inc[:8]), strings.ToUpper(inc)} {
		var shown struct{ ID string }
		if err := json.Unmarshal([]byte(must(t, home, "incident", "show", ref, "--json")), &shown); err != nil || shown.ID != inc {
			t.Errorf("incident show %s: %q, %v; want %s", ref, shown.ID, err, inc)
		}
	}
	must(t, home, "task", "done", "0X"+strings.ToUpper(task[:8]))
	alert := must(t, home, "alert", "raise", "--title", "x")
	must(t, home, "alert", "ack", "0X"+strings.ToUpper(alert[:8]))
}

// runbook show takes --json, as every command that shows something does:
// the list's fields with the steps and params themselves.
func TestContractRunbookShowJSON(t *testing.T) {
	home, _ := newWorkspace(t)
	var d struct {
		ID        string   `json:"id"`
		Risk      string   `json:"risk"`
		Quorum    int      `json:"quorum"`
		Approvers []string `json:"approvers"`
		Hash      string   `json:"content_hash"`
		Steps     []struct {
			Number  int    `json:"number"`
			Title   string `json:"title"`
			Command string `json:"command"`
		} `json:"steps"`
		Params []struct {
			Name    string `json:"name"`
			Pattern string `json:"pattern"`
		} `json:"params"`
	}
	out := must(t, home, "runbook", "show", "host-quarantine", "--json")
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("runbook show --json: %v\n%s", err, out)
	}
	if d.ID != "host-quarantine" || d.Risk != "high" || d.Quorum < 1 || len(d.Approvers) == 0 || len(d.Hash) != 64 {
		t.Errorf("runbook show --json: %+v", d)
	}
	if len(d.Steps) == 0 || d.Steps[0].Number != 1 || !strings.Contains(d.Steps[0].Command, "{{host}}") {
		t.Errorf("runbook show --json steps: %+v", d.Steps)
	}
	if len(d.Params) == 0 || d.Params[0].Name != "host" || d.Params[0].Pattern == "" {
		t.Errorf("runbook show --json params: %+v", d.Params)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(must(t, home, "runbook", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	var full map[string]any
	json.Unmarshal([]byte(out), &full)
	for _, r := range list {
		if r["id"] != "host-quarantine" {
			continue
		}
		for k, v := range r {
			if k != "steps" && fmt.Sprint(full[k]) != fmt.Sprint(v) {
				t.Errorf("runbook show --json %s = %v, runbook list --json says %v", k, full[k], v)
			}
		}
	}
}

// alertsSharingPrefix finds two fingerprints whose alert ids share their
// first six hex characters (a birthday search over 24 bits: a few
// thousand hashes).
func alertsSharingPrefix(t *testing.T) (string, string) {
	t.Helper()
	seen := map[string]string{}
	for i := 0; i < 1<<20; i++ {
		fp := fmt.Sprintf("fp-%d", i)
		p := domain.AlertID(fp).String()[:6]
		if other, ok := seen[p]; ok {
			return other, fp
		}
		seen[p] = fp
	}
	t.Fatal("no two alert ids share a prefix")
	return "", ""
}

// mustAddress is home's address, from id --json.
func mustAddress(t *testing.T, home string) string {
	t.Helper()
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, home, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	return id.Address
}

// runbook exec --json exits as runbook exec does: a run that failed is
// recorded, printed as one JSON document, and exits 1 with the error on
// stderr (it exited 0 with --json, so a script saw a failed step as done).
func TestContractRunbookExecJSONFailure(t *testing.T) {
	home, inc := newWorkspace(t)
	dir := t.TempDir()
	t.Setenv("TMINUS_RUNBOOKS", dir)
	failing := strings.NewReplacer("stand-in-check", "failing-check", "echo looked", "echo looked; exit 3").Replace(lowRisk)
	if err := os.WriteFile(filepath.Join(dir, "failing-check.md"), []byte(failing), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{false, true} {
		id := must(t, home, "runbook", "propose", inc, "failing-check")
		args := []string{"runbook", "exec", id}
		if asJSON {
			args = append(args, "--json")
		}
		out, errs, code := tminus(t, home, args...)
		if code != 1 || !strings.Contains(errs, "tminus: the command exited 3 (recorded)") {
			t.Errorf("tminus %s: exit %d, stderr %q; want exit 1 saying the command exited 3", strings.Join(args, " "), code, errs)
		}
		if !asJSON {
			continue
		}
		var res struct {
			ID       string `json:"id"`
			ExitCode int    `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.ExitCode != 3 || len(res.ID) != 64 {
			t.Errorf("runbook exec --json: %q (%v); want one JSON document with exit_code 3 and the event id", out, err)
		}
	}
}

// help names an existing command or is wrong usage, as the mistyped
// command itself is (cobra printed the root's help and exited 0).
func TestContractHelpTopic(t *testing.T) {
	home := t.TempDir()
	if out := must(t, home, "help", "incident", "show"); !strings.Contains(out, "tminus incident show INCIDENT") {
		t.Errorf("help incident show:\n%s", out)
	}
	for _, args := range [][]string{{"help", "nosuch"}, {"help", "incident", "nosuch"}} {
		out, errs, code := tminus(t, home, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, "no help topic") {
			t.Errorf("tminus %s: exit %d, stdout %q, stderr %q; want exit 2 and one error line", strings.Join(args, " "), code, out, errs)
		}
	}
}

// --runbooks DIR, which CLI.md gives for runbooks wherever they are used,
// reaches the cockpit: a broken runbook there is named (it was an unknown
// flag, so the cockpit could only take TMINUS_RUNBOOKS or the config).
func TestContractCockpitRunbooksFlag(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.md"), []byte("no front matter\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, code := tminus(t, home, "--runbooks", dir)
	if code != 1 || !strings.Contains(errs, "broken.md") {
		t.Errorf("tminus --runbooks DIR: exit %d, stderr %q; want the cockpit to load DIR and name broken.md", code, errs)
	}
}

// export --out - is stdout, as evidence get -o - is, not a file named "-"
// in the working directory.
func TestContractExportOutDash(t *testing.T) {
	home, inc := newWorkspace(t)
	t.Chdir(t.TempDir())
	want := must(t, home, "export", inc, "--format", "jsonl")
	if got := must(t, home, "export", inc, "--format", "jsonl", "--out", "-"); got != want || want == "" {
		t.Errorf("export --out - printed %d bytes, export without --out %d", len(got), len(want))
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`export --out - wrote a file named "-"`)
	}
}

// A write that would change nothing is refused, exit 1, nothing signed, as
// a second ack, task assign to the task's owner or a severity the incident
// already has are: naming the lead already in place, or proposing a
// roster change already pending (whose approvals would then split between
// two proposals, neither reaching the quorum).
func TestContractNothingToChange(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "member", "add", "0x3333333333333333333333333333333333333333", "--handle", "bob", "--role", "triage")
	// Two members: a roster change now waits for a second approval.
	pending := must(t, home, "member", "add", "0x4444444444444444444444444444444444444444", "--handle", "carol", "--role", "comms")
	must(t, home, "member", "remove", "bob")
	must(t, home, "member", "policy", "--role", "comms", "--min-proofs", "0")
	must(t, home, "incident", "assign", inc, "triage", "bob")

	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"same lead", []string{"incident", "assign", inc, "triage", "bob"}, "bob already leads triage"},
		{"same lead by address", []string{"incident", "assign", inc, "triage", "0x3333333333333333333333333333333333333333"}, "bob already leads triage"},
		{"policy pending", []string{"member", "policy", "--role", "comms", "--min-proofs", "0"}, "already pending as proposal"},
		{"add pending", []string{"member", "add", "0x4444444444444444444444444444444444444444", "--handle", "carol", "--role", "comms"},
			"already pending as proposal " + pending[:10]},
		{"remove pending", []string{"member", "remove", "bob"}, "already pending as proposal"},
	}
	before := eventCount(t, home)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := tminus(t, home, c.args...)
			if code != 1 || out != "" || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, c.msg) {
				t.Errorf("tminus %s: exit %d, stdout %q, stderr %q; want exit 1 and an error with %q",
					strings.Join(c.args, " "), code, out, errs, c.msg)
			}
		})
	}
	if after := eventCount(t, home); after != before {
		t.Errorf("refused commands stored %d events", after-before)
	}
	// Still allowed: another lead, another role for the same address.
	must(t, home, "incident", "assign", inc, "triage", "alice")
	must(t, home, "member", "add", "0x4444444444444444444444444444444444444444", "--handle", "carol", "--role", "triage")
}

// state-hash takes --json, as every command that shows something does.
func TestContractStateHashJSON(t *testing.T) {
	home, _ := newWorkspace(t)
	var d struct {
		StateHash string `json:"state_hash"`
	}
	out := must(t, home, "state-hash", "--json")
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.StateHash != must(t, home, "state-hash") || len(d.StateHash) != 64 {
		t.Errorf("state-hash --json: %q (%v); want {\"state_hash\"} with the plain form's digest", out, err)
	}
}

// A founder who is an observer could neither write nor approve a roster
// change: the workspace would be dead from its genesis. init refuses it as
// wrong usage and creates nothing.
func TestContractInitFounderMustVote(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	for _, roles := range []string{"observer", "observer,triage"} {
		home := filepath.Join(t.TempDir(), "founder")
		out, errs, code := tminus(t, home, "init", "--name", "acme", "--handle", "alice", "--role", roles, "--light-kdf")
		if code != 2 || out != "" || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, "an observer cannot") {
			t.Errorf("init --role %s: exit %d, stdout %q, stderr %q; want exit 2 saying an observer cannot found it", roles, code, out, errs)
		}
		if _, err := os.Stat(filepath.Join(home, "key.json")); err == nil {
			t.Errorf("init --role %s wrote a key", roles)
		}
	}
}
