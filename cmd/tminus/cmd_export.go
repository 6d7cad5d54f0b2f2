package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).exportCmd, (*app).metricsCmd)
}

func (a *app) exportCmd() *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "export INCIDENT --format md|jsonl [--out FILE]",
		Short: "The retro draft (md) or the incident's signed events for offline verification (jsonl)",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "md" && format != "jsonl" {
				return usageError{fmt.Errorf("--format %q: want md or jsonl", format)}
			}
			ctx := cmd.Context()
			id, err := a.incidentID(ctx, args[0])
			if err != nil {
				return err
			}
			s, err := a.state(ctx)
			if err != nil {
				return err
			}
			inc, ok := s.Incidents[id]
			if !ok {
				return fmt.Errorf("incident %s was refused by the fold (tminus log shows why)", id.Short())
			}
			var buf bytes.Buffer
			if format == "md" {
				tl, err := a.timeline(ctx, s, inc)
				if err != nil {
					return err
				}
				sk, err := a.skew(ctx, s)
				if err != nil {
					return err
				}
				st, err := a.home.Store(ctx)
				if err != nil {
					return err
				}
				ev, err := st.Evidence(ctx, s, inc) // files, step outputs and alert payloads, as evidence list shows
				if err != nil {
					return err
				}
				text, err := retroMarkdown(s, inc, tl, ev, sk, a.now())
				if err != nil {
					return err
				}
				// The retro is for people, in a terminal or an editor: its titles
				// and notes lose their control characters (textsafe.go). The jsonl
				// lines are signed and stay byte-exact.
				buf.Write(appendSafe(nil, []byte(text)))
			} else if err := a.exportLines(ctx, s, inc, &buf); err != nil {
				return err
			}
			if out == "" || out == "-" { // "-" is stdout, as for evidence get -o
				_, err := a.stdout.Write(buf.Bytes())
				return err
			}
			return writeFileAtomic(out, buf.Bytes())
		},
	}
	c.Flags().StringVar(&format, "format", "", "md (the retro draft) or jsonl (signed events, others redacted)")
	c.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout (atomically; - is stdout)")
	c.MarkFlagRequired("format")
	return c
}

// incidentData copies the folded incident into what the retro template reads;
// its metrics leave out what sk flagged, as `metrics` does.
func incidentData(s *domain.State, inc *domain.Incident, timeline []domain.Entry, evidence []domain.EvidenceItem, sk *domain.Skew) runbooks.IncidentData {
	ms := func(v int64) time.Time {
		if v == 0 {
			return time.Time{}
		}
		return time.UnixMilli(v).UTC()
	}
	d := runbooks.IncidentData{ID: inc.ID.String(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
		Drill: inc.Drill, DeclaredAt: ms(inc.DeclaredAt), DeclaredBy: inc.DeclaredBy, Leads: map[string]string{},
		Metrics: domain.MetricsOfExcluding(s, inc, sk).Times, DrillClock: drillClock(inc)}
	if t := s.Timers[domain.RetroTimerID(inc.ID)]; t != nil {
		d.RetroDue = ms(t.Due)
	}
	for r, h := range inc.Leads {
		d.Leads[r] = h
	}
	for _, id := range inc.Timers {
		if t, ok := s.Timers[id]; ok {
			d.Deadlines = append(d.Deadlines, runbooks.Deadline{Label: t.Label, Due: ms(t.Due), Every: time.Duration(t.Every) * time.Millisecond})
		}
	}
	for _, e := range timeline {
		d.Timeline = append(d.Timeline, runbooks.TimelineEntry{At: ms(e.At), By: e.By, Kind: e.Kind, Text: e.Text})
	}
	for _, id := range inc.Tasks {
		if t, ok := s.Tasks[id]; ok {
			d.Tasks = append(d.Tasks, runbooks.Task{Title: t.Title, Owner: t.Owner, Due: ms(t.Due), Done: t.Done})
		}
	}
	for _, e := range evidence {
		d.Evidence = append(d.Evidence, runbooks.Evidence{Name: e.Name, Source: e.Source, SHA256: e.SHA256, Size: e.Size})
	}
	for _, id := range inc.Proposals {
		p, ok := s.Proposals[id]
		if !ok || p.Exec == nil {
			continue
		}
		approvers := []string{p.By + " (proposer)"}
		for _, h := range p.Approvals {
			if h != p.By {
				approvers = append(approvers, h)
			}
		}
		d.Executions = append(d.Executions, runbooks.Execution{Runbook: p.Runbook, Step: p.Step, Command: p.Command,
			ExitCode: p.Exec.ExitCode, Approvers: approvers})
	}
	for _, id := range inc.SafeTxs {
		if p := s.Safe[id]; p != nil && p.Exec != nil {
			d.SafeExecuted++
		}
	}
	return d
}

// retroMarkdown is the retro form plus what the form has no place for:
// the severity history and who did what when. The milestones show every
// time as signed, marking those the metrics leave out as skewed (sk).
func retroMarkdown(s *domain.State, inc *domain.Incident, timeline []domain.Entry, evidence []domain.EvidenceItem, sk *domain.Skew, now time.Time) (string, error) {
	d := incidentData(s, inc, timeline, evidence, sk)
	text, err := runbooks.RenderRetro(d)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(text, "\n"))
	b.WriteString("\n\n## Severity history\n\n| When (UTC) | Severity | Set by |\n| --- | --- | --- |\n")
	for _, c := range inc.SevHistory {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", time.UnixMilli(c.At).UTC().Format("2006-01-02 15:04:05 UTC"), c.Severity, c.By)
	}
	b.WriteString("\n## Who did what, when\n\n")
	b.WriteString("Acknowledged: a responder's ack of a linked alert or first triage action (severity, status, assign);\n" +
		"declaring and linking are not acknowledgements")
	if inc.Drill {
		b.WriteString(", nor is anything the drill's facilitator (" + inc.DeclaredBy + ") or its simulated peers (sim-...) did")
	}
	b.WriteString(".\n\n| Milestone | When (UTC) | By | After the start |\n| --- | --- | --- | --- |\n")
	ms := domain.Milestones(s, inc)
	skewed := domain.MetricsOfExcluding(s, inc, sk).Skewed
	for _, m := range ms {
		by := m.By
		if by == "" {
			by = "-"
		}
		after := m.After.Round(100 * time.Millisecond).String()
		if slices.Contains(skewed, m.Phase) {
			after += " (skewed: not counted)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", milestoneName[m.Phase], time.UnixMilli(m.At).UTC().Format("2006-01-02 15:04:05 UTC"),
			by, after)
	}
	if len(ms) == 0 {
		b.WriteString("| _not acknowledged yet_ | | | |\n")
	}
	if len(skewed) > 0 {
		fmt.Fprintf(&b, "\nSkewed: measured from an event signed more than %s ahead of this replica's clock when it arrived "+
			"(SKEWED in tminus log); the metrics leave it out.\n", store.MaxSkew)
	}
	retroDrill(&b, s, inc, now)
	retroSafe(&b, s, inc)
	return b.String(), nil
}

