package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// What the retro and the metrics say of a drill's clock and score. A
// drill's times are in scenario time when its signed plan records its
// speed (domain.MetricsOf multiplies the wall clock by it, so a drill at
// --speed 10 compares with the deadlines its scenario wrote); a drill from
// before plans were recorded is measured by the wall clock and says so.

// drillClock is the retro's line on which clock a drill's times are in;
// "" for a real incident.
func drillClock(inc *domain.Incident) string {
	switch {
	case !inc.Drill:
		return ""
	case inc.Plan == nil:
		return "Times are by the wall clock: this drill was declared before drills recorded their speed and deadlines, so its score is unknown."
	case inc.Plan.Speed == 1:
		return "Times are in scenario time: the drill ran at speed 1x, as the scenario is written."
	}
	return fmt.Sprintf("Times are in scenario time: the drill ran at speed %gx, so each is the wall-clock time multiplied by %g, "+
		"as the scenario's deadlines are written.", inc.Plan.Speed, inc.Plan.Speed)
}

// retroDrill writes a drill's score in the retro: each expectation of its
// plan judged as drill run judged it (domain.ScoreDrill), as of now.
func retroDrill(b *strings.Builder, s *domain.State, inc *domain.Incident, now time.Time) {
	if !inc.Drill {
		return
	}
	b.WriteString("\n## Drill score\n\n")
	score, ok := domain.ScoreDrill(s, inc, now.UnixMilli())
	if !ok {
		b.WriteString("Unknown: this drill was declared before drills recorded their scenario's deadlines and speed.\n")
		return
	}
	fmt.Fprintf(b, "Scenario %s at speed %gx: %d of %d expectations met", inc.Plan.Scenario, score.Speed, score.Met(), len(score.Results))
	switch {
	case score.Stopped != 0:
		fmt.Fprintf(b, " (the drill was interrupted at %s: what was not reached by then is missed)", ts(score.Stopped))
	case !score.Over:
		b.WriteString(" so far (the drill is still running)")
	}
	b.WriteString(". Deadlines and times are in scenario time from the declaration.\n\n")
	b.WriteString("| Score | Expectation | Within | Reached after | By |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range score.Results {
		after, by := "-", "-"
		if r.Verdict == domain.DrillMet || r.Verdict == domain.DrillLate {
			after = shortDur(time.Duration(scenarioAfter(score, r.At) * float64(time.Second)))
			by = r.By
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", strings.ToUpper(r.Verdict), r.What,
			shortDur(time.Duration(r.WithinMs)*time.Millisecond), after, by)
	}
}

// drillMetricsJSON is metrics --json's "drills": the aggregate, plus how
// many drills are measured by the wall clock rather than scenario time.
func drillMetricsJSON(ag domain.Aggregate) map[string]any {
	out := metricsJSON(ag)
	out["wall_clock"] = ag.WallClock
	return out
}

// withSpeed adds a measured drill's speed to its metrics --json entry:
// absent for a real incident or a drill whose speed was not recorded.
func withSpeed(entry map[string]any, m domain.IncidentMetrics) map[string]any {
	if m.Speed != 0 {
		entry["speed"] = m.Speed
	}
	return entry
}

// drillMetricsNote says under metrics' drill times which clock they are in.
func drillMetricsNote(w io.Writer, ag domain.Aggregate) {
	if ag.Incidents == 0 {
		return
	}
	fmt.Fprintln(w, "  drill times are in scenario time (the wall clock times each drill's --speed)")
	if ag.WallClock > 0 {
		fmt.Fprintf(w, "  %d drill(s) declared before drills recorded their speed: measured by the wall clock\n", ag.WallClock)
	}
}
