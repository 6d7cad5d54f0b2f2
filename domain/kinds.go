package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// Event kinds. Each has one body type below.
const (
	KindGenesis         = "workspace.genesis"
	KindMemberPropose   = "member.propose"
	KindMemberApprove   = "member.approve"
	KindAlertObserve    = "alert.observe"
	KindAlertAck        = "alert.ack"
	KindIncidentDeclare = "incident.declare"
	KindIncidentSev     = "incident.severity"
	KindIncidentStatus  = "incident.status"
	KindIncidentAssign  = "incident.assign"
	KindIncidentLink    = "incident.link"
	KindTaskAdd         = "task.add"
	KindTaskDone        = "task.done"
	KindTaskAssign      = "task.assign"
	KindTaskReopen      = "task.reopen"
	KindNote            = "note.add"
	KindTimerSet        = "timer.set"
	KindTimerDone       = "timer.done"
	KindEvidenceAdd     = "evidence.add"
	KindRunbookPropose  = "runbook.propose"
	KindRunbookApprove  = "runbook.approve"
	KindRunbookExec     = "runbook.exec"
)

// Body is the payload of one kind of event.
type Body interface {
	Kind() string
	Validate() error
}

var kinds = map[string]func() Body{
	KindGenesis:         func() Body { return new(Genesis) },
	KindMemberPropose:   func() Body { return new(MemberPropose) },
	KindMemberApprove:   func() Body { return new(MemberApprove) },
	KindAlertObserve:    func() Body { return new(AlertObserve) },
	KindAlertAck:        func() Body { return new(AlertAck) },
	KindIncidentDeclare: func() Body { return new(IncidentDeclare) },
	KindIncidentSev:     func() Body { return new(IncidentSeverity) },
	KindIncidentStatus:  func() Body { return new(IncidentStatus) },
	KindIncidentAssign:  func() Body { return new(IncidentAssign) },
	KindIncidentLink:    func() Body { return new(IncidentLink) },
	KindTaskAdd:         func() Body { return new(TaskAdd) },
	KindTaskDone:        func() Body { return new(TaskDone) },
	KindTaskAssign:      func() Body { return new(TaskAssign) },
	KindTaskReopen:      func() Body { return new(TaskReopen) },
	KindNote:            func() Body { return new(Note) },
	KindTimerSet:        func() Body { return new(TimerSet) },
	KindTimerDone:       func() Body { return new(TimerDone) },
	KindEvidenceAdd:     func() Body { return new(EvidenceAdd) },
	KindRunbookPropose:  func() Body { return new(RunbookPropose) },
	KindRunbookApprove:  func() Body { return new(RunbookApprove) },
	KindRunbookExec:     func() Body { return new(RunbookExec) },
}

// Kinds lists the known kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// EncodeBody validates b and returns its canonical JSON.
func EncodeBody(b Body) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", b.Kind(), err)
	}
	return json.Marshal(b)
}

// DecodeBody parses and validates a body of the given kind. Only the
// canonical encoding is accepted, so one payload has one byte form and
// unknown fields cannot ride along under a valid signature.
//
// The fast decoder reads it; encoding/json, which defines the canonical
// form, re-encodes it and must give back the same bytes, which also turns
// away unknown, duplicate or differently-cased fields. Anything refused
// is read again by the strict decoder to say what is wrong.
func DecodeBody(kind string, data []byte) (Body, error) {
	b, err := decodeBody(kind, data)
	if err == nil {
		var canon []byte
		if canon, err = json.Marshal(b); err == nil && bytes.Equal(canon, data) {
			return b, nil
		}
	}
	if _, err := decodeStrict(kind, data); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %s body is not canonical JSON", ErrMalformed, kind)
}

// decodeBody skips the canonical check: the fold reads bodies that were
// checked when they entered the store. goccy/go-json decodes them several
// times faster than encoding/json (fastUnmarshal), and decoding is most of
// what a fold and a batch import spend outside signature recovery.
func decodeBody(kind string, data []byte) (Body, error) {
	mk, ok := kinds[kind]
	if !ok {
		return nil, unknownKind(kind)
	}
	b := mk()
	if err := fastUnmarshal(data, b); err != nil {
		return decodeStrict(kind, data)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformed, kind, err)
	}
	return b, nil
}

