package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// The --json fields docs/cli.md documents beyond ../shared/CLI.md, pinned
// here so that the page and the binary cannot drift apart unnoticed: a
// field renamed or dropped fails one of these tables. A path is a chain of
// keys; "[]" steps into every element of a list, which must not be empty.
// When a field here changes, change docs/cli.md with it.

// jsonPaths reports the paths of want that v lacks.
func jsonPaths(t *testing.T, what string, v any, want []string) {
	t.Helper()
	for _, p := range want {
		if why := lacks(v, strings.Split(p, ".")); why != "" {
			t.Errorf("%s: %s: %s (docs/cli.md documents it)", what, p, why)
		}
	}
}

// lacks walks v along keys: "" when every step is there.
func lacks(v any, keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	k := keys[0]
	if k == "[]" {
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Sprintf("want a non-empty list, got %v", v)
		}
		for _, e := range list {
			if why := lacks(e, keys[1:]); why != "" {
				return why
			}
		}
		return ""
	}
	if strings.HasSuffix(k, "[]") {
		return lacks(v, append([]string{strings.TrimSuffix(k, "[]"), "[]"}, keys[1:]...))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("want an object at %q, got %T", k, v)
	}
	x, ok := m[k]
	if !ok {
		return fmt.Sprintf("no %q", k)
	}
	return lacks(x, keys[1:])
}

func decodeAny(t *testing.T, what, out string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: not one JSON document: %v\n%s", what, err, out)
	}
	return v
}

var (
	checksumAddr = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	lowerAddr    = regexp.MustCompile(`^0x[0-9a-f]{40}$`)
)

