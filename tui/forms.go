package tui

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// The forms of every action that needs input. Each builds the same event body the CLI
// command would, so the cockpit and the CLI cannot disagree about what an action means.

var errNoIncident = errors.New("no incident selected: declare one with D or pick one on the Incidents tab (6)")

func (c *Context) declareForm(from *domain.Alert) *form {
	title, sev := "", "P2"
	f := &form{title: "Declare an incident", draft: draftOf("declare", domain.ID{}), pane: paneIncidents, what: "declared"}
	if from != nil {
		title = clean(from.Title)
		if from.Severity != "" {
			sev = from.Severity
		}
		f.title = "Declare an incident from the alert " + clean(from.Title) // its title stays put while the field is edited
		f.draft, f.pane = draftOf("declare", from.ID), paneAlerts
	}
	f.fields = []*field{
		c.textField("Title", title, "what is happening"),
		choiceField("Severity", domain.Severities, sev),
		choiceField("Drill", []string{"no", "yes"}, "no"),
	}
	f.build = func(v []string) (domain.Body, error) {
		b := &domain.IncidentDeclare{Title: v[0], Severity: v[1], Drill: v[2] == "yes"}
		if from != nil {
			b.Alerts = []domain.ID{from.ID}
		}
		return b, nil
	}
	f.after = func(m *Model, id domain.ID) { m.selectIncident(id) }
	return f
}

func (c *Context) severityForm(inc *domain.Incident) *form {
	f := &form{title: "Severity of " + clean(inc.Title), draft: draftOf("severity", inc.ID), pane: paneIncidents, what: "severity set",
		fields: []*field{choiceField("Severity", domain.Severities, inc.Severity)}}
	f.build = func(v []string) (domain.Body, error) {
		if v[0] == inc.Severity {
			return nil, fmt.Errorf("the incident is already %s", v[0])
		}
		return &domain.IncidentSeverity{Incident: inc.ID, Severity: v[0]}, nil
	}
	return f
}

func (c *Context) statusForm(inc *domain.Incident) *form {
	choices := domain.Statuses[1:] // declared is where incidents start, never a target
	next := domain.StatusTriaged
	for i, s := range domain.Statuses {
		if s == inc.Status && i+1 < len(domain.Statuses) {
			next = domain.Statuses[i+1]
		}
	}
	f := &form{title: "Status of " + clean(inc.Title) + " (now " + inc.Status + ")", draft: draftOf("status", inc.ID), pane: paneIncidents,
		what: "status set", fields: []*field{choiceField("Status", choices, next)}}
	f.build = func(v []string) (domain.Body, error) {
		if v[0] == inc.Status {
			return nil, fmt.Errorf("the incident is already %s", v[0])
		}
		return &domain.IncidentStatus{Incident: inc.ID, Status: v[0]}, nil
	}
	return f
}

