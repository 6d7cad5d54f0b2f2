package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// scoredScenario ends as soon as a responder triages: at --speed 3600 the
// acknowledgement's and containment's deadlines (1 s of scenario) pass
// before anyone can act, and the triage's (100 h) is far off. So bob's ack
// comes late but before the drill ends (at his triage), his triage meets
// its deadline, and the containment nobody made is missed, whatever the
// machine's load.
const scoredScenario = `name: Scored drill
severity: P2
injects:
  - at: 0s
    alert: {title: "Scored alert", fingerprint: scored-1}
expect:
  - what: acknowledged
    within: 1s
  - what: triaged
    within: 100h
  - what: contained
    within: 1s
`

// scoredDrill is one drill of `drill list --json` with its score.
type scoredDrill struct {
	ID, Title, Status string
	Scenario          string
	Scored, Running   bool
	Speed             float64
	Met, Total        int
	Milestones        []struct {
		What, Within, By string
		Reached          bool
		AfterS           *float64 `json:"after_s"`
		ScenarioAfterS   *float64 `json:"scenario_after_s"`
		DeadlineS        *float64 `json:"deadline_s"`
		DeadlineAt       *string  `json:"deadline_at"`
		Score            string
	}
}

func scoredDrills(t *testing.T, home string) map[string]scoredDrill {
	t.Helper()
	var l []scoredDrill
	if out := must(t, home, "drill", "list", "--json"); json.Unmarshal([]byte(out), &l) != nil {
		t.Fatalf("drill list --json: %s", out)
	}
	m := map[string]scoredDrill{}
	for _, d := range l {
		m[d.ID] = d
	}
	return m
}

