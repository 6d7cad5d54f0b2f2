package domain

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// A drill's plan is what `drill run` scored it against: the scenario's
// expectations with their deadlines in scenario time, and the speed the
// scenario ran at. Signed into the drill's declaration, it lets every
// replica score a past drill exactly as drill run scored it live
// (JudgeDrill is the one judgement both use), and lets metrics and the
// retro give a sped-up drill's times in the scenario's clock. A drill
// declared before plans were recorded has none: its score is unknown and
// its times are by the wall clock.

// Drill milestones: what a scenario can expect the team to reach.
const (
	DrillAcknowledged = "acknowledged"
	DrillTriaged      = StatusTriaged
	DrillContained    = StatusContained
	DrillRecovered    = StatusRecovered
	DrillResolved     = StatusResolved
)

// DrillMilestones lists the milestones in the order an incident reaches them.
var DrillMilestones = []string{DrillAcknowledged, DrillTriaged, DrillContained, DrillRecovered, DrillResolved}

// MaxDrillSpeed bounds a drill's speed: an hour of scenario a second.
const MaxDrillSpeed = 3600

// MinDrillSpeed bounds it below: a week's deadline run a thousand times
// slower still fits a time.Duration; a speed near zero overflowed it into
// deadlines before the start.
const MinDrillSpeed = 0.001

// MaxDrillLength bounds a scenario's offsets and deadlines.
const MaxDrillLength = 7 * 24 * time.Hour

// maxPlanScenario bounds the recorded scenario reference, as a title is.
const maxPlanScenario = 200

// DrillPlan is a drill's scoring plan as its declaration records it.
type DrillPlan struct {
	// Scenario is the scenario as the facilitator named it: a shipped
	// scenario's name or the scenario file's base name.
	Scenario string `json:"scenario"`
	// Speed is how many times faster than written the scenario ran.
	Speed float64 `json:"speed"`
	// Expect are the scenario's expectations, in the scenario's order.
	Expect []DrillExpect `json:"expect"`
}

// DrillExpect is one expectation: a milestone within a deadline counted
// from the drill's declaration, in scenario milliseconds.
type DrillExpect struct {
	What     string `json:"what"`
	WithinMs int64  `json:"within_ms"`
}

func (p *DrillPlan) validate() error {
	if err := text("plan scenario", p.Scenario, maxPlanScenario, true); err != nil {
		return err
	}
	if err := ValidDrillSpeed(p.Speed); err != nil {
		return fmt.Errorf("plan %w", err)
	}
	if len(p.Expect) == 0 || len(p.Expect) > len(DrillMilestones) {
		return fmt.Errorf("plan: %d expectations, want 1 to %d", len(p.Expect), len(DrillMilestones))
	}
	seen := map[string]bool{}
	for i, e := range p.Expect {
		if !contains(DrillMilestones, e.What) {
			return fmt.Errorf("plan expectation %d: unknown milestone %q (want %s)", i+1, e.What, strings.Join(DrillMilestones, ", "))
		}
		if seen[e.What] {
			return fmt.Errorf("plan expectation %d: %s expected twice", i+1, e.What)
		}
		seen[e.What] = true
		if e.WithinMs <= 0 || e.WithinMs > MaxDrillLength.Milliseconds() {
			return fmt.Errorf("plan expectation %d: within %d ms, want more than 0 and at most %s", i+1, e.WithinMs, MaxDrillLength)
		}
	}
	return nil
}

// ValidDrillSpeed refuses a speed drill run would not run at.
func ValidDrillSpeed(speed float64) error {
	if math.IsNaN(speed) || speed < MinDrillSpeed || speed > MaxDrillSpeed {
		return fmt.Errorf("speed %v: want at least %g and at most %d", speed, MinDrillSpeed, MaxDrillSpeed)
	}
	return nil
}

// Scaled is a scenario duration on the wall clock of a drill run at the
// plan's speed.
func (p *DrillPlan) Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / p.Speed)
}

// ScenarioTime is a wall-clock duration of the drill in scenario time.
func (p *DrillPlan) ScenarioTime(d time.Duration) time.Duration {
	return time.Duration(float64(d) * p.Speed)
}

// Deadline is when (unix ms) expectation e falls due for a drill declared
// at start (unix ms).
func (p *DrillPlan) Deadline(start int64, e DrillExpect) int64 {
	return start + p.Scaled(time.Duration(e.WithinMs)*time.Millisecond).Milliseconds()
}

// drillClock is the duration d of inc in scenario time, when inc is a drill
// whose plan says its speed; otherwise d as it is.
func drillClock(inc *Incident, d time.Duration) time.Duration {
	if inc.Drill && inc.Plan != nil {
		return inc.Plan.ScenarioTime(d)
	}
	return d
}

// Drill verdicts.
const (
	DrillMet     = "met"     // reached by its deadline
	DrillLate    = "late"    // reached after its deadline, while the drill ran
	DrillMissed  = "missed"  // past its deadline and not reached while the drill ran
	DrillPending = "pending" // not reached, its deadline still to come
)

// DrillReach is when (unix ms, 0 for not yet) and by whom a milestone was
// reached.
type DrillReach struct {
	At int64
	By string
}

// DrillResult is one expectation judged.
type DrillResult struct {
	DrillExpect
	Deadline int64 // unix ms
	DrillReach
	Verdict string
}

// DrillScore is a drill's expectations judged as of some time.
type DrillScore struct {
	Speed float64
	Start int64 // unix ms, the declaration
	// End is when the drill ended: once every expectation was reached by
	// its deadline or its deadline had passed. Over says whether that time
	// has come; until it has, End is the earliest it can be.
	End  int64
	Over bool
	// Stopped is when the drill was stopped before it ended (its incident
	// resolved while an expectation was neither met nor past its deadline:
	// drill run's Ctrl-C); 0 when it was not.
	Stopped int64
	Results []DrillResult
}

