package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

// msTime is jsonTimeFormat as a pattern: UTC, milliseconds, always three digits.
var msTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// isTimeKey names the keys that hold a time.
func isTimeKey(k string) bool {
	switch k {
	case "at", "time", "due", "expires", "start", "end", "first_seen", "last_seen", "until", "since":
		return true
	}
	return strings.HasSuffix(k, "_at")
}

// timeChecker walks decoded JSON (decoded with UseNumber) for times in any
// format but jsonTimeFormat.
type timeChecker struct {
	problems []string
	times    int // time values seen
}

func (c *timeChecker) walk(path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			if isTimeKey(k) {
				switch t := x[k].(type) {
				case nil: // unset, said as null
				case string:
					c.checkTime(p, t)
				default:
					c.problems = append(c.problems, fmt.Sprintf("%s = %v (%T): a time must be a string", p, t, t))
				}
				continue
			}
			c.walk(p, x[k])
		}
	case []any:
		for i, e := range x {
			c.walk(fmt.Sprintf("%s[%d]", path, i), e)
		}
	case json.Number:
		if f, err := x.Float64(); err == nil && (f > 1e12 || f < -1e12) {
			c.problems = append(c.problems, fmt.Sprintf("%s = %s: looks like unix milliseconds", path, x))
		}
	case string:
		// A time under any other key (a map of status to time) is held to
		// the same format.
		if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			c.checkTime(path, x)
		}
	}
}

func (c *timeChecker) checkTime(path, s string) {
	c.times++
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !msTime.MatchString(s) {
		c.problems = append(c.problems, fmt.Sprintf("%s = %q: want RFC 3339 in UTC with milliseconds, like 2026-12-06T12:40:37.123Z", path, s))
	}
	if _, err := time.Parse(jsonTimeFormat, s); err != nil {
		c.problems = append(c.problems, fmt.Sprintf("%s = %q: %v", path, s, err))
	}
}

func decodeJSON(t *testing.T, doc string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if d.More() {
		t.Fatalf("more than one JSON document:\n%s", doc)
	}
	return v
}

func TestTimeCheckerCatchesOtherFormats(t *testing.T) {
	for _, c := range []struct {
		doc string
		ok  bool
	}{
		{`{"at":"2026-12-06T12:40:37.123Z","due":null,"declared_at":"2026-12-06T12:40:37.000Z"}`, true},
		{`{"transitions":{"triaged":"2026-12-06T12:40:37.120Z"},"size":1048576,"duration_ms":812}`, true},
		{`{"at":1796560837123}`, false},
		{`{"exec":{"at":1796560837123}}`, false},
		{`{"at":""}`, false},
		{`{"done_at":"2026-12-06T12:40:37Z"}`, false},
		{`{"at":"2026-12-06T13:40:37.123+01:00"}`, false},
		{`{"at":"2026-12-06T12:40:37.123456Z"}`, false},
		{`[{"seen":1796560837123}]`, false},
		{`{"transitions":{"triaged":"2026-12-06T12:40:37Z"}}`, false},
	} {
		var tc timeChecker
		tc.walk("$", decodeJSON(t, c.doc))
		if (len(tc.problems) == 0) != c.ok {
			t.Errorf("%s: problems %v, want ok=%v", c.doc, tc.problems, c.ok)
		}
	}
	if got := ts(1796560837120); got != "2026-12-06T12:40:37.120Z" {
		t.Errorf("ts = %q", got)
	}
	if ts(0) != "" || tsOrNil(0) != nil {
		t.Error("an unset time must be empty (omitted) or null")
	}
}

// lowRisk is a runbook any member may run without approvals.
const lowRisk = `---
id: stand-in-check
title: Stand-in for a read-only check
when: Tests
severity: [P1, P2]
risk: low
---
# Stand-in

1. Look
   ` + "```sh" + `
   echo looked
   ` + "```" + `
`