// The read-only views, on the demo workspace (one of everything, a Safe
// proposal included, without a chain).
func TestContractDocumentedViews(t *testing.T) {
	home := filepath.Join(t.TempDir(), "demo")
	must(t, home, "demo", "--seed-only", home)
	var incs []map[string]any
	if err := json.Unmarshal([]byte(must(t, home, "incident", "list", "--json")), &incs); err != nil {
		t.Fatal(err)
	}
	var withSafe, safeID string
	for _, inc := range incs {
		var d struct {
			SafeTxs []struct{ ID string } `json:"safe_txs"`
		}
		id := inc["id"].(string)
		json.Unmarshal([]byte(must(t, home, "incident", "show", id, "--json")), &d)
		if len(d.SafeTxs) > 0 {
			withSafe, safeID = id, d.SafeTxs[0].ID
			break
		}
	}
	if withSafe == "" {
		t.Fatal("the demo workspace has no incident with a Safe proposal")
	}
	safeFields := []string{"id", "incident", "runbook", "runbook_hash", "chain_id", "safe", "version", "to", "value", "data",
		"function", "args", "decoded", "operation", "allow_delegatecall", "nonce", "safe_tx_gas", "base_gas", "gas_price",
		"gas_token", "refund_receiver", "domain_hash", "message_hash", "safe_tx_hash", "owners", "threshold", "confirmations",
		"signatures[].owner", "signatures[].signature", "signatures[].by", "signatures[].at", "signatures[].event",
		"executed", "refused_signatures", "by", "at"}
	prefixed := func(prefix string, fields []string) []string {
		out := make([]string, len(fields))
		for i, f := range fields {
			out[i] = prefix + f
		}
		return out
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"id"}, []string{"address", "handle", "roles", "enode", "keystore", "live", "workspace", "member"}},
		{[]string{"incident", "list"}, []string{"[].declared_by", "[].leads", "[].transitions", "[].tasks", "[].timers"}},
		{[]string{"incident", "show", withSafe}, append([]string{"transitions.declared", "timeline[].event", "notes[].event",
			"tasks[].id", "tasks[].title", "tasks[].done", "tasks[].incident", "timers[].id", "timers[].label", "timers[].due", "timers[].met",
			"proposals[].id", "proposals[].runbook", "proposals[].step", "proposals[].command", "proposals[].risk", "proposals[].quorum",
			"proposals[].approvals", "proposals[].approved", "proposals[].by", "proposals[].at"}, prefixed("safe_txs[].", safeFields)...)},
		{[]string{"alert", "list"}, []string{"[].observed_by", "[].corroboration", "[].first_seen", "[].last_seen", "[].incident", "[].firing_acked_by"}},
		{[]string{"member", "list"}, []string{"[].keys", "[].active", "[].proofs", "[].proof_count", "[].roles_met", "[].min_proofs"}},
		{[]string{"proof", "list"}, []string{"[].id", "[].member", "[].kind", "[].fingerprint", "[].algorithm", "[].issued_at", "[].expires", "[].status"}},
		{[]string{"metrics"}, []string{"incidents", "mtta_s", "mttc_s", "mttr_s", "mttt_s", "mttrec_s", "mean_s.acknowledge", "median_s.resolve",
			"n.contain", "skewed_excluded", "per_incident[].id", "per_incident[].title", "per_incident[].drill", "per_incident[].start",
			"per_incident[].times_s", "per_incident[].skewed", "drills.incidents", "drills.wall_clock", "drills.mean_s", "drills.skewed_excluded"}},
		{[]string{"safe", "show", safeID}, safeFields},
		{[]string{"safe", "export", safeID}, []string{"safe", "to", "value", "data", "operation", "safeTxGas", "baseGas", "gasPrice",
			"gasToken", "refundReceiver", "nonce", "contractTransactionHash", "sender", "signature", "origin", "signatures[].owner", "signatures[].signature"}},
		{[]string{"runbook", "list"}, []string{"[].id", "[].title", "[].when", "[].severity", "[].risk", "[].quorum", "[].approvers",
			"[].steps", "[].content_hash", "[].source"}},
		{[]string{"runbook", "show", "contract-pause"}, []string{"content_hash", "steps[].number", "steps[].title", "steps[].command",
			"steps[].notes", "params[].name", "params[].description", "params[].pattern", "safe.chain_id", "safe.address", "safe.to",
			"safe.function", "safe.args", "safe.value", "safe.operation"}},
		{[]string{"verify"}, []string{"source", "workspace", "events", "redacted", "signers", "problems", "forks", "refused", "ok", "blobs", "bad_blobs"}},
	}
	views := map[string]any{}
	for _, c := range cases {
		what := strings.Join(c.args, " ") + " --json"
		v := decodeAny(t, what, must(t, home, append(c.args, "--json")...))
		views[c.args[0]+" "+c.args[1%len(c.args)]] = v
		jsonPaths(t, what, v, c.want)
		// null only for an unknown time or number of seconds (json_times_test.go)
		for _, p := range nulls(what, v) {
			t.Errorf("%s: %s is null, want [] or {} (docs/cli.md, absent values)", what, p)
		}
	}

	// The conventions: handles where the incident views say who, addresses
	// (checksummed) for leads and observers, [] rather than null.
	shown := views["incident show"].(map[string]any)
	if by, _ := shown["declared_by"].(string); by == "" || strings.HasPrefix(by, "0x") {
		t.Errorf("incident show declared_by = %v, want a handle", shown["declared_by"])
	}
	for role, a := range shown["leads"].(map[string]any) {
		if s, _ := a.(string); !checksumAddr.MatchString(s) || s == strings.ToLower(s) {
			t.Errorf("incident show leads.%s = %v, want a checksummed address", role, a)
		}
	}
	for _, tx := range shown["safe_txs"].([]any) {
		if r, ok := tx.(map[string]any)["refused_signatures"].([]any); !ok || r == nil {
			t.Errorf("incident show safe_txs[].refused_signatures = %v, want [] as safe show prints it", tx.(map[string]any)["refused_signatures"])
		}
		if _, ok := tx.(map[string]any)["threshold"].(string); !ok {
			t.Errorf("incident show safe_txs[].threshold is not a decimal string")
		}
	}

	// log --json: author lower-case hex, time the signed integer (unix ms).
	lines := strings.Split(must(t, home, "log", "--json"), "\n")
	for i, l := range lines {
		var ev map[string]any
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		if err := d.Decode(&ev); err != nil {
			t.Fatalf("log --json line %d: %v", i+1, err)
		}
		jsonPaths(t, "log --json", ev, []string{"id", "ws", "author", "seq", "prev", "lamport", "deps", "time", "kind", "body", "sig", "raw"})
		if a, _ := ev["author"].(string); !lowerAddr.MatchString(a) {
			t.Errorf("log --json line %d: author %v, want lower-case hex", i+1, ev["author"])
		}
		if n, ok := ev["time"].(json.Number); !ok {
			t.Errorf("log --json line %d: time %v, want unix milliseconds", i+1, ev["time"])
		} else if ms, err := n.Int64(); err != nil || ms < 1e12 {
			t.Errorf("log --json line %d: time %v, want unix milliseconds", i+1, n)
		}
	}
}

