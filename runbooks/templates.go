package runbooks

import (
	"embed"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.md
var templateFiles embed.FS

// Metric keys of IncidentData.Metrics, each a duration from the incident's start.
const (
	MetricAcknowledge = "acknowledge"
	MetricTriage      = "triage"
	MetricContain     = "contain"
	MetricResolve     = "resolve"
)

// IncidentData is what the kickoff and retro templates are filled from. It is a plain copy
// of the incident, made by the caller from the folded state, so that this package needs no
// event log and the templates never see anything they could change.
type IncidentData struct {
	ID         string
	Title      string
	Severity   string
	Status     string
	Drill      bool
	DeclaredAt time.Time
	DeclaredBy string
	// RetroDue is the fold's "Retro due" timer: 72 h after the first
	// resolution (domain.RetroWindow); zero while the incident was never resolved.
	RetroDue   time.Time
	Leads      map[string]string // role -> member handle
	Deadlines  []Deadline
	Timeline   []TimelineEntry // in the order of the signed log
	Tasks      []Task
	Evidence   []Evidence
	Executions []Execution
	// SafeExecuted counts the incident's executed Safe transactions: with no
	// shell step run, they were the containment, and the form must not say none.
	SafeExecuted int
	Metrics      map[string]time.Duration // Metric* keys
	// DrillClock, on a drill, says which clock its times are in: scenario
	// time when its plan records its speed, else the wall clock.
	DrillClock string
}

// Deadline is a T-minus timer: due once, or every Every from Due on.
type Deadline struct {
	Label string
	Due   time.Time
	Every time.Duration
}

// TimelineEntry is one line of the incident's timeline.
type TimelineEntry struct {
	At   time.Time
	By   string
	Kind string
	Text string
}

// Task is an incident task.
type Task struct {
	Title string
	Owner string
	Due   time.Time // zero: none
	Done  bool
}

// Evidence is a stored blob of the incident.
type Evidence struct {
	Name   string
	Source string // file, runbook (a step's output), alert (a webhook payload)
	SHA256 string
	Size   int64 // -1: unknown (an alert's payload)
}

// Execution is one executed runbook step.
type Execution struct {
	Runbook   string
	Step      int
	Command   string
	ExitCode  int
	Approvers []string
}

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"utc":        utc,
	"dur":        dur,
	"lead":       lead,
	"metric":     func(m map[string]time.Duration, k string) string { return dur(m[k]) },
	"oneline":    oneline,
	"cell":       func(s string) string { return strings.ReplaceAll(oneline(s), "|", `\|`) },
	"join":       strings.Join,
	"nextUpdate": nextUpdate,
}).Option("missingkey=error").ParseFS(templateFiles, "templates/*.md"))

// RenderKickoff fills incident-kickoff.md: the message the comms lead posts when an incident
// is declared.
func RenderKickoff(d IncidentData) (string, error) {
	return execute("incident-kickoff.md", d)
}

// RenderRetro fills retro-form.md: the post-incident review draft, with the timeline,
// executions, metrics and evidence hashes in place and the judgement left to people.
func RenderRetro(d IncidentData) (string, error) {
	return execute("retro-form.md", d)
}

func execute(name string, d IncidentData) (string, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	s := d.Round(time.Second).String()
	// "30m" and "2h" read better in a message than Go's "30m0s" and "2h0m0s".
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func lead(leads map[string]string, role string) string {
	if h := leads[role]; h != "" {
		return h
	}
	return "unassigned"
}

// oneline keeps a free-text field from breaking the line structure of a message or table.
func oneline(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// nextUpdate is the earliest recurring deadline: the comms cadence. Templates never read the
// clock, so the same incident always renders the same text.
func nextUpdate(ds []Deadline) string {
	var next time.Time
	for _, d := range ds {
		if d.Every > 0 && (next.IsZero() || d.Due.Before(next)) {
			next = d.Due
		}
	}
	if next.IsZero() {
		return ""
	}
	return utc(next)
}
