package runbooks

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"go.yaml.in/yaml/v3"
)

//go:embed scenarios/*.yaml
var scenarioFiles embed.FS

// Drill expectations: the incident reaching a milestone within a deadline.
// They are the domain's drill milestones, which a drill's signed plan names.
const (
	ExpectAcknowledged = domain.DrillAcknowledged
	ExpectTriaged      = domain.DrillTriaged
	ExpectContained    = domain.DrillContained
	ExpectRecovered    = domain.DrillRecovered
	ExpectResolved     = domain.DrillResolved
)

// Expectations lists what a scenario may expect, in the usual order.
var Expectations = domain.DrillMilestones

// MaxScenarioLength bounds a scenario's offsets and deadlines.
const MaxScenarioLength = domain.MaxDrillLength

// Scenario is a drill: an incident to declare, what is injected into it and
// when, and what responders are expected to do by when.
type Scenario struct {
	Name        string
	Description string
	Severity    string
	Injects     []Inject
	Expect      []Expectation
}

// Inject is one thing the drill adds at an offset from its start: an
// alert, a note or a peer action, exactly one of them.
type Inject struct {
	At    time.Duration
	Alert *DrillAlert
	Note  string
	Peer  *PeerAction
	Line  int
}

// Peer actions: what a simulated peer may do in a drill. There is no
// status: a status change would meet the team's own expectations for it
// (a peer that contained something on its side says so in a note).
const (
	PeerNote     = "note"
	PeerSeverity = "severity"
	PeerTask     = "task"
	PeerAck      = "ack"
)

// PeerActions lists the actions a peer inject may take.
var PeerActions = []string{PeerNote, PeerSeverity, PeerTask, PeerAck}

// SimulatedPrefix starts every simulated peer's handle, so that nobody
// mistakes one for a person and a scenario cannot name a real member.
const SimulatedPrefix = "sim-"

// PeerAction is an action signed by a simulated peer: a member the drill
// adds to the roster as observer + reporter with a key of its own, so the
// event is a real signed event by another author that never counts as
// the team responding.
type PeerAction struct {
	As       string // handle, starting with SimulatedPrefix
	Action   string // one of PeerActions
	Text     string // note
	Severity string // severity
	Title    string // task
}

// DrillAlert is an injected alert.
type DrillAlert struct {
	Title       string
	Severity    string
	Source      string
	Fingerprint string
	Labels      map[string]string
}

// Expectation is a condition with a deadline from the drill's start.
type Expectation struct {
	What   string
	Within time.Duration
	Line   int
}

// ScenarioError names the file and line of a problem in a scenario.
type ScenarioError struct {
	File string
	Line int
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

var severityRE = regexp.MustCompile(`^P[1-4]$`)

// ParseScenario reads a scenario file; file names it in errors.
func ParseScenario(file string, data []byte) (*Scenario, error) {
	p := &scenarioParser{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ScenarioError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, p.errf(nil, "empty scenario: want name, severity, injects and expect")
	}
	sc, err := p.scenario(doc.Content[0])
	if err != nil {
		return nil, err
	}
	return sc, nil
}

type scenarioParser struct{ file string }

func (p *scenarioParser) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ScenarioError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// fields checks that n is a mapping of known keys holding the required ones,
// and returns the key and value nodes by name.
func (p *scenarioParser) fields(n *yaml.Node, what string, known, required []string) (map[string][2]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s: want a mapping of %s", what, strings.Join(known, ", "))
	}
	out := map[string][2]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(known, k.Value) {
			return nil, p.errf(k, "%s: unknown field %q (want %s)", what, k.Value, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errf(k, "%s: %q given twice", what, k.Value)
		}
		out[k.Value] = [2]*yaml.Node{k, v}
	}
	for _, r := range required {
		if _, ok := out[r]; !ok {
			return nil, p.errf(n, "%s: missing field %q", what, r)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *scenarioParser) str(n *yaml.Node, what string, required bool) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if !required && n.Tag == "!!null" {
			return "", nil
		}
		return "", p.errf(n, "%s: want a string", what)
	}
	if required && strings.TrimSpace(n.Value) == "" {
		return "", p.errf(n, "%s: must not be empty", what)
	}
	return n.Value, nil
}

func (p *scenarioParser) duration(n *yaml.Node, what string) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, p.errf(n, "%s: want a duration such as 90s or 5m", what)
	}
	v := strings.TrimSpace(n.Value)
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, p.errf(n, "%s: %q is not a duration (want e.g. 90s, 5m, 1h30m)", what, n.Value)
	case d < 0:
		return 0, p.errf(n, "%s: %s is negative", what, v)
	case d > MaxScenarioLength:
		return 0, p.errf(n, "%s: %s is longer than a drill may run (%s)", what, v, MaxScenarioLength)
	}
	return d, nil
}

func (p *scenarioParser) severity(n *yaml.Node, what string) (string, error) {
	s, err := p.str(n, what, true)
	if err != nil {
		return "", err
	}
	if !severityRE.MatchString(s) {
		return "", p.errf(n, "%s: %q is not a severity (want P1, P2, P3 or P4)", what, s)
	}
	return s, nil
}