// The outputs of commands that write, on one workspace: the extras of
// their --json, the bundle sidecar fields, the drill's plan and score.
func TestContractDocumentedWrites(t *testing.T) {
	home, inc := newWorkspace(t)
	addr := mustAddress(t, home)
	json1 := func(args ...string) any {
		t.Helper()
		return decodeAny(t, strings.Join(args, " "), must(t, home, append(args, "--json")...))
	}
	field := func(v any, k string) string {
		t.Helper()
		s, _ := v.(map[string]any)[k].(string)
		if s == "" {
			t.Fatalf("no %q in %v", k, v)
		}
		return s
	}

	raised := json1("alert", "raise", "--title", "Outflow", "--fingerprint", "fp-doc")
	jsonPaths(t, "alert raise", raised, []string{"id", "fingerprint", "event"})
	// The plain form prints the alert id, which alert ack takes.
	if plain := must(t, home, "alert", "raise", "--title", "Outflow", "--fingerprint", "fp-doc"); plain != field(raised, "id") {
		t.Errorf("alert raise printed %s, want the alert id %s", plain, field(raised, "id"))
	}
	jsonPaths(t, "alert ack", json1("alert", "ack", field(raised, "id")), []string{"id", "alert"})
	jsonPaths(t, "member add", json1("member", "add", "0x3333333333333333333333333333333333333333", "--handle", "carol", "--role", "triage"),
		[]string{"id", "applied", "approvals", "quorum"})
	jsonPaths(t, "runbook propose", json1("runbook", "propose", inc, "host-quarantine", "--param", "host=web1"),
		[]string{"id", "command", "risk", "quorum"})
	prop := field(json1("runbook", "propose", inc, "host-quarantine", "--param", "host=web2"), "id")
	// A dry run the gate refuses (quorum 2, one approval): its JSON, exit 1.
	out, _, code := tminus(t, home, "runbook", "exec", prop, "--dry-run", "--json")
	dry := decodeAny(t, "runbook exec --dry-run", out)
	jsonPaths(t, "runbook exec --dry-run", dry, []string{"command", "approved", "conditions[].what", "conditions[].ok", "allowed", "dry_run"})
	if code != 1 || dry.(map[string]any)["allowed"] != false {
		t.Errorf("runbook exec --dry-run --json of a refused proposal: exit %d, %v; want exit 1 and allowed false", code, dry)
	}

	file := filepath.Join(t.TempDir(), "balances.txt")
	if err := os.WriteFile(file, []byte("1840 ETH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonPaths(t, "evidence add", json1("evidence", "add", inc, file), []string{"id"})
	jsonPaths(t, "evidence list", json1("evidence", "list", inc), []string{"[].hash", "[].name", "[].size", "[].media_type",
		"[].by", "[].at", "[].source", "[].event", "[].local"})

	// A drill, scored at once (the facilitator's own acks never count).
	scenario := writeScenario(t, "name: Doc drill\nseverity: P3\ninjects:\n  - at: 0s\n    alert: {title: \"Quick\", fingerprint: doc-1}\n"+
		"expect:\n  - what: acknowledged\n    within: 1s\n")
	if _, errs, code := tminus(t, home, "drill", "run", scenario, "--speed", "3601"); code != 2 {
		t.Errorf("drill run --speed 3601: exit %d (%s), want 2", code, errs)
	}
	card := json1("drill", "run", scenario, "--speed", "600")
	jsonPaths(t, "drill run", card, []string{"incident", "scenario", "speed", "met", "total", "expectations[].what",
		"expectations[].within", "expectations[].met", "expectations[].score", "expectations[].after_s"})
	drills := json1("drill", "list")
	jsonPaths(t, "drill list", drills, []string{"[].id", "[].title", "[].severity", "[].status", "[].declared_at", "[].declared_by",
		"[].scored", "[].scenario", "[].speed", "[].running", "[].met", "[].total", "[].milestones[].what", "[].milestones[].reached",
		"[].milestones[].at", "[].milestones[].after_s", "[].milestones[].scenario_after_s", "[].milestones[].deadline_s",
		"[].milestones[].deadline_at"})
	if by := drills.([]any)[0].(map[string]any)["declared_by"]; by != addr {
		t.Errorf("drill list declared_by = %v, want the facilitator's address %s", by, addr)
	}
	if n := len(drills.([]any)[0].(map[string]any)["milestones"].([]any)); n != 5 {
		t.Errorf("drill list: %d milestones, want all five", n)
	}
	metrics := json1("metrics")
	jsonPaths(t, "metrics", metrics, []string{"drills.incidents", "drills.wall_clock", "per_incident[].id"})
	var drillDeclared bool
	for _, l := range strings.Split(must(t, home, "log", "--json"), "\n") {
		var ev struct {
			Kind string
			Body map[string]any
		}
		json.Unmarshal([]byte(l), &ev)
		if ev.Kind == "incident.declare" && ev.Body["plan"] != nil {
			drillDeclared = true
		}
	}
	if !drillDeclared {
		t.Error("log --json: no incident.declare with a plan after drill run")
	}

	// Bundles: the checksum file, verify FILE's sidecar fields, import's counts.
	bundle := filepath.Join(t.TempDir(), "all.jsonl")
	must(t, home, "bundle", "export", bundle)
	if _, err := os.Stat(bundle + ".sha256"); err != nil {
		t.Errorf("bundle export wrote no FILE.sha256: %v", err)
	}
	verified := json1("verify", bundle)
	jsonPaths(t, "verify FILE", verified, []string{"blobs", "bad_blobs", "blobs_dir", "blobs_dir_exists", "blobs_missing",
		"blobs_unnamed", "cut_short", "checksum", "forks", "refused", "ok"})
	if c := verified.(map[string]any)["checksum"]; c != "ok" {
		t.Errorf("verify FILE --json checksum = %v, want ok", c)
	}
	imported := json1("bundle", "import", bundle)
	jsonPaths(t, "bundle import", imported, []string{"added", "duplicates", "orphaned", "forks", "skewed", "blobs",
		"blobs_here", "blobs_ignored", "blobs_refused", "checksum"})
	if c := imported.(map[string]any)["checksum"]; c != "ok" {
		t.Errorf("bundle import --json checksum = %v, want ok", c)
	}
	if err := os.Remove(bundle + ".sha256"); err != nil {
		t.Fatal(err)
	}
	if c := json1("verify", bundle).(map[string]any)["checksum"]; c != "absent" {
		t.Errorf("verify FILE --json without FILE.sha256: checksum = %v, want absent", c)
	}
}

// The Safe commands' --json, on a simulated chain: every count and amount
// a decimal string, as safe show gives them, and refused_signatures [].
func TestContractDocumentedSafe(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{HTTP: true})
	home, inc := newWorkspace(t)
	proposed := decodeAny(t, "safe propose", must(t, home, "safe", "propose", inc[:8], "--rpc", c.RPC, "--runbook", "contract-pause",
		"--param", "safe="+c.Safe.Hex(), "--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337", "--json"))
	jsonPaths(t, "safe propose", proposed, []string{"id", "safe_tx_hash", "nonce", "threshold"})
	p := proposed.(map[string]any)
	id, _ := p["id"].(string)
	if _, ok := p["threshold"].(string); !ok {
		t.Errorf("safe propose --json threshold = %v (%T), want a decimal string as in safe show and safe sign", p["threshold"], p["threshold"])
	}
	for i := range 2 {
		signed := decodeAny(t, "safe sign", must(t, home, "safe", "sign", id[:8], "--owner-key", keystoreFile(t, c.OwnerKeys[i], fmt.Sprint("owner", i)), "--json"))
		jsonPaths(t, "safe sign", signed, []string{"id", "owner", "confirmations", "threshold"})
		if got := signed.(map[string]any)["confirmations"]; got != fmt.Sprint(i+1) {
			t.Errorf("safe sign --json confirmations = %v, want %q", got, fmt.Sprint(i+1))
		}
	}
	execd := decodeAny(t, "safe exec", must(t, home, "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", keystoreFile(t, c.Funder, "gas"), "--json"))
	jsonPaths(t, "safe exec", execd, []string{"id", "tx_hash", "block", "status", "event", "success"})
	shown := decodeAny(t, "safe show", must(t, home, "safe", "show", id[:8], "--json"))
	jsonPaths(t, "safe show", shown, []string{"executed", "exec.tx_hash", "exec.block", "exec.success", "refused_signatures"})
	var inc2 struct {
		SafeTxs []map[string]any `json:"safe_txs"`
	}
	json.Unmarshal([]byte(must(t, home, "incident", "show", inc, "--json")), &inc2)
	if len(inc2.SafeTxs) != 1 {
		t.Fatalf("incident show: %d safe_txs, want 1", len(inc2.SafeTxs))
	}
	if r, ok := inc2.SafeTxs[0]["refused_signatures"].([]any); !ok || r == nil {
		t.Errorf("incident show safe_txs[0].refused_signatures = %v, want [] as safe show prints it", inc2.SafeTxs[0]["refused_signatures"])
	}
}
