package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDrillEndToEnd is the drill issue's "done means": a facilitator runs a
// shipped scenario at --speed 60 while two responders in their own homes,
// kept in sync with it over `tminus sync --stdio` pipe pairs, acknowledge,
// triage and contain it with CLI commands (standing in for their
// cockpits). The score card names who met each expectation and when, the
// retro shows who did what, and the signed export verifies in an empty
// home.
func TestDrillEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end drill")
	}
	t.Setenv("TMINUS_PASSPHRASE", "gameday")
	dir := t.TempDir()
	fac, bob, carol := filepath.Join(dir, "alice"), filepath.Join(dir, "bob"), filepath.Join(dir, "carol")
	must(t, fac, "init", "--name", "acme", "--handle", "alice", "--role", "triage,comms",
		"--roster-quorum", "1", "--light-kdf")
	for _, r := range []struct{ home, handle, role string }{{bob, "bob", "triage"}, {carol, "carol", "containment"}} {
		must(t, r.home, "join", "--handle", r.handle, "--light-kdf")
		var id struct{ Address string }
		if err := json.Unmarshal([]byte(must(t, r.home, "id", "--json")), &id); err != nil {
			t.Fatal(err)
		}
		must(t, fac, "member", "add", id.Address, "--handle", r.handle, "--role", r.role)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, h := range []string{bob, carol} {
		wg.Add(1)
		go func(h string) {
			defer wg.Done()
			for ctx.Err() == nil {
				drillSyncPipes(ctx, t, fac, h)
			}
		}(h)
	}
	for _, h := range []string{bob, carol} {
		drillWaitFor(ctx, t, "the workspace reaches "+filepath.Base(h), func() bool {
			out, _, code := tminus(t, h, "member", "list", "--json")
			return code == 0 && strings.Count(out, `"handle"`) == 3
		})
	}

	// The responders work whatever drill shows up, as they would in their
	// cockpits: bob acknowledges its alert, triages and names carol the
	// containment lead; carol waits for the oracle operator's word (a
	// simulated peer's note) and contains.
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs <- drillRespond(ctx, t, bob, func(inc drillSeen) bool {
			for _, al := range inc.alerts {
				if _, e, code := tminus(t, bob, "alert", "ack", al); code != 0 {
					t.Errorf("bob: alert ack: %s", e)
				}
			}
			if len(inc.alerts) == 0 {
				return false
			}
			drillTryCLI(t, bob, "incident", "status", inc.ID[:10], "triaged")
			drillTryCLI(t, bob, "incident", "assign", inc.ID[:10], "containment", "carol")
			return true
		})
	}()
	go func() {
		defer wg.Done()
		errs <- drillRespond(ctx, t, carol, func(inc drillSeen) bool {
			if !strings.Contains(inc.timeline, "Oracle operator here") {
				return false
			}
			drillTryCLI(t, carol, "note", inc.ID[:10], "Paused the ETH market; borrows halted")
			drillTryCLI(t, carol, "incident", "status", inc.ID[:10], "contained")
			return true
		})
	}()

	start := time.Now()
	out, stderr, code := tminus(t, fac, "drill", "run", "oracle-manipulation", "--speed", "60", "--json")
	t.Logf("drill ran %s:\n%s", time.Since(start).Round(time.Millisecond), stderr)
	if code != 0 {
		t.Fatalf("drill run: exit %d: %s", code, stderr)
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var card struct {
		Incident     string
		Met, Total   int
		Expectations []struct {
			What, Within, By, At string
			Met                  bool
			AfterS               *float64 `json:"after_s"`
		}
	}
	if err := json.Unmarshal([]byte(out), &card); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	wantBy := map[string]string{"acknowledged": "bob", "triaged": "bob", "contained": "carol"}
	if card.Met != 3 || card.Total != 3 || len(card.Expectations) != 3 {
		t.Fatalf("score card: %s", out)
	}
	for _, e := range card.Expectations {
		if !e.Met || e.By != wantBy[e.What] || e.At == "" || e.AfterS == nil {
			t.Errorf("%s: met %v by %q at %q after %v; want met by %s with a time", e.What, e.Met, e.By, e.At, e.AfterS, wantBy[e.What])
		}
	}
	for _, want := range []string{"peer sim-oracle-ops: note:", "MET acknowledged", "MET contained"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("drill progress lacks %q:\n%s", want, stderr)
		}
	}

	// The retro, from the facilitator's home: who did what, and when.
	md := must(t, fac, "export", card.Incident[:10], "--format", "md")
	for _, want := range []string{
		"# Post-incident review: Oracle manipulation on the lending market",
		"incident.declare by alice: DRILL declared",
		"alert.ack by bob: acknowledged Oracle deviation 40% on ETH/USD",
		"incident.status by bob: status declared -> triaged",
		"incident.assign by bob: containment lead: carol",
		"note.add by sim-oracle-ops: Oracle operator here",
		"incident.status by carol: status triaged -> contained",
		"| acknowledged |", "| bob |", "| contained |", "| carol |",
		"nor is anything the drill's facilitator (alice)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("retro lacks %q:\n%s", want, md)
		}
	}

	// The signed export verifies on a machine that has nothing else.
	file := filepath.Join(dir, "drill.jsonl")
	must(t, fac, "export", card.Incident[:10], "--format", "jsonl", "--out", file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"alert.ack"`, "Oracle operator here", "Paused the ETH market"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("export lacks %s", want)
		}
	}
	empty := filepath.Join(dir, "empty")
	if v := must(t, empty, "verify", file); !strings.Contains(v, "OK") {
		t.Errorf("verify in an empty home: %s", v)
	}
	if _, err := os.Stat(filepath.Join(empty, "tminus.db")); err == nil {
		t.Error("verify FILE created a store in the empty home")
	}
}

// drillTryCLI is must for goroutines other than the test's: it reports a
// failure without stopping the test.
func drillTryCLI(t *testing.T, home string, args ...string) {
	if _, errs, code := tminus(t, home, args...); code != 0 {
		t.Errorf("%s: tminus %s: exit %d: %s", filepath.Base(home), strings.Join(args, " "), code, errs)
	}
}

// drillSeen is what a responder sees of a drill: its id, the ids of
// its alerts, and its timeline as text.
type drillSeen struct {
	ID       string
	alerts   []string
	timeline string
}

// drillRespond polls home until a drill incident appears there and act returns
// true for it (act may return false to wait for more to arrive).
func drillRespond(ctx context.Context, t *testing.T, home string, act func(drillSeen) bool) error {
	for {
		var incs []struct {
			ID     string
			Drill  bool
			Alerts []string
		}
		out, _, _ := tminus(t, home, "incident", "list", "--json")
		json.Unmarshal([]byte(out), &incs)
		for _, inc := range incs {
			if !inc.Drill {
				continue
			}
			d := drillSeen{ID: inc.ID, alerts: inc.Alerts}
			show, _, _ := tminus(t, home, "incident", "show", inc.ID[:10], "--json")
			d.timeline = show
			if act(d) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func drillWaitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// drillTriage has bob, once the drill's first alert reaches him,
// acknowledge it and triage the drill incident, whose id it returns.
func drillTriage(ctx context.Context, t *testing.T, bob string) string {
	t.Helper()
	var inc string
	if err := drillRespond(ctx, t, bob, func(d drillSeen) bool {
		if len(d.alerts) == 0 {
			return false
		}
		inc = d.ID
		must(t, bob, "alert", "ack", d.alerts[0])
		must(t, bob, "incident", "status", inc[:10], "triaged")
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return inc
}

// drillPair keeps the facilitator's and bob's homes in sync, a round of
// sync --stdio after another, for at most 90 s, until the test ends; it
// returns once bob holds the two-member roster. Goroutines the test starts
// on wg are waited for at its end.
func drillPair(t *testing.T, fac, bob string) (context.Context, *sync.WaitGroup) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	wg := &sync.WaitGroup{}
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			drillSyncPipes(ctx, t, fac, bob)
		}
	}()
	drillWaitFor(ctx, t, "the roster reaches bob", func() bool {
		out, _, code := tminus(t, bob, "member", "list", "--json")
		return code == 0 && strings.Count(out, `"handle"`) == 2
	})
	return ctx, wg
}

// drillSyncPipes runs one round of `tminus sync --stdio` between two homes, in
// process, over a pair of pipes: what `sync --ssh` does through ssh. Each
// side returns once both have been idle for a while.
func drillSyncPipes(ctx context.Context, t *testing.T, a, b string) {
	ar, bw := io.Pipe() // b writes, a reads
	br, aw := io.Pipe() // a writes, b reads
	var wg sync.WaitGroup
	side := func(home string, r *io.PipeReader, w *io.PipeWriter) {
		defer wg.Done()
		var errb bytes.Buffer
		code := run(ctx, []string{"--home", home, "sync", "--stdio"}, r, w, &errb)
		w.Close()
		r.Close()
		if code != 0 && ctx.Err() == nil {
			t.Logf("sync --stdio in %s: exit %d: %s", filepath.Base(home), code, strings.TrimSpace(errb.String()))
		}
	}
	wg.Add(2)
	go side(a, ar, aw)
	go side(b, br, bw)
	wg.Wait()
}
