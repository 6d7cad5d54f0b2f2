package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

// drillView is one past drill as drill list shows it. A drill's signed
// plan holds its scenario's deadlines and its --speed, so each milestone
// is scored by domain.ScoreDrill, the judgement drill run applied live. A
// drill declared before drills recorded their plan has no score
// (Scored false, every milestone's score "unknown") and its times are by
// the wall clock.
type drillView struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"` // the scenario's name
	Severity   string          `json:"severity"`
	Status     string          `json:"status"`
	DeclaredAt string          `json:"declared_at"`
	DeclaredBy string          `json:"declared_by"` // the facilitator's address; their handle is declared_by_handle
	Milestones []milestoneView `json:"milestones"`  // each of domain.DrillMilestones, in order

	Scored   bool    `json:"scored"`             // false: declared before drills recorded their plan
	Scenario string  `json:"scenario,omitempty"` // as the facilitator named it
	Speed    float64 `json:"speed,omitempty"`    // absent when not recorded
	Running  bool    `json:"running"`            // a deadline is still to come
	// Interrupted: the drill was stopped (resolved, drill run's Ctrl-C)
	// before it ended; what was not reached by then is missed.
	Interrupted bool `json:"interrupted"`
	Met         int  `json:"met"`   // expectations met; 0 when not scored
	Total       int  `json:"total"` // expectations; 0 when not scored
	// DeclaredByHandle is the facilitator's handle, as declared_by is in
	// the incident views and by in each milestone: declared_by here was an
	// address first, and keeps that meaning.
	DeclaredByHandle string `json:"declared_by_handle"`
}

// milestoneView is when a responder first reached a milestone, and how
// that scores; at, after_s and scenario_after_s are null when none has.
type milestoneView struct {
	What    string   `json:"what"`
	Reached bool     `json:"reached"`
	At      *string  `json:"at"`
	AfterS  *float64 `json:"after_s"` // wall-clock seconds after the declaration
	By      string   `json:"by,omitempty"`

	// ScenarioAfterS is after_s in scenario time (times the speed); null
	// when not reached or the speed is unknown.
	ScenarioAfterS *float64 `json:"scenario_after_s"`
	// Within and DeadlineS are the expectation's deadline in scenario time;
	// DeadlineAt when it fell due. Empty and null when not expected.
	Within     string   `json:"within,omitempty"`
	DeadlineS  *float64 `json:"deadline_s"`
	DeadlineAt *string  `json:"deadline_at"`
	// Score is met, late, missed or pending (domain.JudgeDrill); absent
	// when the plan does not expect this milestone; "unknown" with no plan.
	Score string `json:"score,omitempty"`
}

// scoreUnknown is every milestone's score on a drill without a plan.
const scoreUnknown = "unknown"

