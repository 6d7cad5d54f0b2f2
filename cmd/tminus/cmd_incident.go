package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

func (a *app) alertCmd() *cobra.Command {
	c := &cobra.Command{Use: "alert", Short: "Alerts: raise, list, acknowledge"}
	var r domain.AlertObserve
	var labels []string
	var resolved, rJSON bool
	raise := &cobra.Command{
		Use:   "raise --title T [--severity P1..P4] [--source S] [--fingerprint F] [--label k=v]...",
		Short: "Raise (observe) an alert as this member",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r.Labels = map[string]string{}
			for _, l := range labels {
				k, v, ok := strings.Cut(l, "=")
				if !ok || k == "" {
					return usageError{fmt.Errorf("--label %q: want key=value", l)}
				}
				r.Labels[k] = v
			}
			if len(r.Labels) == 0 {
				r.Labels = nil
			}
			if r.Fingerprint == "" {
				r.Fingerprint = fmt.Sprintf("%x", sha256.Sum256([]byte(r.Source+"\xff"+r.Title)))[:16]
			}
			r.Status = domain.AlertFiring
			if resolved {
				r.Status = domain.AlertResolved
			}
			if _, err := a.append(cmd.Context(), &r); err != nil {
				return err
			}
			id := domain.AlertID(r.Fingerprint)
			return a.created(rJSON, id.String(), map[string]any{"fingerprint": r.Fingerprint})
		},
	}
	raise.Flags().StringVar(&r.Title, "title", "", "what is wrong")
	raise.Flags().StringVar(&r.Severity, "severity", "", "P1..P4")
	raise.Flags().StringVar(&r.Source, "source", "manual", "where it came from")
	raise.Flags().StringVar(&r.Fingerprint, "fingerprint", "", "identity of the alert across sources (default: from source and title)")
	raise.Flags().StringArrayVar(&labels, "label", nil, "k=v label (repeatable)")
	raise.Flags().BoolVar(&resolved, "resolved", false, "report the alert as resolved")
	raise.Flags().BoolVar(&rJSON, "json", false, "print JSON")
	raise.MarkFlagRequired("title")

	var lJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List alerts, newest first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			if lJSON {
				out := []alertView{}
				for _, al := range s.SortedAlerts() {
					out = append(out, viewAlert(s, al))
				}
				return a.printJSON(out)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSEV\tSTATUS\tSEEN\tTITLE\tSOURCE\tACKED")
			for _, al := range s.SortedAlerts() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", al.ID.Short(), orDash(al.Severity), al.Status,
					s.Corroboration(al), al.Title, al.Source, strings.Join(al.AckedBy, ","))
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&lJSON, "json", false, "print JSON")

	var aJSON bool
	ack := &cobra.Command{
		Use:   "ack ALERT",
		Short: "Acknowledge an alert (by id prefix or fingerprint)",
		Args:  exactArgs(1, "the alert id or fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			id, err := a.alertID(cmd.Context(), s, args[0])
			if err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), &domain.AlertAck{Alert: id})
			if err != nil {
				return err
			}
			return a.created(aJSON, ev.ID.String(), map[string]any{"alert": id.String()})
		},
	}
	ack.Flags().BoolVar(&aJSON, "json", false, "print JSON")
	c.AddCommand(raise, list, ack)
	return c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) incidentCmd() *cobra.Command {
	c := &cobra.Command{Use: "incident", Short: "Incidents: declare, list, show, severity, status, assign"}
	var d domain.IncidentDeclare
	var fromAlert string
	var dJSON bool
	declare := &cobra.Command{
		Use:   "declare --title T --severity P1..P4 [--from-alert ALERT] [--drill]",
		Short: "Declare an incident",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromAlert != "" {
				s, err := a.state(cmd.Context())
				if err != nil {
					return err
				}
				id, err := a.alertID(cmd.Context(), s, fromAlert)
				if err != nil {
					return err
				}
				d.Alerts = []domain.ID{id}
			}
			if err := d.Validate(); err != nil {
				return usageError{err}
			}
			ev, err := a.append(cmd.Context(), &d)
			if err != nil {
				return err
			}
			return a.created(dJSON, ev.ID.String(), nil)
		},
	}
	declare.Flags().StringVar(&d.Title, "title", "", "what is happening")
	declare.Flags().StringVar(&d.Severity, "severity", "", "P1 (critical) .. P4 (low)")
	declare.Flags().StringVar(&fromAlert, "from-alert", "", "link the alert that started it")
	declare.Flags().BoolVar(&d.Drill, "drill", false, "a drill: never counted in real metrics")
	declare.Flags().BoolVar(&dJSON, "json", false, "print JSON")
	declare.MarkFlagRequired("title")
	declare.MarkFlagRequired("severity")

	var lJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List incidents, open and most severe first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			if lJSON {
				out := []incidentView{}
				for _, inc := range s.SortedIncidents() {
					out = append(out, viewIncident(s, inc))
				}
				return a.printJSON(out)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSEV\tSTATUS\tDECLARED\tTITLE")
			for _, inc := range s.SortedIncidents() {
				title := inc.Title
				if inc.Drill {
					title = "DRILL " + title
				}
				fmt.Fprintf(w, "%s\t[%s]\t%s\t%s %s\t%s\n", inc.ID.Short(), inc.Severity, inc.Status,
					time.UnixMilli(inc.DeclaredAt).Format("2006-01-02 15:04"), inc.DeclaredBy, title)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&lJSON, "json", false, "print JSON")

	var sJSON bool
	show := &cobra.Command{
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
			d := viewIncidentDetail(s, inc)
			if sJSON {
				return a.printJSON(d)
			}
			return a.printIncident(d, inc.Leads)
		},
	}
	show.Flags().BoolVar(&sJSON, "json", false, "print JSON")

	severity := &cobra.Command{
		Use:   "severity INCIDENT P1..P4",
		Short: "Set an incident's severity",
		Args:  exactArgs(2, "the incident id and a severity"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !domain.ValidSeverity(args[1]) {
				return usageError{fmt.Errorf("severity %q: want P1, P2, P3 or P4", args[1])}
			}
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.appendPrint(cmd, &domain.IncidentSeverity{Incident: id, Severity: args[1]})
		},
	}
	status := &cobra.Command{
		Use:   "status INCIDENT triaged|contained|recovered|resolved",
		Short: "Move an incident to a new status",
		Args:  exactArgs(2, "the incident id and a status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b := &domain.IncidentStatus{Status: args[1]}
			b.Incident[0] = 1
			if err := b.Validate(); err != nil {
				return usageError{err}
			}
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			b.Incident = id
			return a.appendPrint(cmd, b)
		},
	}
	assign := &cobra.Command{
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
			if err := b.Validate(); err != nil {
				return usageError{err}
			}
			ev, err := a.gated(cmd.Context(), b)
			if err != nil {
				return err
			}
			return a.created(false, ev.ID.String(), nil)
		},
	}
	c.AddCommand(declare, list, show, severity, status, assign)
	return c
}