// decodeStrict is encoding/json refusing unknown fields: slower, with
// the clearer errors.
func decodeStrict(kind string, data []byte) (Body, error) {
	mk, ok := kinds[kind]
	if !ok {
		return nil, unknownKind(kind)
	}
	b := mk()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformed, kind, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s body: trailing data", ErrMalformed, kind)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformed, kind, err)
	}
	return b, nil
}

// Roles a member can hold. Observer is read-only.
const (
	RoleReporter    = "reporter"
	RoleTriage      = "triage"
	RoleComms       = "comms"
	RoleContainment = "containment"
	RoleRecorder    = "recorder"
	RoleObserver    = "observer"
)

var Roles = []string{RoleReporter, RoleTriage, RoleComms, RoleContainment, RoleRecorder, RoleObserver}

// LeadRoles are the roles an incident has a lead for.
var LeadRoles = []string{RoleReporter, RoleTriage, RoleComms, RoleContainment, RoleRecorder}

func ValidRole(r string) bool { return contains(Roles, r) }

// Severities, most severe first.
var Severities = []string{"P1", "P2", "P3", "P4"}

func ValidSeverity(s string) bool { return contains(Severities, s) }

// Incident statuses in their usual order.
const (
	StatusDeclared  = "declared"
	StatusTriaged   = "triaged"
	StatusContained = "contained"
	StatusRecovered = "recovered"
	StatusResolved  = "resolved"
)

var Statuses = []string{StatusDeclared, StatusTriaged, StatusContained, StatusRecovered, StatusResolved}

func ValidStatus(s string) bool { return contains(Statuses, s) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var handleRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)

// ValidHandle reports whether h can name a member.
func ValidHandle(h string) bool { return handleRE.MatchString(h) }

func text(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return fmt.Errorf("%s is required", field)
	case len(s) > max:
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	return nil
}

func required(field string, id ID) error {
	if id.IsZero() {
		return fmt.Errorf("%s is required", field)
	}
	return nil
}

func roles(rs []string) error {
	if len(rs) == 0 {
		return fmt.Errorf("at least one role is required")
	}
	if !sort.StringsAreSorted(rs) {
		return fmt.Errorf("roles must be sorted")
	}
	for i, r := range rs {
		if !ValidRole(r) {
			return fmt.Errorf("unknown role %q (roles: %s)", r, strings.Join(Roles, ", "))
		}
		if i > 0 && rs[i-1] == r {
			return fmt.Errorf("role %q twice", r)
		}
	}
	return nil
}

// NormalizeRoles sorts and dedupes a role list as bodies require.
func NormalizeRoles(rs []string) []string {
	out := append([]string(nil), rs...)
	sort.Strings(out)
	j := 0
	for i, r := range out {
		if i == 0 || r != out[j-1] {
			out[j] = r
			j++
		}
	}
	return out[:j]
}

// MemberSpec describes a person in the roster.
type MemberSpec struct {
	Address common.Address `json:"address"`
	Handle  string         `json:"handle"`
	Roles   []string       `json:"roles,omitempty"`
	Enode   string         `json:"enode,omitempty"`
}

func (m *MemberSpec) validate(needRoles bool) error {
	if m.Address == (common.Address{}) {
		return fmt.Errorf("member address is required")
	}
	if !ValidHandle(m.Handle) {
		return fmt.Errorf("handle %q: use 1-32 of a-z 0-9 _ . - starting with a letter", m.Handle)
	}
	if needRoles || len(m.Roles) > 0 {
		if err := roles(m.Roles); err != nil {
			return err
		}
	}
	return text("enode", m.Enode, 512, false)
}

// Policy is fixed by the genesis.
type Policy struct {
	// RosterQuorum is the number of distinct members whose approvals apply
	// a roster change; 0 means a majority of the current members.
	RosterQuorum int `json:"roster_quorum"`
	// SuggestP1At is how many distinct members' watchers must observe a
	// firing alert before the cockpit suggests treating it as P1 (the
	// "5 of 9 watchers agree" rule); 0 never suggests.
	SuggestP1At int `json:"suggest_p1_at,omitempty"`
}

type Genesis struct {
	Name    string     `json:"name"`
	Policy  Policy     `json:"policy"`
	Founder MemberSpec `json:"founder"`
}

