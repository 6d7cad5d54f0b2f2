package runbooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Condition is one check of the execution gate.
type Condition struct {
	What string `json:"what"`
	OK   bool   `json:"ok"`
	Why  string `json:"why,omitempty"`
}

// Gate lists the conditions under which member may execute proposal p on
// this machine: every one must hold. The command that would run is the
// re-rendered one, which must equal the approved command byte for byte.
func Gate(s *domain.State, p *domain.Proposal, lib *Library, member *domain.Member) (command string, conds []Condition) {
	add := func(what string, ok bool, why string, args ...any) {
		c := Condition{What: what, OK: ok}
		if !ok {
			c.Why = fmt.Sprintf(why, args...)
		}
		conds = append(conds, c)
	}
	add("not executed yet", p.Exec == nil, "%s", execBy(p))
	add("executor holds the containment role", member != nil && member.Active && member.Has(domain.RoleContainment),
		"%s does not hold containment", handle(member))
	approvals := s.CountingRunbookApprovals(p)
	if p.Risk == domain.RiskHigh {
		why := fmt.Sprintf("needs %d more", p.Quorum-approvals)
		if able := mayApprove(s, p.Approvers); able < p.Quorum {
			// Waiting for approvals that cannot come is the worst way to learn of it.
			why += fmt.Sprintf(", but only %d current member(s) hold %s: the quorum cannot be met; "+
				"add members with that role, or lower quorum in the runbook and propose again", able, strings.Join(p.Approvers, " or "))
		}
		add(fmt.Sprintf("%d/%d approvals from %s", approvals, p.Quorum, strings.Join(p.Approvers, " or ")), approvals >= p.Quorum, "%s", why)
	} else {
		add("low risk: no approvals needed", true, "")
	}
	rb, ok := lib.Get(p.Runbook)
	if !ok {
		add("runbook file present here", false, "no runbook %q on this machine", p.Runbook)
		return "", conds
	}
	add("local runbook file matches the proposal", rb.ContentHash == p.RunbookHash,
		"%s hashes %s, the proposal has %s: the file changed since, or differs from the proposer's copy; "+
			"bring the runbooks directory up to date, or propose the step again%s", rb.Source, short(rb.ContentHash), short(p.RunbookHash),
		rb.encodingHint(p.RunbookHash))
	// The fold counts approvals against the risk, quorum and roles the proposal carries,
	// and any member can sign a proposal: only the runbook file says what they must be.
	// (Against a file that changed since, the terms would differ for that reason.)
	if rb.ContentHash == p.RunbookHash {
		want := rb.terms()
		got := terms{p.Risk, p.Quorum, domain.NormalizeRoles(p.Approvers)}
		add("proposal's gate is the runbook's: "+want.String(), got.equal(want),
			"the proposal says %s: it was not made from this runbook; propose the step again", got)
	}
	cmd, err := rb.Render(p.Step, p.Params)
	if err != nil {
		add("command renders", false, "%v", err)
		return "", conds
	}
	add("re-rendered command equals the approved one", cmd == p.Command && domain.CommandHash(cmd) == p.CommandHash,
		"local rendering differs from the approved command")
	return cmd, conds
}

// mayApprove counts the current members holding one of the roles: at most this many
// approvals can ever count.
func mayApprove(s *domain.State, roles []string) int {
	n := 0
	for _, m := range s.Members {
		if m.Active && slices.ContainsFunc(roles, m.Has) {
			n++
		}
	}
	return n
}

// terms are what a proposal's gate is made of, as the runbook sets them.
type terms struct {
	risk      string
	quorum    int
	approvers []string
}

func (r *Runbook) terms() terms {
	if r.Risk != RiskHigh {
		return terms{risk: string(r.Risk)}
	}
	return terms{string(r.Risk), r.Quorum, domain.NormalizeRoles(r.Approvers)}
}

func (t terms) equal(o terms) bool {
	return t.risk == o.risk && t.quorum == o.quorum && slices.Equal(t.approvers, o.approvers)
}

func (t terms) String() string {
	if t.risk != domain.RiskHigh {
		return "risk " + t.risk
	}
	return fmt.Sprintf("risk %s, quorum %d of %s", t.risk, t.quorum, strings.Join(t.approvers, ", "))
}

// Approved is whether the gate's approval condition holds: low risk, or a quorum of
// approvals by current members.
func Approved(s *domain.State, p *domain.Proposal) bool {
	return p.Risk != domain.RiskHigh || s.CountingRunbookApprovals(p) >= p.Quorum
}

// GateKey is Gate for the member holding key, with one more condition: that what key
// signs still counts. A key that equivocated or was rotated out is still its member's, so
// Gate alone let the step run, and then the fold refused its record: an approved step that
// ran would look unexecuted, ready to run again. The run is refused before it starts.
func GateKey(s *domain.State, p *domain.Proposal, lib *Library, key common.Address) (command string, conds []Condition) {
	command, conds = Gate(s, p, lib, s.MemberByKey(key))
	c := Condition{What: "this key's record of the run will count", OK: true}
	if err := s.MayWrite(key); err != nil { // the rest of the fold's rule for runbook.exec is Gate's
		c.OK, c.Why = false, err.Error()
	}
	return command, append(conds, c)
}

// Allowed reports whether every condition holds.
func Allowed(conds []Condition) bool {
	for _, c := range conds {
		if !c.OK {
			return false
		}
	}
	return len(conds) > 0
}

// execBy says who ran p and how it ended, and that a rerun is a new
// proposal: "executed by alice" alone left the responder retrying exec.
func execBy(p *domain.Proposal) string {
	if p.Exec == nil {
		return ""
	}
	return fmt.Sprintf("executed by %s (exit %d, recorded as %s): a proposal runs once; propose the step again to rerun it",
		p.Exec.By, p.Exec.ExitCode, p.Exec.Event.Short())
}

func handle(m *domain.Member) string {
	if m == nil {
		return "this device (not a member)"
	}
	return m.Handle
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Proposal builds the signed proposal body for a step with parameters.
func (r *Runbook) Proposal(incident domain.ID, step int, params map[string]string) (*domain.RunbookPropose, error) {
	cmd, err := r.Render(step, params)
	if err != nil {
		return nil, err
	}
	b := &domain.RunbookPropose{Incident: incident, Runbook: r.ID, RunbookHash: r.ContentHash, Step: step,
		StepTitle: r.Steps[step-1].Title, Params: params, Command: cmd, CommandHash: domain.CommandHash(cmd),
		Risk: string(r.Risk), Quorum: r.Quorum, Approvers: domain.NormalizeRoles(r.Approvers)}
	if len(b.Params) == 0 {
		b.Params = nil
	}
	if b.Risk == domain.RiskLow {
		b.Quorum, b.Approvers = 0, nil
	}
	return b, b.Validate()
}