// milestoneName names a phase as the point reached.
var milestoneName = map[string]string{domain.PhaseAcknowledge: "acknowledged", domain.PhaseTriage: "triaged",
	domain.PhaseContain: "contained", domain.PhaseRecover: "recovered", domain.PhaseResolve: "resolved"}

// exportLines writes every stored event in fold order: the incident's own
// events and the roster events in full, every other event redacted, so
// chains stay unbroken and nothing of other incidents is disclosed.
func (a *app) exportLines(ctx context.Context, s *domain.State, inc *domain.Incident, w io.Writer) error {
	st, err := a.home.Store(ctx)
	if err != nil {
		return err
	}
	keep := incidentRefs(inc)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err = st.Log(ctx, func(e *domain.Event, _ bool) error {
		if !keep(e) {
			r, err := e.Redact()
			if err != nil {
				return err
			}
			e = r
		}
		return enc.Encode(domain.NewLine(e))
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// incidentRefs says whether an event belongs in full in an incident's
// export: the roster, and every event about one of the incident's
// subjects (domain.Subject), which is what its timeline shows. The roster
// is every kind that decides who may write (domain.IdentityKinds): without
// a key.rotate in full, what a member's new key signed reads as a
// stranger's; proofs and roster changes carry public keys and policy only.
func incidentRefs(inc *domain.Incident) func(*domain.Event) bool {
	subjects := map[domain.ID]bool{}
	for _, id := range inc.Subjects() {
		subjects[id] = true
	}
	return func(e *domain.Event) bool {
		if e.Kind == domain.KindAnchorRecord || domain.IsIdentityKind(e.Kind) {
			return true // an anchor names heads and roots, nothing of another incident
		}
		subj, err := e.Subject()
		return err == nil && subjects[subj]
	}
}

// writeFileAtomic writes data to path through a temporary file and a
// rename: the file is complete or absent.
func writeFileAtomic(path string, data []byte) error {
	if err := checkOutputDir(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(dirOf(path), ".tminus-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func (a *app) metricsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "metrics [--json]",
		Short: "Time to acknowledge, triage, contain, recover and resolve: means and medians, drills apart",
		Long: `Time to acknowledge, triage, contain, recover and resolve: means and medians over the
incidents that reached each, drills apart. Each time runs from the incident's start (its
declaration, or the first sighting of an alert it was declared from or linked to, when earlier
and no incident declared before it has the alert) to the signer's clock on the event that ended
the phase:
  acknowledge  a responder's first ack of a linked alert, or first severity, status or assign
               (an ack made before the incident existed, of an alert an earlier incident has,
               was that incident's and does not count)
  triage, contain, recover  the first move to that status (contain: or a Safe execution)
  resolve      the resolution in force: a reopened incident is open and not counted; resolved
               again, it is measured to that later resolution
A time measured from an event this replica flagged as skewed (signed more than 5m ahead of its
clock when it arrived; SKEWED in tminus log) is left out and counted (skewed_excluded).
A drill's times are in scenario time: the wall clock times the --speed its declaration
recorded, as its scenario's deadlines are written (per_incident "speed"); a drill declared
before drills recorded their speed is measured by the wall clock (drills "wall_clock" counts them).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			sk, err := a.skew(cmd.Context(), s)
			if err != nil {
				return err
			}
			sum := domain.MetricsExcluding(s, sk)
			if asJSON {
				out := metricsJSON(sum.Real)
				out["drills"] = drillMetricsJSON(sum.Drills)
				per := []map[string]any{}
				for _, m := range sum.Incidents {
					times := map[string]float64{}
					for k, v := range m.Times {
						times[k] = v.Seconds()
					}
					per = append(per, withSpeed(map[string]any{"id": m.Incident.String(), "title": m.Title, "drill": m.Drill,
						"start": ts(m.Start), "times_s": times, "skewed": m.Skewed}, m))
				}
				out["per_incident"] = per
				return a.printJSON(out)
			}
			w := newTable(a.text())
			for _, part := range []struct {
				name string
				ag   domain.Aggregate
			}{{"incidents", sum.Real}, {"drills", sum.Drills}} {
				fmt.Fprintf(w, "%s: %d\n", part.name, part.ag.Incidents)
				fmt.Fprintln(w, "  TIME TO\tN\tMEAN\tMEDIAN")
				for _, ph := range domain.Phases {
					st, ok := part.ag.Phases[ph]
					if !ok {
						fmt.Fprintf(w, "  %s\t0\t-\t-\n", ph)
						continue
					}
					fmt.Fprintf(w, "  %s\t%d\t%s\t%s\n", ph, st.N, st.Mean.Round(time.Second), st.Median.Round(time.Second))
				}
				if n := part.ag.Skewed; n > 0 {
					fmt.Fprintf(w, "  left out: %d time(s) measured from events dated more than %s ahead of this replica's clock (SKEWED in tminus log)\n",
						n, store.MaxSkew)
				}
				if part.name == "drills" {
					drillMetricsNote(w, part.ag)
				}
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// skew is what this replica's store flagged as skewed, for the metrics.
func (a *app) skew(ctx context.Context, s *domain.State) (*domain.Skew, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	flagged, err := st.Skewed(ctx)
	if err != nil {
		return nil, err
	}
	return domain.NewSkew(s, flagged), nil
}

// metricsJSON is CLI.md's shape: mean seconds as mtt*_s (null when no
// incident reached the phase), with medians and counts alongside.
func metricsJSON(ag domain.Aggregate) map[string]any {
	secs := func(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
	out := map[string]any{"incidents": ag.Incidents, "skewed_excluded": ag.Skewed}
	means, medians, counts := map[string]any{}, map[string]any{}, map[string]int{}
	for _, ph := range domain.Phases {
		st, ok := ag.Phases[ph]
		if !ok {
			means[ph], medians[ph], counts[ph] = nil, nil, 0
			continue
		}
		means[ph], medians[ph], counts[ph] = secs(st.Mean), secs(st.Median), st.N
	}
	out["mtta_s"] = means[domain.PhaseAcknowledge]
	out["mttt_s"] = means[domain.PhaseTriage]
	out["mttc_s"] = means[domain.PhaseContain]
	out["mttrec_s"] = means[domain.PhaseRecover]
	out["mttr_s"] = means[domain.PhaseResolve]
	out["mean_s"], out["median_s"], out["n"] = means, medians, counts
	return out
}

// retroSafe lists the incident's Safe transactions: what was proposed,
// which owners signed (recorded by which member), and how it executed.
func retroSafe(b *strings.Builder, s *domain.State, inc *domain.Incident) {
	if len(inc.SafeTxs) == 0 {
		return
	}
	b.WriteString("\n## Safe transactions\n")
	for _, id := range inc.SafeTxs {
		p := s.Safe[id]
		if p == nil {
			continue
		}
		v := viewSafe(s, p)
		fmt.Fprintf(b, "\n- %s: `%s` on Safe %s (chain %s), nonce %s, %s, proposed by %s\n  safeTxHash `%s`\n",
			v.Runbook, v.Decoded, v.Safe, v.ChainID, v.Nonce, v.Operation, v.By, v.SafeTxHash)
		for _, sg := range v.Signatures {
			fmt.Fprintf(b, "  - signed by owner %s, recorded by %s at %s\n", sg.Owner, sg.By,
				strings.Replace(strings.TrimSuffix(sg.At, "Z"), "T", " ", 1)+" UTC")
		}
		if x := v.Exec; x != nil {
			fmt.Fprintf(b, "  - executed by %s: %s in tx `%s`, block %s\n", x.By, x.Event, x.TxHash, x.Block)
		} else {
			fmt.Fprintf(b, "  - not executed: %s of %s owner signatures\n", v.Confirmations, v.Threshold)
		}
	}
}
