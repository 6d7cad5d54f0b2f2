package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).drillCmd)
}

// MaxDrillSpeed bounds --speed: an hour of scenario a second.
const MaxDrillSpeed = 3600

// drillPoll is how often a running drill refreshes the state.
const drillPoll = 200 * time.Millisecond

// drillGrace lets an event stamped just before a deadline arrive (from a
// peer, or from another process) before the expectation counts as missed.
const drillGrace = 300 * time.Millisecond

func (a *app) drillCmd() *cobra.Command {
	c := &cobra.Command{Use: "drill", Short: "Drills: rehearse a scenario against the team"}
	var speed float64
	var asJSON bool
	runc := &cobra.Command{
		Use:   "run SCENARIO [--speed X] [--json]",
		Short: "Declare a drill incident, inject on schedule, check expectations, print the score card",
		Long: "SCENARIO is a scenario file or the name of a shipped one (" + strings.Join(runbooks.ShippedScenarios(), ", ") + ").\n" +
			"Offsets and deadlines are divided by --speed.",
		Args: exactArgs(1, "a scenario file or the name of a shipped scenario"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if math.IsNaN(speed) || speed <= 0 || speed > MaxDrillSpeed {
				return usageError{fmt.Errorf("--speed %v: want more than 0 and at most %d", speed, MaxDrillSpeed)}
			}
			sc, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			card, err := a.runDrill(cmd.Context(), sc, speed)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(card)
			}
			return a.printScoreCard(card)
		},
	}
	runc.Flags().Float64Var(&speed, "speed", 1, "run the scenario X times faster (0 < X <= 3600)")
	runc.Flags().BoolVar(&asJSON, "json", false, "print the score card as JSON")
	c.AddCommand(runc)
	return c
}

// loadScenario reads a scenario file, or a shipped scenario by name when
// there is no such file.
func loadScenario(ref string) (*runbooks.Scenario, error) {
	data, err := os.ReadFile(ref)
	if err == nil {
		return runbooks.ParseScenario(ref, data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("scenario %s: %w", ref, err)
	}
	sc, ok, err := runbooks.ShippedScenario(ref)
	if ok {
		return sc, err
	}
	return nil, fmt.Errorf("scenario %s: no such file, and no shipped scenario of that name (shipped: %s)",
		ref, strings.Join(runbooks.ShippedScenarios(), ", "))
}

type scoreCard struct {
	Incident     string       `json:"incident"`
	Scenario     string       `json:"scenario"`
	Speed        float64      `json:"speed"`
	Expectations []expectView `json:"expectations"`
	Met          int          `json:"met"`
	Total        int          `json:"total"`
}

type expectView struct {
	What   string   `json:"what"`
	Within string   `json:"within"`
	Met    bool     `json:"met"`
	AfterS *float64 `json:"after_s"` // scenario seconds from the start; null when never reached
	By     string   `json:"by,omitempty"`

	decided bool
}

// runDrill declares the drill incident, injects on schedule and watches
// the state until every expectation is met or missed.
func (a *app) runDrill(ctx context.Context, sc *runbooks.Scenario, speed float64) (*scoreCard, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := a.home.Signer()
	if err != nil {
		return nil, err
	}
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) / speed) }

	decl, err := st.Append(ctx, signer, &domain.IncidentDeclare{Title: sc.Name, Severity: sc.Severity, Drill: true})
	if err != nil {
		return nil, err
	}
	start := time.UnixMilli(int64(decl.Time))
	view, err := st.NewView(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := view.State().Incidents[decl.ID]; !ok {
		if err := checkRejected(view.State(), decl.ID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("drill incident %s did not fold", decl.ID.Short())
	}
	fmt.Fprintf(a.stderr, "DRILL %s: incident %s, speed %gx\n", sc.Name, decl.ID, speed)

	card := &scoreCard{Incident: decl.ID.String(), Scenario: sc.Name, Speed: speed, Total: len(sc.Expect)}
	for _, e := range sc.Expect {
		card.Expectations = append(card.Expectations, expectView{What: e.What, Within: shortDur(e.Within)})
	}
	tick := time.NewTicker(drillPoll)
	defer tick.Stop()
	next := 0
	for {
		now := time.Now()
		for next < len(sc.Injects) && !now.Before(start.Add(scaled(sc.Injects[next].At))) {
			if err := a.inject(ctx, decl.ID, sc.Injects[next], next); err != nil {
				return nil, fmt.Errorf("inject %d (line %d): %w", next+1, sc.Injects[next].Line, err)
			}
			next++
		}
		if _, err := view.Refresh(ctx); err != nil {
			return nil, err
		}
		s := view.State()
		inc := s.Incidents[decl.ID]
		open := 0
		for i, e := range sc.Expect {
			ev := &card.Expectations[i]
			if ev.decided {
				continue
			}
			deadline := start.Add(scaled(e.Within))
			at, by := reachedAt(s, inc, e.What)
			switch {
			case at != 0:
				after := float64(at-start.UnixMilli()) / 1000 * speed
				if after < 0 {
					after = 0
				}
				after = math.Round(after*10) / 10
				ev.AfterS, ev.By, ev.decided = &after, by, true
				ev.Met = at <= deadline.UnixMilli()
			case now.After(deadline.Add(drillGrace)):
				ev.decided = true
			default:
				open++
			}
			if ev.decided {
				state := "MISSED"
				if ev.Met {
					state = "MET"
				}
				fmt.Fprintf(a.stderr, "  %s %s (within %s)\n", state, e.What, ev.Within)
			}
		}
		if open == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("drill interrupted; the incident %s stays open", decl.ID.Short())
		case <-tick.C:
		}
	}
	for _, e := range card.Expectations {
		if e.Met {
			card.Met++
		}
	}
	return card, nil
}

