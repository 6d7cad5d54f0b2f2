package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

func (a *app) incidentCmd() *cobra.Command {
	c := &cobra.Command{Use: "incident", Short: "Incidents: declare, list, show, severity, status, assign"}
	c.AddCommand(a.incidentDeclareCmd(), a.incidentListCmd(), a.incidentShowCmd(),
		a.incidentSeverityCmd(), a.incidentStatusCmd(), a.incidentAssignCmd())
	return c
}

func (a *app) incidentDeclareCmd() *cobra.Command {
	var d domain.IncidentDeclare
	var fromAlert string
	var asJSON bool
	c := &cobra.Command{
		Use:   "declare --title T --severity P1..P4 [--from-alert ALERT] [--drill]",
		Short: "Declare an incident",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromAlert != "" {
				id, err := a.findAlert(cmd.Context(), fromAlert)
				if err != nil {
					return err
				}
				if err := a.alertFree(cmd.Context(), id); err != nil {
					return err
				}
				d.Alerts = []domain.ID{id}
			}
			if err := valid(&d); err != nil {
				return err
			}
			ev, err := a.append(cmd.Context(), &d)
			if err != nil {
				return err
			}
			return a.created(asJSON, ev.ID.String(), nil)
		},
	}
	c.Flags().StringVar(&d.Title, "title", "", "what is happening")
	c.Flags().StringVar(&d.Severity, "severity", "", "P1 (critical) .. P4 (low)")
	c.Flags().StringVar(&fromAlert, "from-alert", "", "link the alert that started it")
	c.Flags().BoolVar(&d.Drill, "drill", false, "a drill: never counted in real metrics")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("title")
	c.MarkFlagRequired("severity")
	return c
}

func (a *app) incidentListCmd() *cobra.Command {
	return a.listCmd("List incidents, open and most severe first", func(s *domain.State, asJSON bool) error {
		incidents := s.SortedIncidents()
		now := a.now().UnixMilli()
		if asJSON {
			return a.printJSON(views(incidents, func(inc *domain.Incident) incidentView { return viewIncident(s, inc, now) }))
		}
		w := a.table("ID\tSEV\tSTATUS\tDECLARED (UTC)\tTITLE")
		for _, inc := range incidents {
			title := oneLine(inc.Title) // a line feed in it would print a row of its own
			if inc.Drill {
				title = "DRILL " + title
			}
			fmt.Fprintf(w, "%s\t[%s]\t%s\t%s %s\t%s\n", inc.ID.Short(), inc.Severity, inc.Status,
				time.UnixMilli(inc.DeclaredAt).UTC().Format("2006-01-02 15:04"), inc.DeclaredBy, title)
		}
		return w.Flush()
	})
}

func (a *app) incidentShowCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show INCIDENT [--json]",
		Short: "Show an incident with its timeline",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			inc, ok := s.Incidents[id]
			if !ok {
				return fmt.Errorf("incident %s was refused by the fold (tminus log shows why)", id.Short())
			}
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			evs, err := st.SubjectEvents(cmd.Context(), inc.Subjects())
			if err != nil {
				return err
			}
			d := viewIncidentDetail(s, inc, s.Timeline(inc, evs), a.now().UnixMilli())
			d.NotCounted = notCounted(s, inc, evs)
			// The same Safe proposals as safe show, refused signatures included.
			for i := range d.SafeTxs {
				for _, sid := range inc.SafeTxs {
					if p := s.Safe[sid]; p != nil && sid.String() == d.SafeTxs[i].ID {
						if d.SafeTxs[i].Refused, err = a.refusedSigs(cmd.Context(), s, p); err != nil {
							return err
						}
					}
				}
			}
			if asJSON {
				return a.printJSON(d)
			}
			return a.printIncident(d, inc.Leads)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// printIncident writes d for a person: leads by handle (the JSON gives
