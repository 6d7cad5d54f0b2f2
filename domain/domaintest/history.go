package domaintest

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// History is a random valid history of several authors, each on its own
// replica, exchanging events at random as peers would.
type History struct {
	Seed    int64
	Nodes   []*Node
	Handles []string
	Roles   [][]string
	Events  []*domain.Event // every event, in a causal order
}

// Generate simulates authors replicas for steps steps. The founder (node
// 0) writes the genesis (roster quorum: majority); at each step one
// replica either pulls from another or writes an event its own folded
// view allows: proposing or approving a roster change that adds another
// author, declaring incidents, changing severity and status, tasks,
// notes, timers, alerts, evidence, lead assignments and high-risk runbook
// proposals with approvals and executions. Replicas act concurrently on
// what they have seen, so events conflict (two severity changes at once,
// two proposals for one key, a task done twice) and the fold must settle
// them the same way everywhere. A seed names one history.
func Generate(seed int64, authors, steps int) (*History, error) {
	rng := rand.New(rand.NewSource(seed))
	h := &History{Seed: seed}
	for i := 0; i < authors; i++ {
		h.Nodes = append(h.Nodes, NewNode(Signer(seed, i)))
		h.Handles = append(h.Handles, fmt.Sprintf("m%d", i))
		var rs []string
		switch i {
		case 0:
			rs = append(rs, domain.LeadRoles...)
		case 1:
			rs = []string{domain.RoleContainment, domain.RoleTriage}
		default:
			for _, r := range domain.LeadRoles {
				if rng.Intn(2) == 0 {
					rs = append(rs, r)
				}
			}
			if len(rs) == 0 {
				rs = []string{domain.RoleReporter}
			}
		}
		h.Roles = append(h.Roles, domain.NormalizeRoles(rs))
	}
	clock := Epoch
	if _, err := h.Nodes[0].Write(&domain.Genesis{Name: fmt.Sprintf("drill %d", seed), Founder: h.spec(0)}, clock); err != nil {
		return nil, err
	}
	for step := 0; step < steps; step++ {
		clock += 1 + rng.Int63n(30_000)
		i := rng.Intn(authors)
		n := h.Nodes[i]
		if n.WS.IsZero() || rng.Intn(10) < 3 {
			j := rng.Intn(authors)
			if j != i {
				n.Pull(h.Nodes[j])
				if rng.Intn(2) == 0 {
					h.Nodes[j].Pull(n)
				}
			}
			continue
		}
		b := h.pick(rng, i, domain.Fold(n.Events(), nil))
		if b == nil {
			continue
		}
		// Clocks disagree a little; time never orders anything.
		if _, err := n.Write(b, clock+rng.Int63n(2000)-1000); err != nil {
			return nil, fmt.Errorf("seed %d step %d: %s: %w", seed, step, b.Kind(), err)
		}
	}
	for _, n := range h.Nodes {
		h.Nodes[0].Pull(n)
	}
	h.Events = h.Nodes[0].Events()
	return h, nil
}

func (h *History) spec(i int) domain.MemberSpec {
	return domain.MemberSpec{Address: h.Nodes[i].Address(), Handle: h.Handles[i], Roles: h.Roles[i]}
}