func viewDrill(s *domain.State, inc *domain.Incident, now time.Time) drillView {
	v := drillView{ID: inc.ID.String(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
		DeclaredAt: ts(inc.DeclaredAt), DeclaredBy: addrOf(s, inc.DeclaredBy), DeclaredByHandle: inc.DeclaredBy}
	score, scored := domain.ScoreDrill(s, inc, now.UnixMilli())
	results := map[string]domain.DrillResult{}
	if scored {
		v.Scored, v.Scenario, v.Speed, v.Running, v.Met, v.Total = true, inc.Plan.Scenario, score.Speed, !score.Over, score.Met(), len(score.Results)
		v.Interrupted = score.Stopped != 0
		for _, r := range score.Results {
			results[r.What] = r
		}
	}
	for _, m := range domain.DrillMilestones {
		mv := milestoneView{What: m}
		if at, by := domain.DrillReached(s, inc, m); at != 0 {
			when, after := ts(at), math.Max(0, math.Round(float64(at-inc.DeclaredAt)/100)/10)
			mv.Reached, mv.At, mv.AfterS, mv.By = true, &when, &after, by
			if scored {
				sa := scenarioAfter(score, at)
				mv.ScenarioAfterS = &sa
			}
		}
		if !scored {
			mv.Score = scoreUnknown
		} else if r, ok := results[m]; ok {
			within := time.Duration(r.WithinMs) * time.Millisecond
			deadlineS, deadlineAt := within.Seconds(), ts(r.Deadline)
			mv.Within, mv.DeadlineS, mv.DeadlineAt, mv.Score = shortDur(within), &deadlineS, &deadlineAt, r.Verdict
		}
		v.Milestones = append(v.Milestones, mv)
	}
	return v
}

// drills are the drill incidents of s, newest first.
func drills(s *domain.State) []*domain.Incident {
	var out []*domain.Incident
	for _, inc := range s.Incidents {
		if inc.Drill {
			out = append(out, inc)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DeclaredAt != out[j].DeclaredAt {
			return out[i].DeclaredAt > out[j].DeclaredAt
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out
}

func (a *app) drillListCmd() *cobra.Command {
	return a.listCmd("List past drills, newest first, each expectation met, late, missed or pending", func(s *domain.State, asJSON bool) error {
		list := drills(s)
		now := a.now()
		if asJSON {
			return a.printJSON(views(list, func(inc *domain.Incident) drillView { return viewDrill(s, inc, now) }))
		}
		if len(list) == 0 {
			fmt.Fprintln(a.text(), "no drills yet (tminus drill run SCENARIO)")
			return nil
		}
		var vs []drillView
		w := a.table("ID\tDECLARED (UTC)\tSTATUS\tSPEED\tSCORE\tSCENARIO")
		for _, inc := range list {
			v := viewDrill(s, inc, now)
			vs = append(vs, v)
			speed, score := "?", "unknown"
			if v.Scored {
				speed, score = fmt.Sprintf("%gx", v.Speed), fmt.Sprintf("%d of %d met", v.Met, v.Total)
				if v.Running {
					score += " so far"
				}
				if v.Interrupted {
					score += " (interrupted)"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID.Short(), time.UnixMilli(inc.DeclaredAt).UTC().Format("2006-01-02 15:04"),
				inc.Status, speed, score, oneLine(inc.Title))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return a.printDrillMilestones(vs)
	})
}

// printDrillMilestones writes each drill's milestones under the table: the
// score and deadline of each expected one, in scenario time; on a drill
// with no plan, when each was reached by the wall clock.
func (a *app) printDrillMilestones(vs []drillView) error {
	out := a.text()
	unscored := false
	for _, v := range vs {
		fmt.Fprintf(out, "\n%s %s, declared by %s\n", v.ID[:10], oneLine(v.Title), oneLine(v.DeclaredByHandle))
		w := newTable(out)
		for _, m := range v.Milestones {
			after := "not reached"
			switch {
			case m.ScenarioAfterS != nil:
				after = "after " + shortDur(time.Duration(*m.ScenarioAfterS*float64(time.Second)))
			case m.AfterS != nil:
				after = "after " + shortDur(time.Duration(*m.AfterS*float64(time.Second))) + " (wall clock)"
			}
			if m.By != "" {
				after += " by " + m.By
			}
			switch {
			case m.Reached && m.Score == domain.DrillMissed:
				after += " (after the drill ended)"
			case !m.Reached && m.Score == domain.DrillMissed && v.Interrupted:
				after += " (the drill was interrupted)"
			}
			switch {
			case !v.Scored:
				unscored = true
				fmt.Fprintf(w, "  UNKNOWN\t%s\t\t%s\n", m.What, after)
			case m.Score == "":
				if m.Reached {
					fmt.Fprintf(w, "  -\t%s\tnot expected\t%s\n", m.What, after)
				}
			default:
				fmt.Fprintf(w, "  %s\t%s\twithin %s\t%s\n", strings.ToUpper(m.Score), m.What, m.Within, after)
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if unscored {
		fmt.Fprintln(out, "\nUNKNOWN: a drill declared before drills recorded their plan: its deadlines and speed are not in the log, so it has no score and its times are by the wall clock.")
	}
	return nil
}