func (p *scenarioParser) scenario(n *yaml.Node) (*Scenario, error) {
	f, err := p.fields(n, "scenario", []string{"name", "description", "severity", "injects", "expect"},
		[]string{"name", "severity", "injects", "expect"})
	if err != nil {
		return nil, err
	}
	sc := &Scenario{}
	if sc.Name, err = p.str(f["name"][1], "name", true); err != nil {
		return nil, err
	}
	if d, ok := f["description"]; ok {
		if sc.Description, err = p.str(d[1], "description", false); err != nil {
			return nil, err
		}
	}
	if sc.Severity, err = p.severity(f["severity"][1], "severity"); err != nil {
		return nil, err
	}
	inj := f["injects"][1]
	if inj.Kind != yaml.SequenceNode || len(inj.Content) == 0 {
		return nil, p.errf(inj, "injects: want a list of at least one inject (at: OFFSET with alert:, note: or peer:)")
	}
	for i, in := range inj.Content {
		x, err := p.inject(in, i+1)
		if err != nil {
			return nil, err
		}
		if i > 0 && x.At < sc.Injects[i-1].At {
			return nil, p.errf(in, "inject %d: offsets out of order: at %s comes after %s (line %d); list injects by time",
				i+1, x.At, sc.Injects[i-1].At, sc.Injects[i-1].Line)
		}
		sc.Injects = append(sc.Injects, *x)
	}
	exp := f["expect"][1]
	if exp.Kind != yaml.SequenceNode || len(exp.Content) == 0 {
		return nil, p.errf(exp, "expect: want a list of at least one expectation (what:, within:)")
	}
	seen := map[string]int{}
	for i, en := range exp.Content {
		what := fmt.Sprintf("expectation %d", i+1)
		ef, err := p.fields(en, what, []string{"what", "within"}, []string{"what", "within"})
		if err != nil {
			return nil, err
		}
		w, err := p.str(ef["what"][1], what+": what", true)
		if err != nil {
			return nil, err
		}
		if !contains(Expectations, w) {
			return nil, p.errf(ef["what"][1], "%s: unknown what %q (want %s)", what, w, strings.Join(Expectations, ", "))
		}
		if l, dup := seen[w]; dup {
			return nil, p.errf(ef["what"][1], "%s: %q is already expected on line %d", what, w, l)
		}
		seen[w] = en.Line
		within, err := p.duration(ef["within"][1], what+": within")
		if err != nil {
			return nil, err
		}
		if within <= 0 {
			return nil, p.errf(ef["within"][1], "%s: within must be more than zero", what)
		}
		if within%time.Millisecond != 0 {
			// The drill's signed plan holds deadlines in milliseconds.
			return nil, p.errf(ef["within"][1], "%s: within %s is finer than a millisecond", what, within)
		}
		sc.Expect = append(sc.Expect, Expectation{What: w, Within: within, Line: en.Line})
	}
	return sc, nil
}

// injectKinds are the keys that name what an inject adds.
var injectKinds = []string{"alert", "note", "peer"}

var handleRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)

func (p *scenarioParser) inject(n *yaml.Node, i int) (*Inject, error) {
	what := fmt.Sprintf("inject %d", i)
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s: want a mapping with at: and alert:, note: or peer:", what)
	}
	// The kind is whichever key besides "at" is present; name unknown ones as kinds.
	for j := 0; j+1 < len(n.Content); j += 2 {
		k := n.Content[j]
		if k.Value != "at" && !contains(injectKinds, k.Value) {
			return nil, p.errf(k, "%s: unknown inject kind %q (want alert, note or peer)", what, k.Value)
		}
	}
	f, err := p.fields(n, what, append([]string{"at"}, injectKinds...), []string{"at"})
	if err != nil {
		return nil, err
	}
	x := &Inject{Line: n.Line}
	if x.At, err = p.duration(f["at"][1], what+": at"); err != nil {
		return nil, err
	}
	var kinds []string
	for _, k := range injectKinds {
		if _, ok := f[k]; ok {
			kinds = append(kinds, k)
		}
	}
	switch {
	case len(kinds) == 0:
		return nil, p.errf(n, "%s: missing alert, note or peer", what)
	case len(kinds) > 1:
		second := f[kinds[0]][0] // the key written later names the line
		for _, k := range kinds[1:] {
			if f[k][0].Line > second.Line || (f[k][0].Line == second.Line && f[k][0].Column > second.Column) {
				second = f[k][0]
			}
		}
		return nil, p.errf(second, "%s: one of alert, note or peer, not %s", what, strings.Join(kinds, " and "))
	}
	switch kinds[0] {
	case "note":
		if x.Note, err = p.str(f["note"][1], what+": note", true); err != nil {
			return nil, err
		}
		return x, nil
	case "peer":
		if x.Peer, err = p.peer(f["peer"][1], what+": peer"); err != nil {
			return nil, err
		}
		return x, nil
	}
	al := f["alert"]
	af, err := p.fields(al[1], what+": alert", []string{"title", "severity", "source", "fingerprint", "labels"}, []string{"title"})
	if err != nil {
		return nil, err
	}
	a := &DrillAlert{Source: "drill"}
	if a.Title, err = p.str(af["title"][1], what+": alert title", true); err != nil {
		return nil, err
	}
	if v, ok := af["severity"]; ok {
		if a.Severity, err = p.severity(v[1], what+": alert severity"); err != nil {
			return nil, err
		}
	}
	if v, ok := af["source"]; ok {
		if a.Source, err = p.str(v[1], what+": alert source", true); err != nil {
			return nil, err
		}
	}
	if v, ok := af["fingerprint"]; ok {
		if a.Fingerprint, err = p.str(v[1], what+": alert fingerprint", true); err != nil {
			return nil, err
		}
	}
	if v, ok := af["labels"]; ok {
		ln := v[1]
		if ln.Kind != yaml.MappingNode {
			return nil, p.errf(ln, "%s: alert labels: want a mapping of key: value", what)
		}
		a.Labels = map[string]string{}
		for j := 0; j+1 < len(ln.Content); j += 2 {
			if ln.Content[j+1].Kind != yaml.ScalarNode {
				return nil, p.errf(ln.Content[j+1], "%s: label %q: want a string", what, ln.Content[j].Value)
			}
			a.Labels[ln.Content[j].Value] = ln.Content[j+1].Value
		}
	}
	x.Alert = a
	return x, nil
}