// pick chooses what node i does next from its own view of the state, or
// nil when it has nothing to do (it is not a member yet).
func (h *History) pick(rng *rand.Rand, i int, st *domain.State) domain.Body {
	me := st.MemberByKey(h.Nodes[i].Address())
	if me == nil || !me.Active {
		return nil
	}
	var roster []domain.Body
	open := map[common.Address]bool{}
	for _, id := range sortedIDs(st.Roster) {
		p := st.Roster[id]
		if p.Applied || p.Void != "" {
			continue
		}
		open[p.Member.Address] = true
		if !p.Approvals[me.Handle] {
			roster = append(roster, &domain.MemberApprove{Proposal: id})
		}
	}
	for j := range h.Nodes {
		if _, ok := st.Keys[h.Nodes[j].Address()]; !ok && !open[h.Nodes[j].Address()] {
			roster = append(roster, &domain.MemberPropose{Action: domain.ActionAdd, Member: h.spec(j)})
		}
	}
	if len(roster) > 0 && rng.Intn(2) == 0 {
		return roster[rng.Intn(len(roster))]
	}

	var acts []func() domain.Body
	acts = append(acts, func() domain.Body {
		return &domain.AlertObserve{Fingerprint: fmt.Sprintf("fp-%d", rng.Intn(4)), Title: "Pause() called on vault",
			Source: "chain", Status: pickStr(rng, []string{domain.AlertFiring, domain.AlertResolved}),
			Severity: pickStr(rng, domain.Severities), Labels: map[string]string{"chain": "mainnet"}}
	})
	alerts := sortedIDs(st.Alerts)
	if len(alerts) > 0 {
		acts = append(acts, func() domain.Body { return &domain.AlertAck{Alert: alerts[rng.Intn(len(alerts))]} })
	}
	incs := sortedIDs(st.Incidents)
	if len(incs) < 3 {
		acts = append(acts, func() domain.Body {
			b := &domain.IncidentDeclare{Title: fmt.Sprintf("incident by %s", me.Handle), Severity: pickStr(rng, domain.Severities), Drill: rng.Intn(4) == 0}
			if len(alerts) > 0 && rng.Intn(2) == 0 {
				b.Alerts = []domain.ID{alerts[rng.Intn(len(alerts))]}
			}
			return b
		})
	}
	if len(incs) > 0 {
		inc := st.Incidents[incs[rng.Intn(len(incs))]]
		members := activeHandles(st)
		acts = append(acts,
			func() domain.Body {
				return &domain.IncidentSeverity{Incident: inc.ID, Severity: pickOther(rng, domain.Severities, inc.Severity)}
			},
			func() domain.Body {
				return &domain.IncidentStatus{Incident: inc.ID, Status: pickOther(rng, domain.Statuses[1:], inc.Status)}
			},
			func() domain.Body {
				return &domain.Note{Incident: inc.ID, Text: fmt.Sprintf("%s looked at it <%d> & more", me.Handle, rng.Intn(1000))}
			},
			func() domain.Body {
				b := &domain.TaskAdd{Incident: inc.ID, Title: "rotate keys"}
				if rng.Intn(2) == 0 {
					b.Owner = pickStr(rng, members)
				}
				return b
			},
			func() domain.Body {
				return &domain.TimerSet{Incident: inc.ID, Label: "status update", Due: Epoch + rng.Int63n(1e8), Every: 30 * 60_000}
			},
			func() domain.Body {
				return &domain.EvidenceAdd{Incident: inc.ID, Name: "logs.txt", SHA256: domain.CommandHash(fmt.Sprint(rng.Int())), Size: rng.Int63n(1e6)}
			},
			func() domain.Body {
				role := pickStr(rng, domain.LeadRoles)
				var holders []string
				for _, hd := range members {
					if st.Members[hd].Has(role) {
						holders = append(holders, hd)
					}
				}
				if len(holders) == 0 {
					holders = members // rejected: they lack the role
				}
				return &domain.IncidentAssign{Incident: inc.ID, Role: role, Member: pickStr(rng, holders)}
			},
			func() domain.Body {
				cmd := fmt.Sprintf("cast send 0xvault 'pause()' # %d", rng.Intn(100))
				return &domain.RunbookPropose{Incident: inc.ID, Runbook: "contract-pause", RunbookHash: domain.CommandHash("runbook"),
					Step: 1, Command: cmd, CommandHash: domain.CommandHash(cmd), Risk: domain.RiskHigh, Quorum: 2,
					Approvers: []string{domain.RoleContainment, domain.RoleTriage}}
			},
		)
		if len(alerts) > 0 {
			acts = append(acts, func() domain.Body {
				return &domain.IncidentLink{Incident: inc.ID, Alert: alerts[rng.Intn(len(alerts))]}
			})
		}
		for _, id := range inc.Tasks {
			if t := st.Tasks[id]; !t.Done {
				acts = append(acts, func() domain.Body { return &domain.TaskDone{Task: id} })
				if len(members) > 0 {
					acts = append(acts, func() domain.Body { return &domain.TaskAssign{Task: id, Owner: pickStr(rng, members)} })
				}
			} else {
				acts = append(acts, func() domain.Body { return &domain.TaskReopen{Task: id} })
			}
		}
		for _, id := range inc.Timers {
			if t := st.Timers[id]; !t.Met {
				acts = append(acts, func() domain.Body { return &domain.TimerDone{Timer: id} })
			}
		}
		for _, id := range inc.Proposals {
			p := st.Proposals[id]
			if p.Exec != nil {
				continue
			}
			if !contains(p.Approvals, me.Handle) && (me.Has(domain.RoleContainment) || me.Has(domain.RoleTriage)) {
				acts = append(acts, func() domain.Body { return &domain.RunbookApprove{Proposal: id} })
			}
			if p.Approved() && me.Has(domain.RoleContainment) {
				acts = append(acts, func() domain.Body {
					return &domain.RunbookExec{Proposal: id, ExitCode: rng.Intn(2), DurationMs: rng.Int63n(5000),
						Output: domain.CommandHash(fmt.Sprint("out", rng.Int())), OutputSize: rng.Int63n(4096)}
				})
			}
		}
	}
	if len(roster) > 0 {
		acts = append(acts, func() domain.Body { return roster[rng.Intn(len(roster))] })
	}
	if ids := h.identityActs(rng, i, st, me); len(ids) > 0 {
		acts = append(acts, func() domain.Body { return ids[rng.Intn(len(ids))]() })
	}
	return acts[rng.Intn(len(acts))]()
}

