package domain

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// State is everything the fold derives from the event set. It is encoded
// as JSON for snapshots (EncodeParts) and canonically, map keys sorted,
// for its Hash, so it holds no pointers to shared data and nothing
// clock-dependent.
type State struct {
	WS     ID     `json:"ws"`
	Name   string `json:"name"`
	Policy Policy `json:"policy"`

	Members   map[string]*Member        `json:"members"` // by handle
	Keys      map[common.Address]string `json:"keys"`    // device key -> handle, ever
	Roster    map[ID]*RosterProposal    `json:"roster"`
	Alerts    map[ID]*Alert             `json:"alerts"`
	Watchers  map[string]bool           `json:"watchers"` // handles that ever observed an alert
	Incidents map[ID]*Incident          `json:"incidents"`
	Tasks     map[ID]*Task              `json:"tasks"`
	Timers    map[ID]*Timer             `json:"timers"`
	Proposals map[ID]*Proposal          `json:"proposals"`
	Safe      map[ID]*SafeProposal      `json:"safe,omitempty"`   // fold_safe.go
	Anchor    *Anchor                   `json:"anchor,omitempty"` // the newest anchor.record
	Forked    map[common.Address]uint64 `json:"forked,omitempty"`
	Cuts      map[common.Address]Cut    `json:"cuts,omitempty"`     // in force, preset by DecideCuts (cuts.go)
	Identity  *Identity                 `json:"identity,omitempty"` // proofs, CAs, proof policy, rotated keys
	Rejected  []Rejection               `json:"rejected"`
	Count     uint64                    `json:"count"`
	Last      Key                       `json:"last"`
	// Chain is keccak256 chained over the id of every folded event in
	// fold order, so the state hash covers the whole event set, notes
	// included, and not only what the state keeps.
	Chain ID `json:"chain"`
}

type Member struct {
	Handle  string           `json:"handle"`
	Roles   []string         `json:"roles"`
	Keys    []common.Address `json:"keys"`
	Enode   string           `json:"enode,omitempty"`
	Active  bool             `json:"active"`
	AddedAt int64            `json:"added_at"`
}

func (m *Member) Has(role string) bool { return contains(m.Roles, role) }

// Votes is whether the member's approvals of roster changes can count: a
// writing member who is no observer. A drill's simulated peer holds the
// observer role beside a writing one and may write only on drill incidents.
func (m *Member) Votes() bool { return m.CanWrite() && !m.Has(RoleObserver) }

// CanWrite is false for members who are only observers.
func (m *Member) CanWrite() bool {
	for _, r := range m.Roles {
		if r != RoleObserver {
			return true
		}
	}
	return false
}

type RosterProposal struct {
	ID        ID              `json:"id"`
	Action    string          `json:"action"`
	Member    MemberSpec      `json:"member"`
	By        string          `json:"by"`
	At        int64           `json:"at"`
	Approvals map[string]bool `json:"approvals"` // handles
	Applied   bool            `json:"applied"`
	AppliedAt int64           `json:"applied_at,omitempty"`
	Quorum    int             `json:"quorum,omitempty"` // the roster quorum it met when it applied
	Void      string          `json:"void,omitempty"`   // why it can no longer apply
	Cuts      []KeyCut        `json:"cuts,omitempty"`   // a revocation's keys and their last counting seqs
	Change    *MemberChange   `json:"change,omitempty"` // a member.change's body

	appliedN uint64 // events folded when it applied: DecideCuts's order, never encoded
}

type Alert struct {
	ID          ID                `json:"id"`
	Fingerprint string            `json:"fingerprint"`
	Title       string            `json:"title"`
	Source      string            `json:"source"`
	Severity    string            `json:"severity,omitempty"`
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels,omitempty"`
	FirstSeen   int64             `json:"first_seen"`
	LastSeen    int64             `json:"last_seen"`
	Observers   []string          `json:"observers"`      // handles, in order of first observation
	Acks        []Ack             `json:"acks,omitempty"` // in fold order, one per member
	Incident    ID                `json:"incident,omitempty"`
	Reorged     bool              `json:"reorged,omitempty"`
	Count       int               `json:"count"`
}