// appendPrint appends one event and prints its id.
func (a *app) appendPrint(cmd *cobra.Command, b domain.Body) error {
	ev, err := a.append(cmd.Context(), b)
	if err != nil {
		return err
	}
	return a.created(false, ev.ID.String(), nil)
}

// printIncident writes d for a person: leads by handle (the JSON gives
// their addresses, as CLI.md says, for scripts).
func (a *app) printIncident(d incidentDetail, leads map[string]string) error {
	drill := ""
	if d.Drill {
		drill = "  DRILL"
	}
	fmt.Fprintf(a.stdout, "[%s] %s  %s%s\n%s declared %s by %s\n", d.Severity, d.Title, strings.ToUpper(d.Status), drill,
		d.ID, d.DeclaredAt, d.DeclaredBy)
	for _, r := range domain.LeadRoles {
		if h, ok := leads[r]; ok {
			fmt.Fprintf(a.stdout, "  %-12s %s\n", r, h)
		}
	}
	if len(d.Tasks) > 0 {
		fmt.Fprintln(a.stdout, "tasks:")
		for _, t := range d.Tasks {
			box := "[ ]"
			if t.Done {
				box = "[x]"
			}
			fmt.Fprintf(a.stdout, "  %s %s %s %s %s\n", box, t.ID[:10], t.Title, t.Owner, t.Due)
		}
	}
	if len(d.Timers) > 0 {
		fmt.Fprintln(a.stdout, "timers:")
		for _, t := range d.Timers {
			fmt.Fprintf(a.stdout, "  %s %s due %s %s\n", t.ID[:10], t.Label, t.Due, t.Every)
		}
	}
	fmt.Fprintln(a.stdout, "timeline:")
	for _, e := range d.Timeline {
		fmt.Fprintf(a.stdout, "  %s %-8s %-17s %s\n", e.At, e.By, e.Kind, e.Text)
	}
	return nil
}

