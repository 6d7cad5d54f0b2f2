package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/onchain/chaintest"
)

// drillCard is a drill's score card as `drill run --json` prints it.
type drillCard struct {
	Incident     string
	Met, Total   int
	Expectations []struct {
		What, Within, By, At string
		Score                string // met, late or missed
		Met                  bool
		AfterS               *float64 `json:"after_s"`
	}
}

// drillResult is what a drill run in the background ended with.
type drillResult struct {
	out, errs string
	code      int
}

// startDrill runs `tminus drill run` in home until it ends or ctx is done;
// the test goroutine meanwhile acts as the team.
func startDrill(ctx context.Context, wg *sync.WaitGroup, home string, args ...string) <-chan drillResult {
	done := make(chan drillResult, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"--home", home, "drill", "run"}, args...), strings.NewReader(""), &out, &errb)
		done <- drillResult{strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()), code}
	}()
	return done
}

func waitDrill(ctx context.Context, t *testing.T, done <-chan drillResult) (drillCard, string) {
	t.Helper()
	var r drillResult
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the drill did not end")
	}
	t.Logf("drill progress:\n%s", r.errs)
	if r.code != 0 {
		t.Fatalf("drill run: exit %d: %s", r.code, r.errs)
	}
	var card drillCard
	if err := json.Unmarshal([]byte(r.out), &card); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	return card, r.errs
}

// proposeAndSign proposes the shipped contract-pause runbook's Safe step on
// the chain from home, then records two owners' signatures: owner 0 from
// its keystore, owner 1 as a hardware wallet's --signature. It returns the
// proposal's id.
func proposeAndSign(t *testing.T, home, inc string, c *chaintest.Chain, ownerKey string, owner1 int) string {
	t.Helper()
	id := must(t, home, "safe", "propose", inc[:10], "--runbook", "contract-pause", "--param", "safe="+c.Safe.Hex(),
		"--param", "contract="+c.Target.Hex(), "--param", "chain_id=1337", "--rpc", c.RPC)
	must(t, home, "safe", "sign", id[:8], "--owner-key", ownerKey)
	v := showSafe(t, home, id)
	sig, err := safe.Sign(c.OwnerKeys[owner1], common32(v.SafeTxHash))
	if err != nil {
		t.Fatal(err)
	}
	must(t, home, "safe", "sign", id[:8], "--signature", hexutil.Encode(sig))
	if v := showSafe(t, home, id); v.Confirmations != "2" || v.Threshold != "2" || v.Decoded != "pause()" {
		t.Fatalf("after two owners signed: %+v", v)
	}
	return id
}

// perIncidentTimes is `metrics --json`'s times for one incident.
func perIncidentTimes(t *testing.T, home, inc string) map[string]float64 {
	t.Helper()
	var m struct {
		PerIncident []struct {
			ID    string             `json:"id"`
			Times map[string]float64 `json:"times_s"`
		} `json:"per_incident"`
	}
	if err := json.Unmarshal([]byte(must(t, home, "metrics", "--json")), &m); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.PerIncident {
		if p.ID == inc {
			return p.Times
		}
	}
	t.Fatalf("metrics --json has no incident %s", inc)
	return nil
}