// Ack is one member's acknowledgement of an alert.
type Ack struct {
	By string `json:"by"`
	At int64  `json:"at"`
}

// Ackers are the handles that acknowledged the alert, in fold order.
func (al *Alert) Ackers() []string {
	out := make([]string, len(al.Acks))
	for i, a := range al.Acks {
		out[i] = a.By
	}
	return out
}

// AlertID is derived from the fingerprint, not from whichever observation
// folded first, so it is stable while late observations arrive.
func AlertID(fingerprint string) ID {
	return ID(crypto.Keccak256Hash([]byte("tminus/alert/"), []byte(fingerprint)))
}

type Incident struct {
	ID         ID                `json:"id"`
	Title      string            `json:"title"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status"`
	Drill      bool              `json:"drill,omitempty"`
	DeclaredAt int64             `json:"declared_at"`
	DeclaredBy string            `json:"declared_by"`
	Leads      map[string]string `json:"leads"`       // role -> handle
	Reached    map[string]int64  `json:"transitions"` // status -> first time reached
	SevHistory []SeverityChange  `json:"severity_history"`
	// StatusHistory holds every status change after the declaration, in
	// fold order.
	StatusHistory []StatusChange `json:"status_history"`
	Alerts        []ID           `json:"alerts"`
	Tasks         []ID           `json:"tasks"`
	Timers        []ID           `json:"timers"`
	Proposals     []ID           `json:"proposals"`
	SafeTxs       []ID           `json:"safe_txs,omitempty"` // Safe proposals, fold_safe.go
	Evidence      []Evidence     `json:"evidence"`
	// AckedAt and AckedBy are the first acknowledgement by a responder
	// (see Responder); 0 and "" until one.
	AckedAt int64  `json:"acked_at,omitempty"`
	AckedBy string `json:"acked_by,omitempty"`
	// Plan is a drill's scoring plan, from its declaration (drill.go).
	Plan *DrillPlan `json:"plan,omitempty"`
}

// ResolvedAt is when (unix ms) the resolution in force was made: the last
// move to resolved, while the incident stands resolved; 0 while it is
// open. Reached keeps the first, which a reopened and resolved-again
// incident is no longer measured by.
func (i *Incident) ResolvedAt() int64 {
	if i.Status != StatusResolved {
		return 0
	}
	for j := len(i.StatusHistory) - 1; j >= 0; j-- {
		if i.StatusHistory[j].Status == StatusResolved {
			return i.StatusHistory[j].At
		}
	}
	return i.Reached[StatusResolved]
}

// SeverityChange is one severity an incident was given; the first is its
// declaration's.
type SeverityChange struct {
	Event    ID     `json:"event"`
	At       int64  `json:"at"`
	By       string `json:"by"`
	Severity string `json:"severity"`
}

// StatusChange is one move of an incident to a status.
type StatusChange struct {
	Event  ID     `json:"event"`
	At     int64  `json:"at"`
	By     string `json:"by"`
	Status string `json:"status"`
}

// Entry is one line of an incident's timeline (State.Timeline).
type Entry struct {
	Event ID     `json:"event"`
	At    int64  `json:"at"`
	By    string `json:"by"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
}

type Evidence struct {
	Event  ID     `json:"event"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	By     string `json:"by"`
	At     int64  `json:"at"`
}

type Task struct {
	ID       ID     `json:"id"`
	Incident ID     `json:"incident"`
	Title    string `json:"title"`
	Owner    string `json:"owner,omitempty"`
	Due      int64  `json:"due,omitempty"`
	Done     bool   `json:"done"`
	DoneAt   int64  `json:"done_at,omitempty"`
	DoneBy   string `json:"done_by,omitempty"`
	By       string `json:"by"`
	At       int64  `json:"at"`
}

type Timer struct {
	ID       ID     `json:"id"`
	Incident ID     `json:"incident"`
	Label    string `json:"label"`
	Due      int64  `json:"due"`
	Every    int64  `json:"every,omitempty"`
	Met      bool   `json:"met"`
	MetAt    int64  `json:"met_at,omitempty"`
	By       string `json:"by"`
}