// their addresses, as CLI.md says, for scripts).
func (a *app) printIncident(d incidentDetail, leads map[string]string) error {
	w := a.text()
	drill := ""
	if d.Drill {
		drill = "  DRILL"
	}
	fmt.Fprintf(w, "[%s] %s  %s%s\n%s declared %s by %s\n", d.Severity, oneLine(d.Title), strings.ToUpper(d.Status), drill,
		d.ID, d.DeclaredAt, d.DeclaredBy)
	for _, r := range domain.LeadRoles {
		if h, ok := leads[r]; ok {
			fmt.Fprintf(w, "  %-12s %s\n", r, h)
		}
	}
	if len(d.Tasks) > 0 {
		fmt.Fprintln(w, "tasks:")
		for _, t := range d.Tasks {
			box := "[ ]"
			if t.Done {
				box = "[x]"
			}
			line := fmt.Sprintf("  %s %s %s", box, t.ID[:10], oneLine(t.Title))
			if t.Owner != "" {
				line += " (" + t.Owner + ")"
			}
			if t.Due != "" {
				line += " due " + t.Due
			}
			if t.Overdue {
				line += " OVERDUE"
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(d.Timers) > 0 {
		fmt.Fprintln(w, "timers:")
		for _, t := range d.Timers {
			due := t.Due
			if t.NextDue != "" {
				due = t.NextDue
			}
			line := fmt.Sprintf("  %s %s: due %s", t.ID[:10], oneLine(t.Label), due)
			if t.Every != "" {
				line += " (every " + shortDur(viewDuration(t.Every)) + ")"
			}
			switch t.State {
			case timerOverdue:
				line += " OVERDUE"
			case timerMet:
				line += " met"
			case timerStopped:
				line += " stopped: the incident is resolved"
			}
			fmt.Fprintln(w, line)
		}
	}
	printProposals(w, d.Proposals)
	if len(d.SafeTxs) > 0 {
		fmt.Fprintln(w, "safe txs (tminus safe show ID):")
		for _, v := range d.SafeTxs {
			state := v.Confirmations + "/" + v.Threshold + " signed"
			if v.Exec != nil {
				state = v.Exec.Event
			}
			fmt.Fprintf(w, "  %s %s %s nonce %s %s safeTxHash %s\n", v.ID[:10], v.Runbook, v.Decoded, v.Nonce, state, v.SafeTxHash)
		}
	}
	fmt.Fprintln(w, "timeline:")
	printTimeline(w, d.Timeline)
	if len(d.NotCounted) > 0 {
		fmt.Fprintln(w, "not counted (signed, stored, refused by the fold):")
		for _, r := range d.NotCounted {
			fmt.Fprintf(w, "  %s %s %s %s: %s\n", r.At, r.By, r.Kind, r.Event[:10], oneLine(r.Reason))
		}
	}
	return nil
}

// printProposals lists the incident's runbook proposals with their ids:
// a responder asked to approve one from a shell had only the timeline,
// which names the runbook but not the id runbook approve takes.
func printProposals(w io.Writer, ps []proposalView) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w, "runbook proposals (tminus runbook approve ID, runbook exec ID):")
	for _, p := range ps {
		state := "ready to run"
		switch {
		case p.Exec != nil:
			state = fmt.Sprintf("executed by %s: exit %d", p.Exec.By, p.Exec.ExitCode)
		case !p.Approved:
			state = "awaiting approvals"
		}
		gate := p.Risk + " risk"
		if p.Risk == domain.RiskHigh {
			approvals := "none"
			if len(p.Approvals) > 0 {
				names := make([]string, len(p.Approvals))
				for i, h := range p.Approvals {
					names[i] = h
					if p.removed[h] {
						names[i] += " (removed: not counted)"
					}
				}
				approvals = strings.Join(names, ", ")
			}
			gate += fmt.Sprintf(", quorum %d, approved by %s", p.Quorum, approvals)
		}
		fmt.Fprintf(w, "  %s %s step %d by %s (%s): %s\n    %s\n", p.ID[:10], oneLine(p.Runbook), p.Step, p.By, gate, state,
			strings.ReplaceAll(strings.TrimRight(p.Command, "\n"), "\n", "\n    "))
	}
}

// refusedView is an event about an incident that the fold refused: the
// losing half of two responders' concurrent changes (the same severity
// twice, a task done twice), or a write of a key that may not write.
type refusedView struct {
	At     string `json:"at"`
	By     string `json:"by"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Event  string `json:"event"`
}

// notCounted are the events of evs about inc that s's fold refused, in
// fold order: what did not win, said where the incident is read.
func notCounted(s *domain.State, inc *domain.Incident, evs []*domain.Event) []refusedView {
	out := []refusedView{}
	if len(s.Rejected) == 0 {
		return out
	}
	why := make(map[domain.ID]string, len(s.Rejected))
	for _, r := range s.Rejected {
		why[r.Event] = r.Reason
	}
	subjects := map[domain.ID]bool{}
	for _, id := range inc.Subjects() {
		subjects[id] = true
	}
	for _, e := range evs {
		reason, ok := why[e.ID]
		if !ok || e.Redacted {
			continue
		}
		b, err := domain.DecodeBody(e.Kind, e.Body)
		if err != nil || !subjects[domain.Subject(e.ID, b)] {
			continue
		}
		out = append(out, refusedView{At: ts(int64(e.Time)), By: s.Handle(e.Author), Kind: e.Kind, Reason: reason, Event: e.ID.String()})
	}
	return out
}

// printTimeline writes one row per entry, its columns as wide as their
// widest entry, so a long handle (a drill's sim-bridge-relayer) or kind
// does not push its own row out of line. A multi-line text (a note) goes on
// under its own column: at the start of a line it could pass for an entry
// nobody signed.
func printTimeline(w io.Writer, tl []entryView) {
	byW, kindW := 8, 17
	for _, e := range tl {
		byW, kindW = max(byW, len(e.By)), max(kindW, len(e.Kind))
	}
	indent := "\n" + strings.Repeat(" ", 2+len("2006-01-02T15:04:05.000Z")+1+byW+1+kindW+1)
	for _, e := range tl {
		text := strings.ReplaceAll(strings.TrimRight(e.Text, "\n"), "\n", indent)
		fmt.Fprintf(w, "  %s %-*s %-*s %s\n", e.At, byW, e.By, kindW, e.Kind, text)
	}
}

func (a *app) incidentSeverityCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "severity INCIDENT P1..P4",
		Short: "Set an incident's severity",
		Args:  exactArgs(2, "the incident id and a severity"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !domain.ValidSeverity(args[1]) {
				return usageError{fmt.Errorf("severity %q: want P1, P2, P3 or P4", args[1])}
			}
			return a.changeIncident(cmd, args[0], func(id domain.ID) domain.Body {
				return &domain.IncidentSeverity{Incident: id, Severity: args[1]}
			})
		},
	})
}

func (a *app) incidentStatusCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "status INCIDENT triaged|contained|recovered|resolved",
		Short: "Move an incident to a new status",
		Args:  exactArgs(2, "the incident id and a status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b := &domain.IncidentStatus{Status: args[1]}
			if err := validBeforeLookup(b, &b.Incident); err != nil {
				return err
			}
			return a.changeIncident(cmd, args[0], func(id domain.ID) domain.Body {
				b.Incident = id
				return b
			})
		},
	})
}

func (a *app) incidentAssignCmd() *cobra.Command {
	return withJSON(&cobra.Command{
		Use:   "assign INCIDENT ROLE MEMBER",
		Short: "Make a member the incident's lead for a role",
		Args:  exactArgs(3, "the incident id, a role and a member"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			h, err := a.memberHandle(cmd.Context(), args[2])
			if err != nil {
				return err
			}
			b := &domain.IncidentAssign{Incident: id, Role: args[1], Member: h}
			if err := valid(b); err != nil {
				return err
			}
			// As task assign and a repeated severity or status: naming the
			// lead already in place changes nothing and would only add a
			// second identical line to the timeline.
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			if inc := s.Incidents[id]; inc != nil && inc.Leads[b.Role] == h {
				return fmt.Errorf("%s already leads %s on incident %s: nothing to change", h, b.Role, id.Short())
			}
			// Gated: the fold decides whether this member may name leads and
			// whether the lead holds the role; a refused one must not look done.
			ev, err := a.gated(cmd.Context(), b)
			if err != nil {
				return err
			}
			return a.created(wantJSON(cmd), ev.ID.String(), nil)
		},
	})
}

// The shapes shared by the incident, alert, task, note, timer and evidence
// commands.

// listCmd is a "list [--json]" command: it folds the store and hands the
// state to list, for a table or, with --json, one JSON document.
func (a *app) listCmd(short string, list func(s *domain.State, asJSON bool) error) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: short,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			return list(s, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// views maps items to their JSON shapes. The result is never nil: an empty
// list is [] in JSON, not null.
func views[T, V any](items []T, view func(T) V) []V {
	out := make([]V, 0, len(items))
	for _, it := range items {
		out = append(out, view(it))
	}
	return out
}

// table starts a table for people on stdout, under header; the caller
// writes tab-separated rows and flushes.
func (a *app) table(header string) *tabwriter.Writer {
	w := newTable(a.text())
	fmt.Fprintln(w, header)
	return w
}

// appendToIncident resolves ref to an incident, appends the body build
// makes for it and prints the new event's id. build runs after the lookup,
// so it may itself look things up and fail.
func (a *app) appendToIncident(cmd *cobra.Command, ref string, build func(incident domain.ID) (domain.Body, error)) error {
	id, err := a.incidentID(cmd.Context(), ref)
	if err != nil {
		return err
	}
	b, err := build(id)
	if err != nil {
		return err
	}
	return a.appendPrint(cmd, b)
}

// changeIncident resolves ref and writes the change build makes, gated: the
// fold refuses a severity or status the incident already has (a second
// responder's concurrent change, or a typo), and that must not look done.
func (a *app) changeIncident(cmd *cobra.Command, ref string, build func(incident domain.ID) domain.Body) error {
	id, err := a.incidentID(cmd.Context(), ref)
	if err != nil {
		return err
	}
	ev, err := a.gated(cmd.Context(), build(id))
	if err != nil {
		return err
	}
	return a.created(wantJSON(cmd), ev.ID.String(), nil)
}

// appendPrint appends one event and prints its id (created).
func (a *app) appendPrint(cmd *cobra.Command, b domain.Body) error {
	ev, err := a.append(cmd.Context(), b)
	if err != nil {
		return err
	}
	return a.created(wantJSON(cmd), ev.ID.String(), nil)
}

// withJSON gives a command that creates something the --json flag every
// such command takes (CLI.md: `{"id": ...}`); wantJSON reads it.
func withJSON(c *cobra.Command) *cobra.Command {
	c.Flags().Bool("json", false, "print JSON")
	return c
}

func wantJSON(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("json")
	return v
}

// valid reports a body the domain refuses as wrong usage (exit 2): what is
// wrong is on the command line.
func valid(b domain.Body) error {
	if err := b.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// validBeforeLookup checks b's own fields before its incident is looked up,
// so that wrong usage exits 2 whatever the incident prefix. A placeholder
// stands in for the incident during the check.
func validBeforeLookup(b domain.Body, incident *domain.ID) error {
	incident[0] = 1
	defer func() { *incident = domain.ID{} }()
	return valid(b)
}
