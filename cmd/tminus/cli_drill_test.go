package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExportUnknownIncident(t *testing.T) {
	home, _ := newWorkspace(t)
	_, errs, code := tminus(t, home, "export", "abcdef123456", "--format", "md")
	if code != 1 || !strings.Contains(errs, "incident abcdef123456 not found") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	_, errs, code = tminus(t, home, "export", "abcdef123456", "--format", "pdf")
	if code != 2 || !strings.Contains(errs, "want md or jsonl") {
		t.Errorf("bad format: exit %d, stderr %q", code, errs)
	}
}

// exportedIncident builds a workspace with two incidents and exports the
// first as jsonl; it returns the home, the file and the file's lines.
func exportedIncident(t *testing.T) (home, file string, lines []string) {
	t.Helper()
	home, inc := newWorkspace(t)
	other := must(t, home, "incident", "declare", "--title", "Secret other breach", "--severity", "P2")
	must(t, home, "note", other[:8], "other incident detail nobody outside may read")
	must(t, home, "task", "add", inc[:8], "--title", "Snapshot balances")
	must(t, home, "incident", "severity", inc[:8], "P2")
	must(t, home, "incident", "status", inc[:8], "contained")
	must(t, home, "note", inc[:8], "paused the vault")
	file = filepath.Join(t.TempDir(), "inc.jsonl")
	must(t, home, "export", inc[:8], "--format", "jsonl", "--out", file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "Secret other breach") || strings.Contains(string(data), "nobody outside") {
		t.Error("the export discloses another incident")
	}
	if !strings.Contains(string(data), "paused the vault") {
		t.Error("the export lacks the incident's own note")
	}
	return home, file, strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestExportJSONLVerifies(t *testing.T) {
	home, file, lines := exportedIncident(t)
	out := must(t, home, "verify", file)
	if !strings.Contains(out, "OK") || !strings.Contains(out, "(2 redacted)") {
		t.Errorf("verify: %s", out)
	}
	if len(lines) != 8 {
		t.Errorf("%d lines, want every stored event (8)", len(lines))
	}
	// The file verifies with no store at all.
	if out := must(t, filepath.Join(t.TempDir(), "nobody"), "verify", file); !strings.Contains(out, "OK") {
		t.Errorf("verify without a workspace: %s", out)
	}
}

func TestExportMarkdown(t *testing.T) {
	home, inc := newWorkspace(t)
	must(t, home, "incident", "severity", inc[:8], "P2")
	must(t, home, "incident", "status", inc[:8], "contained")
	out := must(t, home, "export", inc[:8], "--format", "md")
	for _, want := range []string{"# Post-incident review: Vault drain", "## Severity history", "| P2 | alice |", "status declared -> contained", "Time to contain |"} {
		if !strings.Contains(out, want) {
			t.Errorf("retro lacks %q:\n%s", want, out)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"incidents", "mtta_s", "mttc_s", "mttr_s", "drills"} {
		if _, ok := m[k]; !ok {
			t.Errorf("metrics --json lacks %q: %v", k, m)
		}
	}
	if m["incidents"].(float64) != 1 || m["mttc_s"] == nil || m["mttr_s"] != nil {
		t.Errorf("metrics: %v", m)
	}
	if !strings.Contains(out, "| Review due | 72 h after the incident is resolved (not resolved yet) |") {
		t.Errorf("an unresolved incident's review date:\n%s", out)
	}
	// Once resolved, the review is due when the "Retro due" timer says, as incident show has it.
	must(t, home, "incident", "status", inc[:8], "resolved")
	var shown struct{ Timers []struct{ Label, Due string } }
	mustJSON(t, must(t, home, "incident", "show", inc[:8], "--json"), &shown)
	due := ""
	for _, tm := range shown.Timers {
		if tm.Label == "Retro due" {
			due = tm.Due
		}
	}
	at, err := time.Parse(time.RFC3339, due)
	if err != nil {
		t.Fatalf("the retro timer's due %q: %v", due, err)
	}
	out = must(t, home, "export", inc[:8], "--format", "md")
	if want := "| Review due | " + at.UTC().Format("2006-01-02 15:04:05") + " UTC (72 h after it was first resolved) |"; !strings.Contains(out, want) {
		t.Errorf("retro lacks %q:\n%s", want, out)
	}
}

func TestVerifyTamperedExport(t *testing.T) {
	home, _, lines := exportedIncident(t)
	declare := -1
	for i, l := range lines {
		if strings.Contains(l, `"kind":"incident.declare"`) && strings.Contains(l, "Vault drain") {
			declare = i
		}
	}
	if declare < 0 {
		t.Fatal("no declare line")
	}
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	cp := func() []string { return append([]string{}, lines...) }
	swapped := cp()
	swapped[3], swapped[4] = swapped[4], swapped[3]
	altered := cp()
	altered[declare] = strings.Replace(altered[declare], "Vault drain", "Vault drainage", 1)
	cases := []struct{ name, text, want string }{
		{"reordered", join(swapped...), "line 5: out of order"},
		{"removed", join(append(cp()[:4], cp()[5:]...)...), "seq 5 is missing"},
		// A line repeated byte for byte is no tampering: import stores the
		// event once, and verify notes it (TestVerifyConcatenatedBundles).
		{"altered", join(altered...), `field "body" disagrees with raw`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), c.name+".jsonl")
			if err := os.WriteFile(f, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errs, code := tminus(t, home, "verify", f)
			if code == 0 || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want a report of %q:\n%s\n%s", code, c.want, out, errs)
			}
		})
	}
}