func (*Genesis) Kind() string { return KindGenesis }
func (b *Genesis) Validate() error {
	if err := text("name", b.Name, 100, true); err != nil {
		return err
	}
	if b.Policy.RosterQuorum < 0 || b.Policy.RosterQuorum > 1000 {
		return fmt.Errorf("roster quorum %d out of range", b.Policy.RosterQuorum)
	}
	if b.Policy.SuggestP1At < 0 || b.Policy.SuggestP1At > 1000 {
		return fmt.Errorf("suggest-P1 threshold %d out of range", b.Policy.SuggestP1At)
	}
	return b.Founder.validate(true)
}

// Roster change actions.
const (
	ActionAdd    = "add"
	ActionRemove = "remove"
)

type MemberPropose struct {
	Action string     `json:"action"`
	Member MemberSpec `json:"member"`
	// Cuts, for remove: each of the member's keys with the last seq the
	// proposer held; what the key signs after it never counts (cuts.go).
	Cuts []KeyCut `json:"cuts,omitempty"`
}

func (*MemberPropose) Kind() string { return KindMemberPropose }
func (b *MemberPropose) Validate() error {
	switch b.Action {
	case ActionAdd:
		if len(b.Cuts) > 0 {
			return fmt.Errorf("add carries cuts: only a removal cuts keys")
		}
		return b.Member.validate(false)
	case ActionRemove:
		if !ValidHandle(b.Member.Handle) {
			return fmt.Errorf("remove needs the member's handle")
		}
		return validCuts(b.Cuts)
	}
	return fmt.Errorf("action %q: want add or remove", b.Action)
}

type MemberApprove struct {
	Proposal ID `json:"proposal"`
}

func (*MemberApprove) Kind() string      { return KindMemberApprove }
func (b *MemberApprove) Validate() error { return required("proposal", b.Proposal) }

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

type AlertObserve struct {
	Fingerprint string            `json:"fingerprint"`
	Title       string            `json:"title"`
	Source      string            `json:"source"`
	Severity    string            `json:"severity,omitempty"`
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels,omitempty"`
	StartsAt    int64             `json:"starts_at,omitempty"` // unix ms, from the source
	Reorged     bool              `json:"reorged,omitempty"`
	// Payload is the sha256 of the delivery as received (a webhook body),
	// kept as a blob: evidence of what the source said.
	Payload string `json:"payload,omitempty"`
}

func (*AlertObserve) Kind() string { return KindAlertObserve }
func (b *AlertObserve) Validate() error {
	if err := text("fingerprint", b.Fingerprint, 200, true); err != nil {
		return err
	}
	if err := text("title", b.Title, 500, true); err != nil {
		return err
	}
	if err := text("source", b.Source, 100, false); err != nil {
		return err
	}
	if b.Severity != "" && !ValidSeverity(b.Severity) {
		return fmt.Errorf("severity %q: want P1..P4", b.Severity)
	}
	if b.Status != AlertFiring && b.Status != AlertResolved {
		return fmt.Errorf("status %q: want firing or resolved", b.Status)
	}
	if b.Payload != "" && !sha256RE.MatchString(b.Payload) {
		return fmt.Errorf("payload %q: want the sha256 of the payload blob, 64 lowercase hex characters", b.Payload)
	}
	if len(b.Labels) > 64 {
		return fmt.Errorf("%d labels, limit 64", len(b.Labels))
	}
	for k, v := range b.Labels {
		if err := text("label name", k, 200, true); err != nil {
			return err
		}
		if err := text("label "+k, v, 2000, false); err != nil {
			return err
		}
	}
	return nil
}

type AlertAck struct {
	Alert ID `json:"alert"`
}

func (*AlertAck) Kind() string      { return KindAlertAck }
func (b *AlertAck) Validate() error { return required("alert", b.Alert) }

type IncidentDeclare struct {
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Drill    bool   `json:"drill,omitempty"`
	Alerts   []ID   `json:"alerts,omitempty"`
	// Plan, on a drill, is what drill run scores it against (drill.go).
	Plan *DrillPlan `json:"plan,omitempty"`
}

func (*IncidentDeclare) Kind() string { return KindIncidentDeclare }
func (b *IncidentDeclare) Validate() error {
	if err := text("title", b.Title, 200, true); err != nil {
		return err
	}
	if !ValidSeverity(b.Severity) {
		return fmt.Errorf("severity %q: want P1..P4", b.Severity)
	}
	if len(b.Alerts) > 100 {
		return fmt.Errorf("%d alerts, limit 100", len(b.Alerts))
	}
	if b.Plan != nil {
		if !b.Drill {
			return fmt.Errorf("a drill plan on an incident that is not a drill")
		}
		return b.Plan.validate()
	}
	return nil
}