func sortedIDs[V any](m map[domain.ID]V) []domain.ID {
	out := make([]domain.ID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i][:]) < string(out[j][:]) })
	return out
}

func activeHandles(st *domain.State) []string {
	var out []string
	for hd, m := range st.Members {
		if m.Active && m.CanWrite() {
			out = append(out, hd)
		}
	}
	sort.Strings(out)
	return out
}

func pickStr(rng *rand.Rand, list []string) string { return list[rng.Intn(len(list))] }

// pickOther picks an element other than cur when there is one.
func pickOther(rng *rand.Rand, list []string, cur string) string {
	var others []string
	for _, s := range list {
		if s != cur {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		return cur
	}
	return pickStr(rng, others)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Linear builds a history of n events by authors nodes that see every
// event as soon as it is written, so each event's deps name the others'
// newest heads, as on a team that is always connected: the genesis (roster
// quorum 1, so the founder adds the others alone), then incidents, each
// with some 500 events of notes, alerts, severity and status changes,
// tasks and timers, written in turn by every author. Events are planned
// in order and signed on all cores; the result is in causal order.
func Linear(seed int64, authors, n int) ([]*domain.Event, error) {
	if authors < 1 || n < authors {
		return nil, fmt.Errorf("linear history: %d events for %d authors", n, authors)
	}
	rng := rand.New(rand.NewSource(seed))
	nodes := make([]*Node, authors)
	for i := range nodes {
		nodes[i] = NewNode(Signer(seed, i))
	}
	var plans []*planned
	clock := Epoch
	write := func(i int, b domain.Body) (domain.ID, error) {
		p, err := nodes[i].plan(b, clock)
		if err != nil {
			return domain.ID{}, fmt.Errorf("event %d (%s): %w", len(plans), b.Kind(), err)
		}
		clock += 1000
		plans = append(plans, p)
		for _, o := range nodes {
			o.Receive(p.e)
		}
		return p.e.ID, nil
	}
	spec := func(i int) domain.MemberSpec {
		return domain.MemberSpec{Address: nodes[i].Address(), Handle: fmt.Sprintf("m%d", i), Roles: domain.NormalizeRoles(domain.LeadRoles)}
	}
	if _, err := write(0, &domain.Genesis{Name: "bench", Policy: domain.Policy{RosterQuorum: 1}, Founder: spec(0)}); err != nil {
		return nil, err
	}
	for i := 1; i < authors; i++ {
		if _, err := write(0, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(i)}); err != nil {
			return nil, err
		}
	}
	var inc, task domain.ID
	sev, status := "", domain.StatusDeclared
	for k := 0; len(plans) < n; k++ {
		i := k % authors
		var b domain.Body
		switch r := rng.Intn(100); {
		case inc.IsZero() || k%500 == 0:
			sev, status, task = pickStr(rng, domain.Severities), domain.StatusDeclared, domain.ID{}
			id, err := write(i, &domain.IncidentDeclare{Title: fmt.Sprintf("incident %d", k/500), Severity: sev})
			if err != nil {
				return nil, err
			}
			inc = id
			continue
		case r < 60:
			b = &domain.Note{Incident: inc, Text: strings.Repeat("looked at the logs; ", 1+rng.Intn(8))}
		case r < 75:
			b = &domain.AlertObserve{Fingerprint: fmt.Sprintf("fp-%d", rng.Intn(50)), Title: "high error rate", Source: "alertmanager",
				Status: domain.AlertFiring, Labels: map[string]string{"job": "api", "instance": fmt.Sprintf("node-%d", rng.Intn(9))}}
		case r < 80:
			sev = pickOther(rng, domain.Severities, sev)
			b = &domain.IncidentSeverity{Incident: inc, Severity: sev}
		case r < 85 || task.IsZero():
			id, err := write(i, &domain.TaskAdd{Incident: inc, Title: "rotate the deployer key", Owner: fmt.Sprintf("m%d", rng.Intn(authors))})
			if err != nil {
				return nil, err
			}
			task = id
			continue
		case r < 88:
			b, task = &domain.TaskDone{Task: task}, domain.ID{}
		case r < 95:
			b = &domain.TimerSet{Incident: inc, Label: "status update", Due: clock + 30*60_000, Every: 30 * 60_000}
		default:
			status = pickOther(rng, domain.Statuses[1:], status)
			b = &domain.IncidentStatus{Incident: inc, Status: status}
		}
		if _, err := write(i, b); err != nil {
			return nil, err
		}
	}
	return sealAll(plans)
}