const tinyScenario = `name: Tiny drill
severity: P2
injects:
  - at: 0s
    alert: {title: "Tiny alert", fingerprint: tiny-1}
  - at: 1m
    note: "attacker funded through a mixer"
expect:
  - what: acknowledged
    within: 20m
  - what: contained
    within: 4h
  - what: resolved
    within: 1m
`

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDrillRun has the facilitator work its own drill: neither its
// acknowledgement nor its containment counts (the team's responders meet
// expectations, not the one who declared the drill; drill_e2e_test.go has
// them).
func TestDrillRun(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeScenario(t, tinyScenario)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { // a responder, working the drill through the CLI
		defer close(done)
		for ctx.Err() == nil {
			out, _, _ := tminus(t, home, "alert", "list", "--json")
			var alerts []struct{ ID, Incident string }
			json.Unmarshal([]byte(out), &alerts)
			for _, al := range alerts {
				if al.Incident == "" {
					continue
				}
				if _, errs, code := tminus(t, home, "alert", "ack", al.ID); code != 0 {
					t.Errorf("ack: %s", errs)
				}
				if _, errs, code := tminus(t, home, "incident", "status", al.Incident, "contained"); code != 0 {
					t.Errorf("contain: %s", errs)
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	out, errs, code := tminus(t, home, "drill", "run", file, "--speed", "600", "--json")
	<-done
	if code != 0 {
		t.Fatalf("drill run: exit %d: %s", code, errs)
	}
	var card struct {
		Incident     string
		Expectations []struct {
			What, Within string
			Met          bool
			AfterS       *float64 `json:"after_s"`
		}
	}
	if err := json.Unmarshal([]byte(out), &card); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]bool{"acknowledged": false, "contained": false, "resolved": false}
	if len(card.Expectations) != 3 {
		t.Fatalf("score card: %s", out)
	}
	for _, e := range card.Expectations {
		if e.Met != want[e.What] {
			t.Errorf("%s within %s: met %v, want %v (%s)", e.What, e.Within, e.Met, want[e.What], out)
		}
		if e.Met && (e.AfterS == nil || *e.AfterS <= 0) {
			t.Errorf("%s: after_s %v", e.What, e.AfterS)
		}
		if e.AfterS != nil {
			t.Errorf("the facilitator's own %s counted for the team: %s", e.What, out)
		}
	}
	var incs []struct {
		ID    string
		Drill bool
	}
	json.Unmarshal([]byte(must(t, home, "incident", "list", "--json")), &incs)
	found := false
	for _, inc := range incs {
		found = found || (inc.ID == card.Incident && inc.Drill)
	}
	if !found {
		t.Errorf("no drill incident %s in %v", card.Incident, incs)
	}
	var m struct {
		Incidents int
		Drills    struct{ Incidents int }
	}
	json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m)
	if m.Incidents != 1 || m.Drills.Incidents != 1 {
		t.Errorf("metrics count the drill as real: %+v", m)
	}
}

func TestDrillRunErrors(t *testing.T) {
	home, _ := newWorkspace(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown inject kind", []string{writeScenario(t, strings.Replace(tinyScenario, "    note:", "    tweet:", 1))}, 1, `:7: inject 2: unknown inject kind "tweet"`},
		{"offsets out of order", []string{writeScenario(t, strings.Replace(tinyScenario, "at: 0s", "at: 2m", 1))}, 1, ":6: inject 2: offsets out of order"},
		{"negative speed", []string{writeScenario(t, tinyScenario), "--speed", "-1"}, 2, "--speed -1"},
		{"absurd speed", []string{writeScenario(t, tinyScenario), "--speed", "1e9"}, 2, "at most 3600"},
		{"zero speed", []string{writeScenario(t, tinyScenario), "--speed", "0"}, 2, "at least 0.001"},
		{"speed near zero", []string{writeScenario(t, tinyScenario), "--speed", "1e-9"}, 2, "at least 0.001"},
		{"NaN speed", []string{writeScenario(t, tinyScenario), "--speed", "NaN"}, 2, "--speed NaN"},
		{"sub-millisecond deadline", []string{writeScenario(t, strings.Replace(tinyScenario, "within: 1m", "within: 1500us", 1))}, 1,
			"within 1.5ms is finer than a millisecond"},
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.yaml")}, 1, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs, code := tminus(t, home, append([]string{"drill", "run"}, c.args...)...)
			if code != c.code || !strings.Contains(errs, c.msg) || !strings.HasPrefix(errs, "tminus: ") {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, c.code, c.msg)
			}
		})
	}
	if out := must(t, home, "incident", "list", "--json"); strings.Count(out, `"drill":true`) != 0 {
		t.Errorf("a refused drill declared an incident: %s", out)
	}
}