type IncidentSeverity struct {
	Incident ID     `json:"incident"`
	Severity string `json:"severity"`
}

func (*IncidentSeverity) Kind() string { return KindIncidentSev }
func (b *IncidentSeverity) Validate() error {
	if !ValidSeverity(b.Severity) {
		return fmt.Errorf("severity %q: want P1..P4", b.Severity)
	}
	return required("incident", b.Incident)
}

type IncidentStatus struct {
	Incident ID     `json:"incident"`
	Status   string `json:"status"`
}

func (*IncidentStatus) Kind() string { return KindIncidentStatus }
func (b *IncidentStatus) Validate() error {
	if !ValidStatus(b.Status) || b.Status == StatusDeclared {
		return fmt.Errorf("status %q: want triaged, contained, recovered or resolved", b.Status)
	}
	return required("incident", b.Incident)
}

type IncidentAssign struct {
	Incident ID     `json:"incident"`
	Role     string `json:"role"`
	Member   string `json:"member"` // handle
}

func (*IncidentAssign) Kind() string { return KindIncidentAssign }
func (b *IncidentAssign) Validate() error {
	if !contains(LeadRoles, b.Role) {
		return fmt.Errorf("role %q: want one of %s", b.Role, strings.Join(LeadRoles, ", "))
	}
	if !ValidHandle(b.Member) {
		return fmt.Errorf("member %q is not a handle", b.Member)
	}
	return required("incident", b.Incident)
}

type IncidentLink struct {
	Incident ID `json:"incident"`
	Alert    ID `json:"alert"`
}

func (*IncidentLink) Kind() string { return KindIncidentLink }
func (b *IncidentLink) Validate() error {
	if err := required("alert", b.Alert); err != nil {
		return err
	}
	return required("incident", b.Incident)
}

type TaskAdd struct {
	Incident ID     `json:"incident"`
	Title    string `json:"title"`
	Owner    string `json:"owner,omitempty"` // handle
	Due      int64  `json:"due,omitempty"`   // unix ms
}

func (*TaskAdd) Kind() string { return KindTaskAdd }
func (b *TaskAdd) Validate() error {
	if err := text("title", b.Title, 300, true); err != nil {
		return err
	}
	if b.Owner != "" && !ValidHandle(b.Owner) {
		return fmt.Errorf("owner %q is not a handle", b.Owner)
	}
	if b.Due < 0 {
		return fmt.Errorf("due is negative")
	}
	return required("incident", b.Incident)
}

type TaskDone struct {
	Task ID `json:"task"`
}

func (*TaskDone) Kind() string      { return KindTaskDone }
func (b *TaskDone) Validate() error { return required("task", b.Task) }

type TaskAssign struct {
	Task  ID     `json:"task"`
	Owner string `json:"owner"`
}

func (*TaskAssign) Kind() string { return KindTaskAssign }
func (b *TaskAssign) Validate() error {
	if !ValidHandle(b.Owner) {
		return fmt.Errorf("owner %q is not a handle", b.Owner)
	}
	return required("task", b.Task)
}

// TaskReopen undoes a task's done: marked done by mistake, or the fix
// did not hold. A replica older than this kind refuses it as newer.
type TaskReopen struct {
	Task ID `json:"task"`
}

func (*TaskReopen) Kind() string      { return KindTaskReopen }
func (b *TaskReopen) Validate() error { return required("task", b.Task) }

type Note struct {
	Incident ID     `json:"incident"`
	Text     string `json:"text"`
}

func (*Note) Kind() string { return KindNote }
func (b *Note) Validate() error {
	if err := text("text", b.Text, 16<<10, true); err != nil {
		return err
	}
	return required("incident", b.Incident)
}

type TimerSet struct {
	Incident ID     `json:"incident"`
	Label    string `json:"label"`
	Due      int64  `json:"due"`             // unix ms of the first deadline
	Every    int64  `json:"every,omitempty"` // ms; re-arms after each deadline
}

func (*TimerSet) Kind() string { return KindTimerSet }
func (b *TimerSet) Validate() error {
	if err := text("label", b.Label, 200, true); err != nil {
		return err
	}
	if b.Due <= 0 {
		return fmt.Errorf("due is required")
	}
	if b.Every < 0 || (b.Every > 0 && b.Every < 1000) {
		return fmt.Errorf("every must be at least 1s")
	}
	return required("incident", b.Incident)
}

