package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
)

// drillMilestones are the expectations a scenario can name, in the order
// an incident reaches them.
var drillMilestones = []string{runbooks.ExpectAcknowledged, runbooks.ExpectTriaged, runbooks.ExpectContained,
	runbooks.ExpectRecovered, runbooks.ExpectResolved}

// drillView is one past drill as drill list shows it. The log holds the
// drill incident but neither its scenario's deadlines nor its --speed, so
// no met/late/missed score can be recomputed from it: it shows when the
// team reached each milestone instead, judged as drill run judges them
// (reachedAt: the facilitator's and simulated peers' own actions never
// count).
type drillView struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"` // the scenario's name
	Severity   string          `json:"severity"`
	Status     string          `json:"status"`
	DeclaredAt string          `json:"declared_at"`
	DeclaredBy string          `json:"declared_by"` // the facilitator's address
	Milestones []milestoneView `json:"milestones"`  // each of drillMilestones, in order
}

// milestoneView is when a responder first reached a milestone; at and
// after_s are null when none has.
type milestoneView struct {
	What    string   `json:"what"`
	Reached bool     `json:"reached"`
	At      *string  `json:"at"`
	AfterS  *float64 `json:"after_s"` // wall-clock seconds after the declaration
	By      string   `json:"by,omitempty"`
}

func viewDrill(s *domain.State, inc *domain.Incident) drillView {
	v := drillView{ID: inc.ID.String(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
		DeclaredAt: ts(inc.DeclaredAt), DeclaredBy: addrOf(s, inc.DeclaredBy)}
	for _, m := range drillMilestones {
		mv := milestoneView{What: m}
		if at, by := reachedAt(s, inc, m); at != 0 {
			when, after := ts(at), math.Max(0, math.Round(float64(at-inc.DeclaredAt)/100)/10)
			mv.Reached, mv.At, mv.AfterS, mv.By = true, &when, &after, by
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
	return a.listCmd("List past drills, newest first, with how long after the start the team reached each milestone", func(s *domain.State, asJSON bool) error {
		list := drills(s)
		if asJSON {
			return a.printJSON(views(list, func(inc *domain.Incident) drillView { return viewDrill(s, inc) }))
		}
		if len(list) == 0 {
			fmt.Fprintln(a.text(), "no drills yet (tminus drill run SCENARIO)")
			return nil
		}
		w := a.table("ID\tDECLARED (UTC)\tSTATUS\tACKED\tCONTAINED\tRESOLVED\tSCENARIO")
		for _, inc := range list {
			v := viewDrill(s, inc)
			after := func(m string) string {
				for _, h := range v.Milestones {
					if h.What == m && h.Reached {
						return shortDur(time.Duration(*h.AfterS * float64(time.Second)))
					}
				}
				return "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID.Short(), time.UnixMilli(inc.DeclaredAt).UTC().Format("2006-01-02 15:04"),
				inc.Status, after(runbooks.ExpectAcknowledged), after(runbooks.ExpectContained), after(runbooks.ExpectResolved),
				strings.TrimSpace(inc.Title))
		}
		return w.Flush()
	})
}