// TestDrillSafePauseRehearsal is issue 15's "a drill scenario can run
// against the local chain": the facilitator runs the shipped
// safe-pause-rehearsal on a simulated chain with the real Safe v1.4.1,
// serving JSON-RPC on 127.0.0.1 as `make devchain` does; bob, a responder in
// his own home kept in sync over `sync --stdio` pipes, acknowledges and
// triages, proposes the pause the facilitator's note names, records two
// owners' signatures and executes it. The target is paused on chain and
// the score card, the metrics and the retro say bob contained it, by the
// Safe execution alone (nobody moves the status to contained). Then the
// negative: in a second drill the facilitator pauses through the Safe
// herself; the execution succeeds on chain and does not count as the team
// containing.
func TestDrillSafePauseRehearsal(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{Owners: 3, Threshold: 2, HTTP: true})
	t.Setenv("TMINUS_PASSPHRASE", "correct horse") // keystoreFile's too
	dir := t.TempDir()
	fac, bob := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	must(t, fac, "init", "--name", "acme", "--handle", "alice", "--role", "triage,containment",
		"--roster-quorum", "1", "--light-kdf")
	var bobID struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "join", "--handle", "bob", "--light-kdf", "--json")), &bobID); err != nil {
		t.Fatal(err)
	}
	must(t, fac, "member", "add", bobID.Address, "--handle", "bob", "--role", "triage,containment")
	owner0, funder := keystoreFile(t, c.OwnerKeys[0], "owner0"), keystoreFile(t, c.Funder, "funder")

	ctx, wg := drillPair(t, fac, bob)

	// At --speed 30 the facilitator's note comes 1 s in and the deadlines
	// are 10 s, 20 s and 40 s: room for a loaded machine.
	done := startDrill(ctx, wg, fac, "safe-pause-rehearsal", "--speed", "30", "--json")
	inc := drillTriage(ctx, t, bob)
	drillWaitFor(ctx, t, "the facilitator's note names the Safe step", func() bool {
		out, _, _ := tminus(t, bob, "incident", "show", inc[:10], "--json")
		return strings.Contains(out, "tminus safe propose INC --runbook contract-pause")
	})
	if paused, err := c.Paused(ctx); err != nil || paused {
		t.Fatalf("paused() = %v, %v before the exec", paused, err)
	}
	id := proposeAndSign(t, bob, inc, c, owner0, 1)
	_, errs, code := tminus(t, bob, "safe", "exec", id[:8], "--rpc", c.RPC, "--from-key", funder)
	if code != 0 || !strings.Contains(errs, "tminus incident status "+inc[:10]+" contained") {
		t.Fatalf("safe exec: exit %d, %q; want the status hint", code, errs)
	}
	if paused, err := c.Paused(ctx); err != nil || !paused {
		t.Fatalf("paused() = %v, %v after bob's exec", paused, err)
	}

	card, progress := waitDrill(ctx, t, done)
	if card.Incident != inc || card.Met != 3 || card.Total != 3 {
		t.Fatalf("score card: %+v", card)
	}
	for _, e := range card.Expectations {
		if !e.Met || e.By != "bob" || e.At == "" || e.AfterS == nil {
			t.Errorf("%s: met %v by %q at %q after %v; want met by bob with a time", e.What, e.Met, e.By, e.At, e.AfterS)
		}
	}
	for _, want := range []string{"T+30s note: The drained vault", "MET contained (within 20m)"} {
		if !strings.Contains(progress, want) {
			t.Errorf("drill progress lacks %q", want)
		}
	}
	if show := must(t, fac, "incident", "show", inc[:10], "--json"); strings.Contains(show, `"status":"contained"`) {
		t.Fatal("someone moved the status to contained: the test would not show the exec counting")
	}
	if times := perIncidentTimes(t, fac, inc); times["contain"] <= 0 {
		t.Errorf("metrics: the drill's time to contain is %v, want bob's exec", times)
	}
	retro := must(t, fac, "export", inc[:10], "--format", "md")
	for _, want := range []string{"executed by bob: ExecutionSuccess", "signed by owner " + c.Owners[0].Hex() + ", recorded by bob"} {
		if !strings.Contains(retro, want) {
			t.Errorf("retro lacks %q:\n%s", want, retro)
		}
	}
	if row := mdRow(retro, "| contained |"); !strings.Contains(row, "| bob |") {
		t.Errorf("retro's contained milestone %q, want bob's", row)
	}

	// The facilitator contains a drill herself: her exec succeeds on chain
	// (pause() again, at the Safe's next nonce) and is not the team's.
	scenario := filepath.Join(dir, "alone.yaml")
	if err := os.WriteFile(scenario, []byte(`name: Facilitator pauses alone
severity: P2
injects:
  - at: 0s
    alert: {title: "Vault outflow", fingerprint: drill-alone-1}
expect:
  - what: contained
    within: 2m
`), 0o600); err != nil {
		t.Fatal(err)
	}
	done = startDrill(ctx, wg, fac, scenario, "--speed", "30", "--json")
	var alone string
	if err := drillRespond(ctx, t, fac, func(d drillSeen) bool {
		alone = d.ID
		return d.ID != inc && len(d.alerts) > 0
	}); err != nil {
		t.Fatal(err)
	}
	id2 := proposeAndSign(t, fac, alone, c, owner0, 2)
	var x struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal([]byte(must(t, fac, "safe", "exec", id2[:8], "--rpc", c.RPC, "--from-key", funder, "--json")), &x); err != nil ||
		x.Event != "ExecutionSuccess" {
		t.Fatalf("the facilitator's exec: %+v, %v", x, err)
	}
	card, progress = waitDrill(ctx, t, done)
	if card.Incident != alone || card.Met != 0 || len(card.Expectations) != 1 || card.Expectations[0].AfterS != nil ||
		!strings.Contains(progress, "MISSED contained") {
		t.Errorf("the facilitator's own exec met the drill: %+v\n%s", card, progress)
	}
	if times := perIncidentTimes(t, fac, alone); len(times) != 0 {
		t.Errorf("metrics count the facilitator's exec: %v", times)
	}
	retro = must(t, fac, "export", alone[:10], "--format", "md")
	if !strings.Contains(retro, "executed by alice: ExecutionSuccess") || mdRow(retro, "| contained |") != "" {
		t.Errorf("retro of the facilitator's drill:\n%s", retro)
	}
}

// mdRow is the first line of md that starts with prefix, or "".
func mdRow(md, prefix string) string {
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