// inject appends one scheduled inject as signed events. Alert fingerprints
// get the drill's id appended, so a scenario run twice raises fresh alerts.
func (a *app) inject(ctx context.Context, inc domain.ID, in runbooks.Inject, i int) error {
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	signer, err := a.home.Signer()
	if err != nil {
		return err
	}
	if in.Alert == nil {
		_, err := st.Append(ctx, signer, &domain.Note{Incident: inc, Text: in.Note})
		if err == nil {
			fmt.Fprintf(a.stderr, "  T+%s note: %s\n", shortDur(in.At), in.Note)
		}
		return err
	}
	fp := in.Alert.Fingerprint
	if fp == "" {
		fp = fmt.Sprintf("drill-%d", i+1)
	}
	fp += "@" + inc.Short()
	obs := &domain.AlertObserve{Fingerprint: fp, Title: in.Alert.Title, Source: in.Alert.Source, Severity: in.Alert.Severity,
		Status: domain.AlertFiring, Labels: in.Alert.Labels}
	if len(obs.Labels) == 0 {
		obs.Labels = nil
	}
	if _, err := st.AppendMany(ctx, signer, []domain.Body{obs, &domain.IncidentLink{Incident: inc, Alert: domain.AlertID(fp)}}); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "  T+%s alert %s: %s\n", shortDur(in.At), domain.AlertID(fp).Short(), in.Alert.Title)
	return nil
}

// reachedAt is when (unix ms) and by whom the drill incident first met an
// expectation; 0 when it has not.
//
// Acknowledged means a linked alert was acknowledged (alert ack). The
// incident's own AckedAt is used only while no alert is linked: the fold
// stamps it when the drill itself links its injected alerts, which is not
// a responder acknowledging anything. A status counts as reached when it
// or any later status was reached (a jump from triaged to resolved also
// contained the incident).
func reachedAt(s *domain.State, inc *domain.Incident, what string) (int64, string) {
	if inc == nil {
		return 0, ""
	}
	if what == runbooks.ExpectAcknowledged {
		var at int64
		by := ""
		for _, id := range inc.Alerts {
			al, ok := s.Alerts[id]
			if !ok || al.AckedAt == 0 {
				continue
			}
			if at == 0 || al.AckedAt < at {
				at = al.AckedAt
				if len(al.AckedBy) > 0 {
					by = al.AckedBy[0]
				}
			}
		}
		if at == 0 && len(inc.Alerts) == 0 && inc.AckedAt != 0 {
			at = inc.AckedAt
		}
		return at, by
	}
	target := -1
	for i, st := range domain.Statuses {
		if st == what {
			target = i
		}
	}
	if target < 0 {
		return 0, ""
	}
	var at int64
	status := ""
	for _, st := range domain.Statuses[target:] {
		if t, ok := inc.Reached[st]; ok && (at == 0 || t < at) {
			at, status = t, st
		}
	}
	if at == 0 {
		return 0, ""
	}
	for _, e := range inc.Timeline {
		if e.Kind == domain.KindIncidentStatus && e.At == at && strings.HasSuffix(e.Text, "-> "+status) {
			return at, e.By
		}
	}
	return at, ""
}

func (a *app) printScoreCard(c *scoreCard) error {
	fmt.Fprintf(a.stdout, "DRILL %s\nincident %s (speed %gx)\n", c.Scenario, c.Incident, c.Speed)
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for _, e := range c.Expectations {
		state, after := "MISSED", "not reached"
		if e.Met {
			state = "MET"
		}
		if e.AfterS != nil {
			after = "after " + shortDur(time.Duration(*e.AfterS*float64(time.Second)))
			if !e.Met {
				state = "LATE"
			}
		}
		by := ""
		if e.By != "" {
			by = "by " + e.By
		}
		fmt.Fprintf(w, "  %s\t%s\twithin %s\t%s\t%s\n", state, e.What, e.Within, after, by)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "score: %d of %d met\n", c.Met, c.Total)
	return err
}

// shortDur prints 5m rather than 5m0s.
func shortDur(d time.Duration) string {
	s := d.Round(100 * time.Millisecond).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