// peer reads a peer action: as and action, plus the one field the action
// needs.
func (p *scenarioParser) peer(n *yaml.Node, what string) (*PeerAction, error) {
	f, err := p.fields(n, what, []string{"as", "action", "text", "severity", "title"}, []string{"as", "action"})
	if err != nil {
		return nil, err
	}
	pa := &PeerAction{}
	if pa.As, err = p.str(f["as"][1], what+": as", true); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(pa.As, SimulatedPrefix) || !handleRE.MatchString(pa.As) {
		return nil, p.errf(f["as"][1], "%s: as %q: a simulated peer's handle starts with %q and has at most 32 of a-z 0-9 _ . -",
			what, pa.As, SimulatedPrefix)
	}
	if pa.Action, err = p.str(f["action"][1], what+": action", true); err != nil {
		return nil, err
	}
	need := map[string]string{PeerNote: "text", PeerSeverity: "severity", PeerTask: "title", PeerAck: ""}
	field, ok := need[pa.Action]
	if !ok {
		return nil, p.errf(f["action"][1], "%s: unknown action %q (want %s)", what, pa.Action, strings.Join(PeerActions, ", "))
	}
	for _, k := range []string{"text", "severity", "title"} {
		if v, given := f[k]; given && k != field {
			return nil, p.errf(v[0], "%s: %q does not go with action %s", what, k, pa.Action)
		}
	}
	if field == "" {
		return pa, nil
	}
	v, given := f[field]
	if !given {
		return nil, p.errf(n, "%s: action %s needs %s:", what, pa.Action, field)
	}
	switch field {
	case "text":
		pa.Text, err = p.str(v[1], what+": text", true)
	case "severity":
		pa.Severity, err = p.severity(v[1], what+": severity")
	case "title":
		pa.Title, err = p.str(v[1], what+": title", true)
	}
	if err != nil {
		return nil, err
	}
	return pa, nil
}

// Plan is what a drill of sc run at speed is scored against, for its
// declaration to record; ref names the scenario as the facilitator did.
func (sc *Scenario) Plan(ref string, speed float64) *domain.DrillPlan {
	p := &domain.DrillPlan{Scenario: ref, Speed: speed}
	for _, e := range sc.Expect {
		p.Expect = append(p.Expect, domain.DrillExpect{What: e.What, WithinMs: e.Within.Milliseconds()})
	}
	return p
}

// Peers lists the simulated peers a scenario's injects act as, in order
// of first appearance.
func (sc *Scenario) Peers() []string {
	var out []string
	for _, in := range sc.Injects {
		if in.Peer != nil && !contains(out, in.Peer.As) {
			out = append(out, in.Peer.As)
		}
	}
	return out
}

// ShippedScenarios names the embedded scenarios, sorted.
func ShippedScenarios() []string {
	ents, _ := fs.ReadDir(scenarioFiles, "scenarios")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// ShippedScenario loads an embedded scenario by name (its file name
// without .yaml); ok is false when there is none of that name.
func ShippedScenario(name string) (sc *Scenario, ok bool, err error) {
	if strings.ContainsAny(name, "/\\") {
		return nil, false, nil
	}
	file := path.Join("scenarios", name+".yaml")
	data, err := scenarioFiles.ReadFile(file)
	if err != nil {
		return nil, false, nil
	}
	sc, err = ParseScenario(file, data)
	return sc, true, err
}