type TimerDone struct {
	Timer ID `json:"timer"`
}

func (*TimerDone) Kind() string      { return KindTimerDone }
func (b *TimerDone) Validate() error { return required("timer", b.Timer) }

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

type EvidenceAdd struct {
	Incident ID     `json:"incident"`
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
}

func (*EvidenceAdd) Kind() string { return KindEvidenceAdd }
func (b *EvidenceAdd) Validate() error {
	if err := text("name", b.Name, 300, true); err != nil {
		return err
	}
	if !sha256RE.MatchString(b.SHA256) {
		return fmt.Errorf("sha256 %q: want 64 lowercase hex characters", b.SHA256)
	}
	if b.Size < 0 {
		return fmt.Errorf("size is negative")
	}
	return required("incident", b.Incident)
}

// Runbook risks.
const (
	RiskLow  = "low"
	RiskHigh = "high"
)

type RunbookPropose struct {
	Incident    ID                `json:"incident"`
	Runbook     string            `json:"runbook"`
	RunbookHash string            `json:"runbook_hash"` // sha256 of the runbook file
	Step        int               `json:"step"`
	StepTitle   string            `json:"step_title,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Command     string            `json:"command"`
	CommandHash string            `json:"command_hash"` // sha256 of Command
	Risk        string            `json:"risk"`
	Quorum      int               `json:"quorum"`
	Approvers   []string          `json:"approvers,omitempty"`
}

func (*RunbookPropose) Kind() string { return KindRunbookPropose }
func (b *RunbookPropose) Validate() error {
	if err := text("runbook", b.Runbook, 100, true); err != nil {
		return err
	}
	if !sha256RE.MatchString(b.RunbookHash) || !sha256RE.MatchString(b.CommandHash) {
		return fmt.Errorf("runbook_hash and command_hash must be sha256 hex")
	}
	if CommandHash(b.Command) != b.CommandHash {
		return fmt.Errorf("command_hash does not match the command")
	}
	if err := text("command", b.Command, 8<<10, true); err != nil {
		return err
	}
	if b.Step < 1 {
		return fmt.Errorf("step %d: steps count from 1", b.Step)
	}
	if b.Risk != RiskLow && b.Risk != RiskHigh {
		return fmt.Errorf("risk %q: want low or high", b.Risk)
	}
	if b.Risk == RiskHigh {
		if b.Quorum < 1 {
			return fmt.Errorf("a high-risk step needs a quorum of at least 1")
		}
		if err := roles(b.Approvers); err != nil {
			return fmt.Errorf("approvers: %w", err)
		}
	}
	return required("incident", b.Incident)
}

type RunbookApprove struct {
	Proposal ID `json:"proposal"`
}

func (*RunbookApprove) Kind() string      { return KindRunbookApprove }
func (b *RunbookApprove) Validate() error { return required("proposal", b.Proposal) }

type RunbookExec struct {
	Proposal   ID     `json:"proposal"`
	ExitCode   int    `json:"exit_code"`
	DurationMs int64  `json:"duration_ms"`
	Output     string `json:"output"` // sha256 of the captured output blob
	OutputSize int64  `json:"output_size"`
	Truncated  bool   `json:"truncated,omitempty"`
	TimedOut   bool   `json:"timed_out,omitempty"`
}

func (*RunbookExec) Kind() string { return KindRunbookExec }
func (b *RunbookExec) Validate() error {
	if !sha256RE.MatchString(b.Output) {
		return fmt.Errorf("output must be the sha256 of the output blob")
	}
	if b.DurationMs < 0 || b.OutputSize < 0 {
		return fmt.Errorf("negative duration or size")
	}
	return required("proposal", b.Proposal)
}

// unknownKind is ErrNewer for a kind named as tminus names its kinds
// ("incident.close"): a newer version's, most likely. Anything else is
// plain malformed.
func unknownKind(kind string) error {
	if kindName.MatchString(kind) {
		return fmt.Errorf("%w: unknown kind %q", ErrNewer, kind)
	}
	return fmt.Errorf("%w: unknown kind %q", ErrMalformed, kind)
}

var kindName = regexp.MustCompile(`^[a-z]+(\.[a-z_]+)+$`)