// Met counts the expectations met.
func (sc *DrillScore) Met() int {
	n := 0
	for _, r := range sc.Results {
		if r.Verdict == DrillMet {
			n++
		}
	}
	return n
}

// JudgeDrill judges a plan's expectations for a drill declared at start,
// given when each was reached (reached[i] for p.Expect[i]), as of now (all
// unix ms). It is the one judgement of a drill: drill run applies it live
// (with now held back by its grace for late-arriving events) and stops once
// Over; drill list, the retro and every replica apply it to the log later.
//
//  1. Reached by its deadline: met.
//  2. The drill ends once every expectation is met or past its deadline
//     (End, the latest of each one's reach-or-deadline).
//  3. Reached after its deadline and no later than the end: late.
//  4. Reached after the end, or not reached and past its deadline: missed
//     (while the drill still runs, one past its deadline may turn late).
//  5. Not reached, its deadline to come: pending.
//  6. Stopped (JudgeDrillUntil): a drill stopped before its end ends at
//     the stop; what was not reached by then is missed at once and for good.
func JudgeDrill(p *DrillPlan, start int64, reached []DrillReach, now int64) DrillScore {
	return JudgeDrillUntil(p, start, reached, 0, now)
}

// JudgeDrillUntil is JudgeDrill for a drill stopped at stop (unix ms; 0 for
// not stopped): rule 6. A stop at or after the natural end changes nothing.
func JudgeDrillUntil(p *DrillPlan, start int64, reached []DrillReach, stop, now int64) DrillScore {
	sc := DrillScore{Speed: p.Speed, Start: start, End: start, Over: true}
	natural := start
	for i, e := range p.Expect {
		r := DrillResult{DrillExpect: e, Deadline: p.Deadline(start, e)}
		if i < len(reached) {
			r.DrillReach = reached[i]
		}
		settled := r.Deadline
		if r.At != 0 && r.At <= r.Deadline {
			settled = r.At
		} else if now <= r.Deadline {
			sc.Over = false
		}
		natural = max(natural, settled)
		sc.Results = append(sc.Results, r)
	}
	sc.End = natural
	if stop != 0 && stop < natural {
		sc.End, sc.Over, sc.Stopped = max(start, stop), true, stop
	}
	for i := range sc.Results {
		r := &sc.Results[i]
		switch {
		case r.At != 0 && r.At <= r.Deadline && r.At <= sc.End:
			r.Verdict = DrillMet
		case r.At != 0 && r.At <= sc.End:
			r.Verdict = DrillLate
		case r.At != 0 || now > r.Deadline || sc.Stopped != 0:
			r.Verdict = DrillMissed
		default:
			r.Verdict = DrillPending
		}
	}
	return sc
}

// ScoreDrill judges inc's plan against what the state says the team
// reached (DrillReached), as of now (unix ms). ok is false when inc is no
// drill or has no plan (declared before drills recorded one).
func ScoreDrill(s *State, inc *Incident, now int64) (sc DrillScore, ok bool) {
	if inc == nil || !inc.Drill || inc.Plan == nil {
		return DrillScore{}, false
	}
	reached := make([]DrillReach, len(inc.Plan.Expect))
	for i, e := range inc.Plan.Expect {
		reached[i].At, reached[i].By = DrillReached(s, inc, e.What)
	}
	return JudgeDrillUntil(inc.Plan, inc.DeclaredAt, reached, DrillStop(inc), now), true
}

// DrillStop is when (unix ms) inc was first resolved, by anyone; 0 while it
// never was. Drill run resolves a drill it is stopped in (Ctrl-C) as its
// facilitator, and nothing is expected of a drill once it is resolved: a
// reopened one is scored as it stood at its first resolution. A resolution
// by a responder reaches every milestone, so it stops nothing early.
func DrillStop(inc *Incident) int64 {
	var at int64
	for _, c := range inc.StatusHistory {
		if c.Status == StatusResolved && (at == 0 || c.At < at) {
			at = c.At
		}
	}
	return at
}

// DrillReached is when (unix ms) and by whom the drill incident first
// reached a milestone; 0 and "" when it has not.
//
// Acknowledged is the incident's AckedAt and AckedBy: a responder's ack of
// a linked alert or first triage action; the facilitator's declaration,
// links and its simulated peers' actions never count. A status counts as
// reached when a responder moved the incident to it or any later status (a
// jump from triaged to resolved also contained it); the facilitator's own
// status changes do not (Reached). Contained is also a responder's
// successful Safe execution, as in the metrics and the retro (Milestones):
// a rehearsed on-chain pause is the containment.
func DrillReached(s *State, inc *Incident, what string) (int64, string) {
	if inc == nil {
		return 0, ""
	}
	if what == DrillAcknowledged {
		return inc.AckedAt, inc.AckedBy
	}
	target := -1
	for i, st := range Statuses {
		if st == what {
			target = i
		}
	}
	if target < 0 {
		return 0, ""
	}
	var at int64
	by := ""
	for _, st := range Statuses[target:] {
		if t, who := Reached(s, inc, st); t != 0 && (at == 0 || t < at) {
			at, by = t, who
		}
	}
	if what == DrillContained {
		for _, m := range Milestones(s, inc) {
			if m.Phase == PhaseContain && m.At != 0 && (at == 0 || m.At < at) {
				at, by = m.At, m.By
			}
		}
	}
	return at, by
}