const drillPeerScenario = `name: Peer drill
severity: P2
injects:
  - at: 0s
    alert: {title: "Bridge paused", fingerprint: peer-1}
  - at: 0s
    peer: {as: sim-bridge-ops, action: ack}
  - at: 0s
    peer: {as: sim-bridge-ops, action: severity, severity: P1}
  - at: 1s
    peer: {as: sim-bridge-ops, action: task, title: "Freeze the attacker's deposits"}
  - at: 1s
    peer: {as: sim-bridge-ops, action: note, text: "We paused our side"}
expect:
  - what: acknowledged
    within: 5m
`

// Peer injects are signed by a simulated peer the drill adds to the
// roster; its acknowledgement shows but does not count for the team.
func TestDrillPeerInjects(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeScenario(t, drillPeerScenario)
	for run := 0; run < 2; run++ { // the second run reuses the simulated peer
		out, errs, code := tminus(t, home, "drill", "run", file, "--speed", "600", "--json")
		if code != 0 {
			t.Fatalf("drill run: exit %d: %s", code, errs)
		}
		if !strings.Contains(errs, "peer sim-bridge-ops: note: We paused our side") {
			t.Errorf("progress: %s", errs)
		}
		var card struct {
			Incident     string
			Expectations []struct {
				Met    bool
				AfterS *float64 `json:"after_s"`
			}
		}
		json.Unmarshal([]byte(out), &card)
		if len(card.Expectations) != 1 || card.Expectations[0].Met || card.Expectations[0].AfterS != nil {
			t.Errorf("a simulated peer's ack counted: %s", out)
		}
		var inc struct {
			Severity string
			Timeline []struct{ By, Kind, Text string }
			Tasks    []any
		}
		json.Unmarshal([]byte(must(t, home, "incident", "show", card.Incident[:10], "--json")), &inc)
		byPeer := map[string]bool{}
		for _, e := range inc.Timeline {
			if e.By == "sim-bridge-ops" {
				byPeer[e.Kind] = true
			}
		}
		if inc.Severity != "P1" || len(inc.Tasks) != 1 || len(byPeer) != 4 {
			t.Errorf("severity %s, %d tasks, peer's kinds %v: %+v", inc.Severity, len(inc.Tasks), byPeer, inc)
		}
	}
	var members []struct {
		Handle string
		Roles  []string
	}
	json.Unmarshal([]byte(must(t, home, "member", "list", "--json")), &members)
	if len(members) != 2 || members[1].Handle != "sim-bridge-ops" || strings.Join(members[1].Roles, ",") != "observer,reporter" {
		t.Errorf("roster: %+v", members)
	}
	if out := must(t, home, "verify"); !strings.Contains(out, "OK") {
		t.Errorf("verify: %s", out)
	}
}