// handles lists active members, sorted, optionally with a leading "(none)".
func handles(s *domain.State, none bool) []string {
	var out []string
	for h, m := range s.Members {
		if m.Active {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	if none {
		out = append([]string{"(none)"}, out...)
	}
	return out
}

func (c *Context) leadForm(inc *domain.Incident) *form {
	st := c.Live.State
	f := &form{title: "Assign a lead for " + clean(inc.Title), draft: draftOf("lead", inc.ID), pane: paneIncidents, what: "lead assigned",
		fields: []*field{choiceField("Role", domain.LeadRoles, domain.RoleTriage),
			choiceField("Member", handles(st, false), c.Live.Me)}}
	f.build = func(v []string) (domain.Body, error) {
		// The fold would refuse it too; saying so here keeps the form open to fix it.
		if m := c.Live.State.Members[v[1]]; m == nil || !m.Has(v[0]) {
			return nil, fmt.Errorf("%s does not hold the %s role", v[1], v[0])
		}
		// Signing what is already so would only add a line to everyone's timeline. The
		// state now, not when the form opened: a peer may have changed the lead since.
		if now := c.Live.State.Incidents[inc.ID]; now != nil && now.Leads[v[0]] == v[1] {
			return nil, fmt.Errorf("%s already leads %s: ←/→ picks another member or role", v[1], v[0])
		}
		return &domain.IncidentAssign{Incident: inc.ID, Role: v[0], Member: v[1]}, nil
	}
	return f
}

func (c *Context) taskForm(inc *domain.Incident) *form {
	f := &form{title: "Add a task to " + clean(inc.Title), draft: draftOf("task", inc.ID), pane: paneTasks, what: "task added",
		fields: []*field{c.textField("Title", "", "what needs doing"),
			choiceField("Owner", handles(c.Live.State, true), "(none)"),
			c.durationField("Due in", "optional, e.g. 30m")}}
	f.build = func(v []string) (domain.Body, error) {
		b := &domain.TaskAdd{Incident: inc.ID, Title: v[0]}
		if v[1] != "(none)" {
			b.Owner = v[1]
		}
		if v[2] != "" {
			d, err := parseDuration(v[2])
			if err != nil {
				return nil, fmt.Errorf("due in: %w", err)
			}
			b.Due = c.Live.Now.Add(d).UnixMilli()
		}
		return b, nil
	}
	return f
}

func (c *Context) ownerForm(t *domain.Task) *form {
	f := &form{title: "Owner of " + clean(t.Title), draft: draftOf("owner", t.ID), pane: paneTasks, what: "owner set",
		fields: []*field{choiceField("Owner", handles(c.Live.State, false), t.Owner)}}
	f.build = func(v []string) (domain.Body, error) {
		if now := c.Live.State.Tasks[t.ID]; now != nil && now.Owner == v[0] {
			return nil, fmt.Errorf("%s already owns it: ←/→ picks another member", v[0])
		}
		return &domain.TaskAssign{Task: t.ID, Owner: v[0]}, nil
	}
	return f
}

func (c *Context) timerForm(inc *domain.Incident) *form {
	f := &form{title: "Add a T-minus timer to " + clean(inc.Title), draft: draftOf("timer", inc.ID), pane: paneTimers, what: "timer set",
		fields: []*field{c.textField("Label", "", "what is due"),
			c.durationField("In", "e.g. 15m"),
			c.durationField("Every", "optional: re-arm, e.g. 30m")}}
	f.build = func(v []string) (domain.Body, error) {
		if v[1] == "" {
			return nil, errors.New("in: say when it is due, e.g. 15m")
		}
		in, err := parseDuration(v[1])
		if err != nil {
			return nil, fmt.Errorf("in: %w", err)
		}
		b := &domain.TimerSet{Incident: inc.ID, Label: v[0], Due: c.Live.Now.Add(in).UnixMilli()}
		if v[2] != "" {
			ev, err := parseDuration(v[2])
			if err != nil {
				return nil, fmt.Errorf("every: %w", err)
			}
			b.Every = ev.Milliseconds()
		}
		return b, nil
	}
	return f
}

func (c *Context) noteForm(inc *domain.Incident) *form {
	f := &form{title: "Note on " + clean(inc.Title), draft: draftOf("note", inc.ID), pane: paneTimeline, what: "note added",
		fields: []*field{c.textField("Note", "", "what happened, what you saw")}}
	f.build = func(v []string) (domain.Body, error) { return &domain.Note{Incident: inc.ID, Text: v[0]}, nil }
	return f
}

// durationField checks its value as it is typed, as a runbook parameter is checked: "10x"
// shows ✗ on its own line at once, not only after enter from the last field, with the
// focus elsewhere. Empty is left to build (optional here, required there).
func (c *Context) durationField(label, hint string) *field {
	f := c.textField(label, "", hint)
	f.check = func(v string) error {
		if v == "" {
			return nil
		}
		_, err := parseDuration(v)
		return err
	}
	return f
}

// parseDuration takes Go durations (90s, 30m, 1h30m) and a bare number as minutes, the
// unit responders think in.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "m"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (try 90s, 15m, 2h)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s is not in the future", s)
	}
	return d, nil
}
