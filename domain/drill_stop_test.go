package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// An interrupted drill (drill run's Ctrl-C resolves its incident, by the
// facilitator) is over at its resolution: what nobody reached by then is
// missed at once, not pending until its deadline and missed after it, so
// drill list, the retro and the cockpit say the same thing whenever asked.
func TestScoreDrillStoppedByResolution(t *testing.T) {
	tm, decl := planTeam(t, goodPlan())                                                            // acknowledged within 30 s, contained within 180 s of wall clock
	stop := do(t, tm, 0, &domain.IncidentStatus{Incident: decl.ID, Status: domain.StatusResolved}) // +1 s, the facilitator
	st := tm.Fold(nil)
	accepted(t, st, tm.Events...)
	inc := st.Incidents[decl.ID]
	for _, now := range []int64{int64(stop.Time), int64(stop.Time) + 1, inc.DeclaredAt + 31_000, inc.DeclaredAt + 1e9} {
		sc, ok := domain.ScoreDrill(st, inc, now)
		if !ok {
			t.Fatal("no score")
		}
		if !sc.Over || sc.Stopped != int64(stop.Time) || sc.End != int64(stop.Time) {
			t.Errorf("now +%d: over %v stopped %d end %d, want over, stopped and ended at %d", now-inc.DeclaredAt, sc.Over, sc.Stopped, sc.End, stop.Time)
		}
		for _, r := range sc.Results {
			if r.Verdict != domain.DrillMissed {
				t.Errorf("now +%d: %s %s, want missed (the drill was stopped)", now-inc.DeclaredAt, r.What, r.Verdict)
			}
		}
	}
}

// A drill the team finished is not "stopped" by its resolution: the
// resolution reached every milestone, so the score is the natural one.
func TestScoreDrillResolvedByTheTeam(t *testing.T) {
	tm, decl := planTeam(t, goodPlan())
	res := do(t, tm, 1, &domain.IncidentStatus{Incident: decl.ID, Status: domain.StatusResolved}) // bob, +1 s
	st := tm.Fold(nil)
	sc, _ := domain.ScoreDrill(st, st.Incidents[decl.ID], int64(res.Time)+1)
	if !sc.Over || sc.Stopped != 0 || sc.Met() != 2 {
		t.Errorf("score %+v, want over, not stopped, 2 met", sc)
	}
}

// JudgeDrillUntil's rule 6 with the plan of TestJudgeDrill (acknowledged
// by +6 s, contained by +30 s of wall clock). Times are ms after the start.
func TestJudgeDrillUntilStop(t *testing.T) {
	const start = int64(1_700_000_000_000)
	plan := &domain.DrillPlan{Scenario: "s", Speed: 10, Expect: []domain.DrillExpect{
		{What: domain.DrillAcknowledged, WithinMs: 60_000}, {What: domain.DrillContained, WithinMs: 300_000}}}
	cases := []struct {
		name         string
		ack, contai  int64 // -1 not reached
		stop, now    int64 // stop -1: none
		want         [2]string
		over         bool
		end, stopped int64 // stopped -1: not stopped
	}{
		{"no stop: as JudgeDrill", -1, -1, -1, 1_000, [2]string{"pending", "pending"}, false, 30_000, -1},
		{"stopped before anything: all missed at once", -1, -1, 2_000, 2_000, [2]string{"missed", "missed"}, true, 2_000, 2_000},
		{"met before the stop stays met", 1_000, -1, 2_000, 3_000, [2]string{"met", "missed"}, true, 2_000, 2_000},
		{"late before the stop stays late", 7_000, -1, 8_000, 9_000, [2]string{"late", "missed"}, true, 8_000, 8_000},
		{"reached after the stop is missed", -1, 10_000, 8_000, 20_000, [2]string{"missed", "missed"}, true, 8_000, 8_000},
		{"a stop after the natural end changes nothing", 1_000, 5_000, 9_000, 10_000, [2]string{"met", "met"}, true, 5_000, -1},
	}
	at := func(d int64) domain.DrillReach {
		if d == -1 {
			return domain.DrillReach{}
		}
		return domain.DrillReach{At: start + d, By: "bob"}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stop := int64(0)
			if c.stop != -1 {
				stop = start + c.stop
			}
			sc := domain.JudgeDrillUntil(plan, start, []domain.DrillReach{at(c.ack), at(c.contai)}, stop, start+c.now)
			got := [2]string{sc.Results[0].Verdict, sc.Results[1].Verdict}
			wantStopped := int64(0)
			if c.stopped != -1 {
				wantStopped = start + c.stopped
			}
			if got != c.want || sc.Over != c.over || sc.End != start+c.end || sc.Stopped != wantStopped {
				t.Errorf("verdicts %v over %v end +%d stopped %d, want %v over %v end +%d stopped %d",
					got, sc.Over, sc.End-start, sc.Stopped, c.want, c.over, c.end, wantStopped)
			}
		})
	}
}