func (a *app) taskCmd() *cobra.Command {
	c := &cobra.Command{Use: "task", Short: "Tasks of an incident"}
	var t domain.TaskAdd
	var due time.Duration
	add := &cobra.Command{
		Use:   "add INCIDENT --title T [--owner MEMBER] [--due DURATION]",
		Short: "Add a task",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			t.Incident = id
			if t.Owner != "" {
				if t.Owner, err = a.memberHandle(cmd.Context(), t.Owner); err != nil {
					return err
				}
			}
			if due < 0 {
				return usageError{fmt.Errorf("--due %s is in the past", due)}
			}
			if due > 0 {
				t.Due = time.Now().Add(due).UnixMilli()
			}
			return a.appendPrint(cmd, &t)
		},
	}
	add.Flags().StringVar(&t.Title, "title", "", "what needs doing")
	add.Flags().StringVar(&t.Owner, "owner", "", "who does it (handle or address)")
	add.Flags().DurationVar(&due, "due", 0, "due in (e.g. 30m)")
	add.MarkFlagRequired("title")
	done := &cobra.Command{
		Use:   "done TASK",
		Short: "Mark a task done",
		Args:  exactArgs(1, "the task id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "task", "tminus incident show INCIDENT", domain.KindTaskAdd)
			if err != nil {
				return err
			}
			return a.appendPrint(cmd, &domain.TaskDone{Task: id})
		},
	}
	c.AddCommand(add, done)
	return c
}

func (a *app) noteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "note INCIDENT TEXT",
		Short: "Add a note to an incident's timeline",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.appendPrint(cmd, &domain.Note{Incident: id, Text: strings.Join(args[1:], " ")})
		},
	}
}

func (a *app) timerCmd() *cobra.Command {
	c := &cobra.Command{Use: "timer", Short: "T-minus deadlines"}
	var label, at string
	var in, every time.Duration
	set := &cobra.Command{
		Use:   "set INCIDENT --label L (--in DURATION | --at RFC3339) [--every DURATION]",
		Short: "Set a deadline, optionally recurring",
		Args:  exactArgs(1, "the incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var due time.Time
			switch {
			case (in != 0) == (at != ""):
				return usageError{fmt.Errorf("give exactly one of --in and --at")}
			case in < 0:
				return usageError{fmt.Errorf("--in %s is negative", in)}
			case in > 0:
				due = time.Now().Add(in)
			default:
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usageError{fmt.Errorf("--at: %w", err)}
				}
				due = t
			}
			b := &domain.TimerSet{Label: label, Due: due.UnixMilli(), Every: every.Milliseconds()}
			b.Incident[0] = 1
			if err := b.Validate(); err != nil {
				return usageError{err}
			}
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			b.Incident = id
			return a.appendPrint(cmd, b)
		},
	}
	set.Flags().StringVar(&label, "label", "", "what is due")
	set.Flags().DurationVar(&in, "in", 0, "due in (e.g. 15m)")
	set.Flags().StringVar(&at, "at", "", "due at (RFC 3339)")
	set.Flags().DurationVar(&every, "every", 0, "re-arm every (e.g. 30m)")
	set.MarkFlagRequired("label")
	c.AddCommand(set)
	return c
}

func (a *app) evidenceCmd() *cobra.Command {
	c := &cobra.Command{Use: "evidence", Short: "Evidence files, kept as content-addressed blobs"}
	var name string
	add := &cobra.Command{
		Use:   "add INCIDENT FILE [--name N]",
		Short: "Store a file as evidence and record its hash on the incident",
		Args:  exactArgs(2, "the incident id and a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			st, err := a.home.Store(cmd.Context())
			if err != nil {
				return err
			}
			h, err := st.PutBlob(cmd.Context(), data)
			if err != nil {
				return err
			}
			if name == "" {
				name = filepath.Base(args[1])
			}
			return a.appendPrint(cmd, &domain.EvidenceAdd{Incident: id, Name: name, SHA256: h, Size: int64(len(data))})
		},
	}
	add.Flags().StringVar(&name, "name", "", "name to show (default: the file's name)")
	c.AddCommand(add)
	return c
}