// NextDue is the deadline in force at now (unix ms): a recurring timer
// re-arms after each deadline passes. Computed, never stored.
func (t *Timer) NextDue(now int64) int64 {
	if t.Every <= 0 || now <= t.Due {
		return t.Due
	}
	n := (now - t.Due + t.Every - 1) / t.Every
	return t.Due + n*t.Every
}

// Proposal is a runbook step waiting for, or past, its quorum.
type Proposal struct {
	ID          ID                `json:"id"`
	Incident    ID                `json:"incident"`
	Runbook     string            `json:"runbook"`
	RunbookHash string            `json:"runbook_hash"`
	Step        int               `json:"step"`
	StepTitle   string            `json:"step_title,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Command     string            `json:"command"`
	CommandHash string            `json:"command_hash"`
	Risk        string            `json:"risk"`
	Quorum      int               `json:"quorum"`
	Approvers   []string          `json:"approvers,omitempty"`
	By          string            `json:"by"`
	At          int64             `json:"at"`
	Approvals   []string          `json:"approvals"` // handles, distinct
	Exec        *Execution        `json:"exec,omitempty"`
}

type Execution struct {
	Event      ID     `json:"event"`
	By         string `json:"by"`
	At         int64  `json:"at"`
	ExitCode   int    `json:"exit_code"`
	DurationMs int64  `json:"duration_ms"`
	Output     string `json:"output"`
	OutputSize int64  `json:"output_size"`
	Truncated  bool   `json:"truncated,omitempty"`
	TimedOut   bool   `json:"timed_out,omitempty"`
}

// Rejection records an event that is stored but does not count.
type Rejection struct {
	Event  ID             `json:"event"`
	Author common.Address `json:"author"`
	Kind   string         `json:"kind"`
	Reason string         `json:"reason"`
}

// NewState returns the empty state, before the genesis.
func NewState() *State {
	return &State{
		Members:   map[string]*Member{},
		Keys:      map[common.Address]string{},
		Roster:    map[ID]*RosterProposal{},
		Alerts:    map[ID]*Alert{},
		Watchers:  map[string]bool{},
		Incidents: map[ID]*Incident{},
		Tasks:     map[ID]*Task{},
		Timers:    map[ID]*Timer{},
		Proposals: map[ID]*Proposal{},
		Forked:    map[common.Address]uint64{},
	}
}

// Hash is the digest of the canonical encoding: replicas holding the same
// events have the same hash.
func (s *State) Hash() (string, error) {
	h := sha256.New()
	if err := writeCanonical(h, s); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CommandHash is how a proposal commits to its exact rendered command.
func CommandHash(cmd string) string {
	sum := sha256.Sum256([]byte(cmd))
	return hex.EncodeToString(sum[:])
}

// Member returns the member holding a device key, active or not.
func (s *State) MemberByKey(a common.Address) *Member {
	h, ok := s.Keys[a]
	if !ok {
		return nil
	}
	return s.Members[h]
}

// Handle names an address for display: its member's handle, or the
// short address of a stranger.
func (s *State) Handle(a common.Address) string {
	if h, ok := s.Keys[a]; ok {
		return h
	}
	return a.Hex()[:10]
}

// ActiveMembers counts people, not keys.
func (s *State) ActiveMembers() int {
	n := 0
	for _, m := range s.Members {
		if m.Active {
			n++
		}
	}
	return n
}

// Voters counts the active members whose approvals of roster changes can
// count (Member.Votes).
func (s *State) Voters() int {
	n := 0
	for _, m := range s.Members {
		if m.Active && m.Votes() {
			n++
		}
	}
	return n
}

// RosterQuorum is the number of distinct approvals a roster change needs
// now: a majority of the voters unless the policy sets it, never more than
// there are voters. Observers (and a drill's simulated peers) are left out:
// counted, two drills made a two-person team's quorum 3 with two able to
// approve, and the roster could never change again.
func (s *State) RosterQuorum() int {
	n := s.Voters()
	q := s.Policy.RosterQuorum
	if q == 0 {
		q = n/2 + 1
	}
	if q > n {
		q = n
	}
	if q < 1 {
		q = 1
	}
	return q
}