// TestDrillListScoresAsRun: a drill run at --speed 3600 while bob, in his
// own home kept in sync over `sync --stdio` pipes, responds; its plan is in
// the log, so drill list (on the facilitator's replica and on bob's), the
// retro and the metrics score it as the run did: late, met and missed,
// with times in scenario time. bob containing after the drill ended
// changes nothing. A drill declared without a plan has an unknown score;
// a drill still running shows pending, and once interrupted, no score
// beyond what it had.
func TestDrillListScoresAsRun(t *testing.T) {
	dir := t.TempDir()
	fac := founder(t, dir, 1)
	bob, bobAddr := joinHome(t, dir, "bob")
	must(t, fac, "member", "add", bobAddr, "--handle", "bob", "--role", "triage,containment")
	old := must(t, fac, "incident", "declare", "--title", "Old gameday", "--severity", "P3", "--drill")

	ctx, wg := drillPair(t, fac, bob)

	done := startDrill(ctx, wg, fac, writeScenario(t, scoredScenario), "--speed", "3600", "--json")
	inc := drillTriage(ctx, t, bob)
	card, progress := waitDrill(ctx, t, done)
	ran := map[string]string{}
	for _, e := range card.Expectations {
		ran[e.What] = e.Score
	}
	want := map[string]string{"acknowledged": "late", "triaged": "met", "contained": "missed"}
	if card.Incident != inc || card.Met != 1 || card.Total != 3 || len(ran) != 3 {
		t.Fatalf("score card %+v", card)
	}
	for what, score := range want {
		if ran[what] != score || !strings.Contains(progress, strings.ToUpper(score)+" "+what) {
			t.Errorf("drill run scored %s %q, want %q (progress:\n%s)", what, ran[what], score, progress)
		}
	}

	// bob contains after the drill ended: too late to count.
	must(t, bob, "incident", "status", inc[:10], "contained")
	drillWaitFor(ctx, t, "bob's containment reaches the facilitator", func() bool {
		out, _, _ := tminus(t, fac, "incident", "show", inc[:10], "--json")
		return strings.Contains(out, `"status":"contained"`)
	})

	for _, home := range []string{fac, bob} {
		d, ok := scoredDrills(t, home)[inc]
		if !ok || !d.Scored || d.Running || d.Speed != 3600 || d.Met != 1 || d.Total != 3 ||
			d.Scenario != "scenario.yaml" || len(d.Milestones) != 5 {
			t.Fatalf("%s: drill list %+v", filepath.Base(home), d)
		}
		for _, m := range d.Milestones {
			w, expected := want[m.What]
			switch {
			case !expected && (m.Score != "" || m.DeadlineS != nil || m.Within != ""):
				t.Errorf("%s: %s is not expected, yet scored %+v", filepath.Base(home), m.What, m)
			case expected && (m.Score != w || m.Score != ran[m.What] || m.DeadlineS == nil || m.DeadlineAt == nil):
				t.Errorf("%s: %s scored %q, the run %q", filepath.Base(home), m.What, m.Score, ran[m.What])
			}
		}
		ack := d.Milestones[0]
		if *ack.DeadlineS != 1 || ack.Within != "1s" || ack.By != "bob" || ack.ScenarioAfterS == nil ||
			math.Abs(*ack.ScenarioAfterS-*ack.AfterS*3600) > 360 || *ack.ScenarioAfterS < 1 {
			t.Errorf("%s: acknowledged %+v, want by bob in scenario time", filepath.Base(home), ack)
		}
		if c := d.Milestones[2]; !c.Reached || c.By != "bob" {
			t.Errorf("%s: bob's late containment is not shown as reached: %+v", filepath.Base(home), c)
		}
	}
	text := must(t, fac, "drill", "list")
	t.Logf("drill list:\n%s", text)
	for _, w := range []string{"3600x", "1 of 3 met", "LATE    acknowledged  within 1s", "MET     triaged       within 100h",
		"MISSED  contained     within 1s", "Old gameday", "UNKNOWN  acknowledged", "declared before drills recorded their plan"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(w), " ")) {
			t.Errorf("drill list lacks %q:\n%s", w, text)
		}
	}

	// The drill declared with --drill, as drills were before plans.
	o := scoredDrills(t, fac)[old]
	if o.Scored || o.Speed != 0 || o.Met != 0 || o.Total != 0 || len(o.Milestones) != 5 {
		t.Errorf("drill without a plan: %+v", o)
	}
	for _, m := range o.Milestones {
		if m.Score != "unknown" || m.DeadlineS != nil {
			t.Errorf("drill without a plan: %s scored %q", m.What, m.Score)
		}
	}

	// The retro and the metrics: the same score, times in scenario time.
	md := must(t, fac, "export", inc[:10], "--format", "md")
	for _, w := range []string{"Times are in scenario time: the drill ran at speed 3600x", "## Drill score",
		"Scenario scenario.yaml at speed 3600x: 1 of 3 expectations met.", "| LATE | acknowledged | 1s |", "| MET | triaged | 100h |",
		"| MISSED | contained | 1s | - | - |"} {
		if !strings.Contains(md, w) {
			t.Errorf("retro lacks %q:\n%s", w, md)
		}
	}
	if md := must(t, fac, "export", old[:10], "--format", "md"); !strings.Contains(md, "Times are by the wall clock") ||
		!strings.Contains(md, "Unknown: this drill was declared before") {
		t.Errorf("retro of a drill without a plan:\n%s", md)
	}
	var metrics struct {
		Drills struct {
			Incidents int
			WallClock int `json:"wall_clock"`
		}
		PerIncident []struct {
			ID    string
			Speed *float64
			Times map[string]float64 `json:"times_s"`
		} `json:"per_incident"`
	}
	if err := json.Unmarshal([]byte(must(t, fac, "metrics", "--json")), &metrics); err != nil {
		t.Fatal(err)
	}
	if metrics.Drills.Incidents != 2 || metrics.Drills.WallClock != 1 {
		t.Errorf("metrics drills %+v, want 2, 1 by the wall clock", metrics.Drills)
	}
	ackAfter := *scoredDrills(t, fac)[inc].Milestones[0].ScenarioAfterS
	for _, p := range metrics.PerIncident {
		switch {
		case p.ID == inc && (p.Speed == nil || *p.Speed != 3600 || math.Abs(p.Times["acknowledge"]-ackAfter) > 0.1):
			t.Errorf("metrics of the drill: %+v, want speed 3600 and acknowledge %v s of scenario", p, ackAfter)
		case p.ID == old && p.Speed != nil:
			t.Errorf("metrics of the drill without a plan: speed %v", *p.Speed)
		}
	}
	if out := must(t, fac, "metrics"); !strings.Contains(out, "drill times are in scenario time") ||
		!strings.Contains(out, "1 drill(s) declared before drills recorded their speed") {
		t.Errorf("metrics:\n%s", out)
	}

	// A drill still running: pending, "so far"; interrupted, it is
	// resolved by the facilitator, which scores nothing.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	long := writeFile(t, filepath.Join(dir, "long.yaml"), `name: Long drill
severity: P3
injects:
  - at: 0s
    note: "a long one"
expect:
  - what: resolved
    within: 100h
`)
	running := startDrill(runCtx, wg, fac, long, "--speed", "1")
	var live scoredDrill
	drillWaitFor(ctx, t, "the long drill shows in drill list", func() bool {
		for id, d := range scoredDrills(t, fac) {
			if id != inc && id != old {
				live = d
				return true
			}
		}
		return false
	})
	if !live.Running || len(live.Milestones) != 5 || live.Milestones[4].Score != "pending" || live.Met != 0 || live.Total != 1 {
		t.Errorf("a running drill: %+v", live)
	}
	if text := must(t, fac, "drill", "list"); !strings.Contains(text, "0 of 1 met so far") || !strings.Contains(text, "PENDING") {
		t.Errorf("drill list of a running drill:\n%s", text)
	}
	stop()
	if r := <-running; r.code == 0 || !strings.Contains(r.errs, "drill interrupted") {
		t.Fatalf("interrupted drill: exit %d: %s", r.code, r.errs)
	}
	// Stopped, the drill is over: its resolution is the facilitator's, so
	// resolved is not reached, and it is missed at once (not pending until
	// its deadline 100 h away).
	if d := scoredDrills(t, fac)[live.ID]; d.Status != "resolved" || d.Milestones[4].Score != "missed" ||
		d.Milestones[4].Reached || d.Running {
		t.Errorf("the facilitator's resolution of an interrupted drill scored: %+v", d)
	}
}