// Every --json output writes times one way, RFC 3339 in UTC with
// milliseconds, on a workspace with one of everything: no integer time,
// and no domain struct printed as it is. The signed lines (log --json, the
// jsonl export) keep the integer "time" that is signed; they are the wire
// format. Each command of the tree with --json is run here or named in
// exempt with the reason.
func TestJSONTimes(t *testing.T) {
	w := newCockpitWorkspace(t) // alice, an incident, bob (triage) whose key signs here, the stand-in runbooks
	home, inc := w.home, w.incident
	if err := os.WriteFile(filepath.Join(os.Getenv("TMINUS_RUNBOOKS"), "stand-in-check.md"), []byte(lowRisk), 0o600); err != nil {
		t.Fatal(err)
	}

	covered := map[string]bool{}
	seen := 0
	// check runs a command with --json, checks its output and returns it decoded.
	check := func(args ...string) any {
		t.Helper()
		out := must(t, home, append(args, "--json")...)
		covered[commandPath(t, args)] = true
		v := decodeJSON(t, out)
		var tc timeChecker
		tc.walk(strings.Join(args, " "), v)
		for _, p := range tc.problems {
			t.Errorf("tminus %s --json: %s", strings.Join(args, " "), p)
		}
		for _, p := range nulls(strings.Join(args, " "), v) {
			t.Errorf("tminus %s --json: %s is null: an empty list is [], an empty object {}", strings.Join(args, " "), p)
		}
		seen += tc.times
		return v
	}
	field := func(v any, key string) string {
		t.Helper()
		s, _ := v.(map[string]any)[key].(string)
		if s == "" {
			t.Fatalf("no %q in %v", key, v)
		}
		return s
	}

	// Identities and the roster: carol joins; bob proposes her, alice's
	// approval applies it (two members: quorum 2); alice proposes dave.
	carolHome := filepath.Join(t.TempDir(), "carol")
	carol := decodeJSON(t, must(t, carolHome, "join", "--handle", "carol", "--light-kdf", "--json"))
	covered["tminus join"] = true
	zedHome := filepath.Join(t.TempDir(), "zed")
	decodeJSON(t, must(t, zedHome, "init", "--name", "other", "--handle", "zed", "--light-kdf", "--json"))
	covered["tminus init"] = true
	prop := w.bobs(t, &domain.MemberPropose{Action: domain.ActionAdd,
		Member: domain.MemberSpec{Address: common.HexToAddress(field(carol, "address")), Handle: "carol", Roles: []string{"observer"}}})
	if field(check("member", "approve", prop), "proposal") != prop {
		t.Fatal("member approve names another proposal")
	}
	dave, _ := crypto.GenerateKey()
	check("member", "add", crypto.PubkeyToAddress(dave.PublicKey).Hex(), "--handle", "dave", "--role", "observer")
	check("member", "remove", "carol")
	check("id")

	// The incident: a task with a due time, one done, a recurring timer, a
	// note, evidence, a status reached, an alert acknowledged and linked.
	check("incident", "status", inc, "triaged")
	check("incident", "severity", inc, "P2")
	check("incident", "assign", inc, "triage", "alice")
	check("task", "add", inc, "--title", "Snapshot balances", "--due", "15m")
	done := field(check("task", "add", inc, "--title", "Page the bridge team"), "id")
	check("task", "assign", done, "alice")
	check("task", "done", done)
	check("task", "reopen", done)
	check("task", "done", done)
	timer := field(check("timer", "set", inc, "--label", "Containment", "--in", "15m", "--every", "30m"), "id")
	check("timer", "done", timer)
	check("note", inc, "attacker funded via a mixer")
	file := filepath.Join(t.TempDir(), "balances.txt")
	os.WriteFile(file, []byte("1840 ETH\n"), 0o600)
	check("evidence", "add", inc, file)
	alert := field(check("alert", "raise", "--title", "Paused() on the bridge", "--severity", "P2", "--source", "chain"), "id")
	check("alert", "ack", alert)
	check("incident", "declare", "--title", "Bridge paused", "--severity", "P2", "--from-alert", alert)

	// Runbooks: bob proposes the high-risk stand-in, alice's approval makes
	// the quorum and she runs it; she proposes and runs the low-risk one.
	bobs := w.bobs(t, w.pauseProposal(t))
	check("runbook", "approve", bobs)
	check("runbook", "exec", bobs)
	low := field(check("runbook", "propose", inc, "stand-in-check"), "id")
	check("runbook", "exec", low)
	check("runbook", "list")
	check("runbook", "show", "stand-in-check")

	// Replication: a peer (never seen, so no last_seen), a bundle imported again.
	must(t, home, "peer", "add", field(carol, "enode"))
	check("peer", "list")
	bundle := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, home, "bundle", "export", bundle)
	check("bundle", "import", bundle)
	check("verify")

	// A drill whose expectation is missed at once (the facilitator's own
	// acks never count), for its score card.
	scenario := writeScenario(t, "name: Quick drill\nseverity: P3\ninjects:\n  - at: 0s\n    alert: {title: \"Quick\", fingerprint: quick-1}\n"+
		"expect:\n  - what: acknowledged\n    within: 1s\n")
	check("drill", "run", scenario, "--speed", "600")
	check("drill", "list")

	// The listings, on all of that.
	if n := len(check("incident", "list").([]any)); n != 3 {
		t.Errorf("incident list: %d incidents, want 3", n)
	}
	check("alert", "list")
	check("evidence", "list", inc)
	check("member", "list")
	check("metrics")
	check("state-hash")
	shown := check("incident", "show", inc).(map[string]any)
	var executed int
	for _, p := range shown["proposals"].([]any) {
		if ex, ok := p.(map[string]any)["exec"].(map[string]any); ok {
			if at, _ := ex["at"].(string); msTime.MatchString(at) {
				executed++
			}
		}
	}
	if executed != 2 {
		t.Errorf("incident show: %d proposals with an exec at in the JSON time format, want 2: %v", executed, shown["proposals"])
	}
	for _, k := range []string{"declared_at"} {
		if s, _ := shown[k].(string); !msTime.MatchString(s) {
			t.Errorf("incident show: %s = %v", k, shown[k])
		}
	}
	if task := shown["tasks"].([]any); len(task) != 2 {
		t.Errorf("tasks: %v", task)
	}

	checkIdentityJSON(t, w, check) // proofs and key rotation (proof_cli_test.go)

	// The agent's expiry, from an agent in this process.
	check2 := agentStatusJSON(t, home)
	covered["tminus agent status"] = true
	var tc timeChecker
	tc.walk("agent status", check2)
	if exp, _ := check2.(map[string]any)["expires"].(string); len(tc.problems) > 0 || !msTime.MatchString(exp) {
		t.Errorf("agent status --json: expires %v, %v", check2.(map[string]any)["expires"], tc.problems)
	}
	seen += tc.times

	if seen < 40 {
		t.Errorf("only %d times checked: the workspace is thinner than meant", seen)
	}

	// The signed lines keep their integer time: it is what is signed.
	line := strings.SplitN(must(t, home, "log", "--json"), "\n", 2)[0]
	var ev map[string]any
	d := json.NewDecoder(strings.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	if n, ok := ev["time"].(json.Number); !ok || n.String() == "" {
		t.Errorf("log --json time = %v (%T): the wire format's time is the signed integer", ev["time"], ev["time"])
	}

	exempt := map[string]string{
		"tminus log":  "the signed wire format: its time is the signed integer (checked above)",
		"tminus sync": "counts only (sync.Stats); needs a second node",
	}
	for _, path := range onChainJSONCommands { // need a chain: checked by safe_e2e_test.go's checkedJSON
		exempt[path] = "checked on a simulated chain"
	}
	for _, path := range jsonCommands() {
		if !covered[path] && exempt[path] == "" {
			t.Errorf("%s --json is not checked here: add it to TestJSONTimes", path)
		}
	}
}