// Where the roster quorum needs other members, the drill proposes its
// simulated peer, says what to approve, and declares nothing.
func TestDrillPeerNeedsRosterQuorum(t *testing.T) {
	home, _ := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	var id struct{ Address string }
	json.Unmarshal([]byte(must(t, bob, "id", "--json")), &id)
	must(t, home, "member", "add", id.Address, "--handle", "bob", "--role", "triage")
	file := writeScenario(t, drillPeerScenario)
	for run := 0; run < 2; run++ {
		_, errs, code := tminus(t, home, "drill", "run", file, "--speed", "600")
		if code != 1 || !strings.Contains(errs, "need the roster quorum") || !strings.Contains(errs, "sim-bridge-ops (tminus member approve ") {
			t.Errorf("run %d: exit %d: %s", run, code, errs)
		}
	}
	log := must(t, home, "log", "--json")
	if n := strings.Count(log, `"kind":"member.propose"`); n != 2 {
		t.Errorf("%d roster proposals, want bob's and one for the simulated peer", n)
	}
	if strings.Contains(log, `"drill":true`) {
		t.Error("a drill was declared without its simulated peer")
	}
}

// A drill is scheduled by the clock its incident was signed with: on a
// node 10 minutes ahead (TMINUS_CLOCK_SKEW) it used to wait 10 real minutes
// for its first inject.
func TestDrillRunAtSkewedClock(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeScenario(t, `name: Skewed drill
severity: P2
injects:
  - at: 0s
    alert: {title: "Skewed alert", fingerprint: skewed-1}
  - at: 30s
    note: "second inject"
expect:
  - what: acknowledged
    within: 1m
`)
	t.Setenv("TMINUS_CLOCK_SKEW", "10m")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb strings.Builder
	code := run(ctx, []string{"--home", home, "drill", "run", file, "--speed", "600", "--json"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("drill run: exit %d: %s", code, errb.String())
	}
	var card struct {
		Incident     string
		Expectations []struct {
			What string
			Met  bool
		}
	}
	if err := json.Unmarshal([]byte(out.String()), &card); err != nil || len(card.Expectations) != 1 || card.Expectations[0].Met {
		t.Fatalf("score card (%v): %s", err, out.String())
	}
	shown := must(t, home, "incident", "show", card.Incident[:10])
	if !strings.Contains(shown, "second inject") {
		t.Errorf("the second inject is missing:\n%s", shown)
	}
}

// Simulated peers' keys derive from the facilitator's own key, which an
// agent never hands out: without a passphrase the drill says so, rather
// than only asking for one while the agent answers every other write.
func TestDrillPeersNeedTheKeyItself(t *testing.T) {
	home, inc := newWorkspace(t)
	file := writeScenario(t, drillPeerScenario)
	ag := startAgentWith(t, binary(t), home, "correct horse")
	t.Setenv("TMINUS_AGENT_SOCK", ag.sock)
	t.Setenv("TMINUS_PASSPHRASE", "")
	os.Unsetenv("TMINUS_PASSPHRASE")
	must(t, home, "note", inc[:8], "the agent signs this")
	fails(t, home, "sign with keys derived from this home's own key, which the agent never hands out", "drill", "run", file, "--speed", "600")
}

// A drill stopped with Ctrl-C resolves its incident rather than leaving an
// open drill among real work for good.
func TestInterruptedDrillResolvesItsIncident(t *testing.T) {
	home, _ := newWorkspace(t)
	file := writeScenario(t, `name: Long drill
severity: P2
injects:
  - at: 0s
    alert: {title: "Long alert", fingerprint: long-1}
expect:
  - what: resolved
    within: 24h
`)
	code, errs := interruptDrill(t, home, file, "Long alert")
	if code == 0 || !strings.Contains(errs, "drill interrupted; its incident") || !strings.Contains(errs, "is resolved") {
		t.Fatalf("interrupted drill: exit %d: %s", code, errs)
	}
	var incs []struct {
		Drill  bool
		Status string
	}
	if err := json.Unmarshal([]byte(must(t, home, "incident", "list", "--json")), &incs); err != nil {
		t.Fatal(err)
	}
	for _, inc := range incs {
		if inc.Drill && inc.Status != "resolved" {
			t.Errorf("the interrupted drill's incident is %s", inc.Status)
		}
	}
}