// nullableKey reports whether a key's value may be null: a scalar said as
// unset, a time (isTimeKey) or a duration in seconds (after_s, mttr_s, and
// the phases of mean_s). Any other null is a list or object printed from a
// nil slice or map, which must be [] or {} for scripts (jq's
// .problems | length fails on null).
func nullableKey(parent, k string) bool {
	return isTimeKey(k) || strings.HasSuffix(k, "_s") || strings.HasSuffix(parent, "_s")
}

// nulls lists the paths in decoded JSON whose null is not allowed.
func nulls(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		parent := path[strings.LastIndex(path, ".")+1:]
		for k, e := range x {
			if e == nil && !nullableKey(parent, k) {
				out = append(out, path+"."+k)
			}
			out = append(out, nulls(path+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			if e == nil {
				out = append(out, fmt.Sprintf("%s[%d]", path, i))
			}
			out = append(out, nulls(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	sort.Strings(out)
	return out
}

// commandPath is the command path args run, e.g. "tminus incident show".
func commandPath(t *testing.T, args []string) string {
	t.Helper()
	c, _, err := (&app{home: &workspace.Home{}}).commands().Find(args)
	if err != nil {
		t.Fatal(err)
	}
	return c.CommandPath()
}

// jsonCommands lists the commands that take --json.
func jsonCommands() []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("json") != nil {
			out = append(out, c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk((&app{home: &workspace.Home{}}).commands())
	return out
}

// agentStatusJSON runs agent status --json against an agent served in this
// process for home, with an hour to live.
func agentStatusJSON(t *testing.T, home string) any {
	t.Helper()
	key, err := store.UnlockKey(filepath.Join(home, "key.json"), []byte(os.Getenv("TMINUS_PASSPHRASE")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "a.sock")
	ctx, cancel := context.WithCancel(context.Background())
	l, err := agent.Listen(ctx, sock)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ag := &app{home: &workspace.Home{Dir: home}}
	served := make(chan error, 1)
	go func() { served <- ag.serveAgent(ctx, l, key, time.Hour, io.Discard) }()
	defer func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, context.Canceled) {
			t.Errorf("agent: %v", err)
		}
		ag.home.Close()
	}()
	t.Setenv(workspace.AgentSockEnv, sock)
	return decodeJSON(t, must(t, home, "agent", "status", "--json"))
}
