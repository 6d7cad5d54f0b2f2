package domaintest

import (
	"fmt"
	"math/rand"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// RevocationOptions shape a Revocations history.
type RevocationOptions struct {
	// Steps after the team is set up; 0 means 200.
	Steps int
	// Legacy: no removal or rotation carries cuts, as those signed before
	// cuts existed (domain/cuts.go). Otherwise one in six goes without.
	Legacy bool
	// Forks: the member whose key is copied writes on for a while,
	// unaware, so the key equivocates (Forks finds where).
	Forks bool
}

// RevHistory is a random history of a team that loses members and keys.
type RevHistory struct {
	Seed int64
	// Nodes are every replica that signed, in the order they appeared:
	// the members', the keys rotations brought in, the thieves' copies.
	Nodes  []*Node
	Events []*domain.Event // every event, in a causal order
	// Revocations are the removals and rotations proposed, by honest
	// members and thieves alike.
	Revocations []domain.ID
	// Backdated are the events an offline node or a thief signed: they
	// sort without what the others wrote meanwhile.
	Backdated map[domain.ID]bool
	// Thieves are the events signed by a copy of a lost key.
	Thieves map[domain.ID]bool
}

// Revocations simulates a team of 4 to 6 members, each on its own
// replica, exchanging events at random as peers would (see Generate).
// Members write notes, severities, statuses and tasks. Some go offline
// for a while, hearing nothing and heard by nobody, and keep writing:
// their events sort early. One member's key is lost and a copy goes on
// signing; on a team of 5 another member goes offline for good (their
// laptop taken, at times), on a team of 6 either that or a second key is
// lost: never more than the rest can outvote. The others, once they
// know, remove the member or,
// when the member proved an SSH key, rotate the lost key to a new device
// endorsed by it; the revocation cuts each key at the seq the proposer's
// replica holds. A thief reads the others but is heard by nobody; it
// approves the pending roster proposals it sees, at times proposes a
// removal of its own, downgrades and resolves incidents, mostly without
// naming what it heard (Node.WriteBackdated). Honest members approve only
// honest proposals. A seed names one history.
func Revocations(seed int64, opts RevocationOptions) (*RevHistory, error) {
	return RevocationsFrom(rand.New(rand.NewSource(seed)), seed, opts)
}

// RevocationsFrom is Revocations drawing its choices from rng (a fuzz
// target's bytes) and its keys from seed.
func RevocationsFrom(rng *rand.Rand, seed int64, opts RevocationOptions) (h *RevHistory, err error) {
	if opts.Steps <= 0 {
		opts.Steps = 200
	}
	g := &revGen{rng: rng, seed: seed, opts: opts, clock: Epoch, proofs: map[string]bool{}, legit: map[domain.ID]bool{},
		h: &RevHistory{Seed: seed, Backdated: map[domain.ID]bool{}, Thieves: map[domain.ID]bool{}}}
	defer func() {
		// A write fails only on a body the generator got wrong: it panics
		// with a writeError, deep in the simulation, and returns here.
		if r := recover(); r != nil {
			we, ok := r.(writeError)
			if !ok {
				panic(r)
			}
			h, err = nil, fmt.Errorf("revocations seed %d: %w", seed, we.error)
		}
	}()
	g.setUp(4 + rng.Intn(3))
	g.run()
	hub := NewNode(Signer(seed, -1))
	for _, a := range g.actors {
		hub.Pull(a.node)
		g.h.Nodes = append(g.h.Nodes, a.node)
	}
	g.h.Events = hub.Events()
	return g.h, nil
}

type writeError struct{ error }

type mode int

const (
	online  mode = iota // pulls, is pulled from, acts on its view
	offline             // hears nothing, is heard by nobody, keeps writing
	thief               // reads the others, is heard by nobody, signs what it likes
	gone                // signs no more: its key was lost
)

type actor struct {
	node   *Node
	handle string
	mode   mode
	back   int // the step an offline member comes back at; 0: not planned
}

// suspect is a member the team knows it lost: their key (stolen) or
// themselves (gone for good).
type suspect struct {
	handle string
	key    common.Address
	rotate bool // the member proved an SSH key: rotate rather than remove
}

type revGen struct {
	rng      *rand.Rand
	seed     int64
	opts     RevocationOptions
	h        *RevHistory
	actors   []*actor
	members  int // at set-up
	keys     int // Key indexes used
	clock    int64
	proofs   map[string]bool    // handles that proved an SSH key
	suspects []suspect          // in the order the team learnt of them
	legit    map[domain.ID]bool // roster proposals honest members wrote
	sched    map[int][]func(step int)
}

func (g *revGen) handle(i int) string { return fmt.Sprintf("m%d", i) }

func (g *revGen) sshName(handle string) string {
	return fmt.Sprintf("revocations/%d/%s", g.seed, handle)
}

// write signs b on a's node, backdated when asked.
func (g *revGen) write(a *actor, b domain.Body, backdate bool) *domain.Event {
	t := g.clock + g.rng.Int63n(1000) // never before a proof's issue time
	var e *domain.Event
	var err error
	if backdate {
		e, err = a.node.WriteBackdated(b, t)
	} else {
		e, err = a.node.Write(b, t)
	}
	if err != nil {
		panic(writeError{fmt.Errorf("%s by %s: %w", b.Kind(), a.handle, err)})
	}
	if a.mode != online {
		g.h.Backdated[e.ID] = true
	}
	if a.mode == thief {
		g.h.Thieves[e.ID] = true
	}
	return e
}

// line has actor i write b with every event so far, and everyone hear it:
// the team's set-up, all of it connected.
func (g *revGen) line(i int, b domain.Body) *domain.Event {
	for _, a := range g.actors {
		g.actors[i].node.Pull(a.node)
	}
	e := g.write(g.actors[i], b, false)
	g.clock += 1000
	for _, a := range g.actors {
		a.node.Pull(g.actors[i].node)
	}
	return e
}

// setUp founds the workspace (majority quorum), adds every member with
// the approvals that quorum needs, declares an incident, and has most
// members prove an SSH key.
func (g *revGen) setUp(members int) {
	g.members, g.keys = members, members
	spec := func(i int) domain.MemberSpec {
		roles := []string{domain.RoleTriage}
		if i == 0 {
			roles = domain.LeadRoles
		} else if g.rng.Intn(2) == 0 {
			roles = append(roles, domain.RoleContainment)
		}
		return domain.MemberSpec{Address: g.actors[i].node.Address(), Handle: g.handle(i), Roles: domain.NormalizeRoles(roles)}
	}
	for i := range members {
		g.actors = append(g.actors, &actor{node: NewNode(Signer(g.seed, i)), handle: g.handle(i)})
	}
	g.line(0, &domain.Genesis{Name: fmt.Sprintf("revocations %d", g.seed), Founder: spec(0)})
	for j := 1; j < members; j++ {
		p := g.line(0, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(j)})
		for a := 1; a < j && !domain.Fold(g.actors[0].node.Events(), nil).Roster[p.ID].Applied; a++ {
			g.line(a, &domain.MemberApprove{Proposal: p.ID})
		}
	}
	g.line(0, &domain.IncidentDeclare{Title: "vault drain", Severity: "P1"})
	ws := g.actors[0].node.WS
	for i := range members {
		if i != 0 && g.rng.Intn(4) == 0 {
			continue
		}
		n := g.actors[i].node
		b, err := KeyProof(SSHKey(g.sshName(g.handle(i))), ws, n.Address(), time.UnixMilli(Epoch).UTC(), 30*24*time.Hour)
		if err != nil {
			panic(err) // ed25519 signing does not fail
		}
		g.line(i, b)
		g.proofs[g.handle(i)] = true
	}
}

// plan schedules what befalls the team: one lost key, then on a team of 5
// or 6 a member gone for good or a second lost key, never more than the
// others can outvote (a majority quorum), and short absences.
func (g *revGen) plan() {
	steps := g.opts.Steps
	g.sched = map[int][]func(int){}
	at := func(step int, f func(int)) { g.sched[step] = append(g.sched[step], f) }
	// Victims are never the founder, so someone always stays.
	victims := g.rng.Perm(g.members - 1)
	at(steps/8+g.rng.Intn(steps/4+1), func(step int) { g.steal(g.actors[1+victims[0]], step) })
	if g.members < 5 {
		return
	}
	v := g.actors[1+victims[1]]
	if g.members == 6 && g.rng.Intn(2) == 0 {
		at(steps/3+g.rng.Intn(steps/3+1), func(step int) { g.steal(v, step) })
		return
	}
	off := steps/8 + g.rng.Intn(steps/3+1)
	at(off, func(int) { v.mode = offline })
	at(off+10+g.rng.Intn(30), func(step int) {
		if v.mode != offline {
			return
		}
		g.suspects = append(g.suspects, suspect{handle: v.handle, key: v.node.Address()})
		switch g.rng.Intn(3) {
		case 0: // and their laptop was taken
			g.actors = append(g.actors, &actor{node: v.node.Clone(), handle: v.handle, mode: thief})
			v.mode = gone
		case 1: // they come back, removed or not
			v.back = step + 10 + g.rng.Intn(40)
		}
	})
}

// steal: a copy of a's key goes on signing as a thief; the member knows
// and writes no more with it, or, with Forks, not before a few steps.
func (g *revGen) steal(a *actor, step int) {
	if a.mode == gone {
		return
	}
	g.actors = append(g.actors, &actor{node: a.node.Clone(), handle: a.handle, mode: thief})
	if g.opts.Forks {
		until := step + 5 + g.rng.Intn(25)
		g.sched[until] = append(g.sched[until], func(int) { a.mode = gone })
	} else {
		a.mode = gone
	}
	g.suspects = append(g.suspects, suspect{handle: a.handle, key: a.node.Address(), rotate: g.proofs[a.handle] && g.rng.Intn(3) != 0})
}

func (g *revGen) online() []*actor {
	var out []*actor
	for _, a := range g.actors {
		if a.mode == online {
			out = append(out, a)
		}
	}
	return out
}

func (g *revGen) run() {
	g.plan()
	absent := (*actor)(nil) // a member away for a while
	for step := 0; step < g.opts.Steps; step++ {
		g.clock += 1 + g.rng.Int63n(30_000)
		for _, f := range g.sched[step] {
			f(step)
		}
		for _, a := range g.actors {
			if a.mode == offline && a.back == step && step > 0 {
				a.mode = online
				if on := g.online(); len(on) > 1 {
					o := on[g.rng.Intn(len(on))]
					a.node.Pull(o.node)
					o.node.Pull(a.node)
				}
			}
		}
		if absent != nil && absent.mode != offline {
			absent = nil
		}
		if absent == nil && g.rng.Intn(40) == 0 {
			on := g.online()
			if a := on[g.rng.Intn(len(on))]; a.handle != g.handle(0) {
				a.mode, a.back, absent = offline, step+5+g.rng.Intn(25), a
			}
		}
		a := g.actors[g.rng.Intn(len(g.actors))]
		switch a.mode {
		case online:
			if g.rng.Intn(10) < 3 {
				on := g.online()
				o := on[g.rng.Intn(len(on))]
				a.node.Pull(o.node)
				if g.rng.Intn(2) == 0 {
					o.node.Pull(a.node)
				}
				continue
			}
			g.honest(a)
		case offline:
			g.honest(a)
		case thief:
			if g.rng.Intn(10) < 3 {
				on := g.online()
				a.node.Pull(on[g.rng.Intn(len(on))].node)
				continue
			}
			g.thieve(a)
		}
	}
}

// open says whether st holds a roster proposal that is neither applied
// nor void revoking handle.
func open(st *domain.State, handle string) bool {
	for _, p := range st.Roster {
		if p.Applied || p.Void != "" {
			continue
		}
		if p.Action == domain.ActionRemove && p.Member.Handle == handle {
			return true
		}
		if c := p.Change; c != nil && c.Rotation != nil && c.Rotation.Member == handle {
			return true
		}
	}
	return false
}

// honest has a member write what its own view allows: approve an honest
// pending roster proposal, revoke a member the team lost, or work the
// incidents.
func (g *revGen) honest(a *actor) {
	st := domain.Fold(a.node.Events(), nil)
	me := st.MemberByKey(a.node.Address())
	if me == nil || !me.Active || st.RotatedKey(a.node.Address()) != nil {
		return // not a member's key (yet, or any more) in its view
	}
	var approve []domain.ID
	for _, id := range sortedIDs(st.Roster) {
		if p := st.Roster[id]; g.legit[id] && !p.Applied && p.Void == "" && !p.Approvals[me.Handle] {
			approve = append(approve, id)
		}
	}
	var revoke []suspect
	if a.mode == online { // only the connected know whom the team lost
		for _, s := range g.suspects {
			if m := st.Members[s.handle]; m != nil && m.Active && s.handle != me.Handle && !open(st, s.handle) {
				revoke = append(revoke, s)
			}
		}
	}
	switch {
	case len(revoke) > 0 && g.rng.Intn(3) == 0:
		b := g.revocation(a, st, revoke[g.rng.Intn(len(revoke))])
		e := g.write(a, b, false)
		g.legit[e.ID] = true
		g.h.Revocations = append(g.h.Revocations, e.ID)
	case len(approve) > 0 && g.rng.Intn(2) == 0:
		g.write(a, &domain.MemberApprove{Proposal: approve[g.rng.Intn(len(approve))]}, false)
	default:
		g.write(a, g.work(st, me.Handle, false), false)
	}
}

// cuts are each of handle's keys at the seq a's replica holds, or none
// for a legacy revocation.
func (g *revGen) cuts(a *actor, st *domain.State, handle string) []domain.KeyCut {
	if g.opts.Legacy || g.rng.Intn(6) == 0 {
		return nil
	}
	var out []domain.KeyCut
	for _, k := range st.Members[handle].Keys {
		out = append(out, domain.KeyCut{Key: k, Seq: a.node.Head(k)})
	}
	return out
}

// revocation is a's proposal to revoke s: a rotation of the lost key to
// a new device, endorsed by the member's SSH key, when the member proved
// one and the key is still theirs in a's view; a removal otherwise.
func (g *revGen) revocation(a *actor, st *domain.State, s suspect) domain.Body {
	m := st.Members[s.handle]
	if s.rotate && slices.Contains(m.Keys, s.key) && st.RotatedKey(s.key) == nil && len(st.MemberProofs(s.handle)) > 0 {
		n := NewNode(Signer(g.seed, g.keys))
		g.keys++
		end, err := KeyProof(SSHKey(g.sshName(s.handle)), st.WS, n.Address(), time.UnixMilli(Epoch).UTC(), 30*24*time.Hour)
		if err != nil {
			panic(err)
		}
		r := &domain.Rotation{Member: s.handle, Old: s.key, New: n.Address(), Endorsement: *end}
		if c := g.cuts(a, st, s.handle); c != nil {
			seq := a.node.Head(s.key)
			r.Cut = &seq
		}
		// The member's new device joins the network and acts once the
		// rotation applied in its view.
		n.Pull(a.node)
		g.actors = append(g.actors, &actor{node: n, handle: s.handle})
		return &domain.MemberChange{Action: domain.ChangeRotate, Rotation: r}
	}
	return &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: s.handle}, Cuts: g.cuts(a, st, s.handle)}
}

// thieve has a thief sign from its view: approvals of every pending roster
// proposal it has not approved, at times a removal of another member, and
// damage to the incidents; mostly backdated.
func (g *revGen) thieve(a *actor) {
	st := domain.Fold(a.node.Events(), nil)
	var approve []domain.ID
	for _, id := range sortedIDs(st.Roster) {
		if p := st.Roster[id]; !p.Applied && p.Void == "" && !p.Approvals[a.handle] {
			approve = append(approve, id)
		}
	}
	backdate := g.rng.Intn(5) != 0
	others := activeHandles(st)
	others = slices.DeleteFunc(others, func(h string) bool { return h == a.handle })
	var b domain.Body
	switch r := g.rng.Intn(10); {
	case len(approve) > 0 && r < 6:
		b = &domain.MemberApprove{Proposal: approve[g.rng.Intn(len(approve))]}
	case len(others) > 1 && r < 7:
		victim := others[g.rng.Intn(len(others))]
		if !open(st, victim) {
			b = &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: victim}, Cuts: g.cuts(a, st, victim)}
			break
		}
		fallthrough
	default:
		b = g.work(st, a.handle, true)
	}
	e := g.write(a, b, backdate)
	if b.Kind() == domain.KindMemberPropose {
		g.h.Revocations = append(g.h.Revocations, e.ID)
	}
}

// work is an incident's business: a note, a severity, a status, a task, a
// task done; a thief downgrades and resolves. With no incident in view, it
// declares one.
func (g *revGen) work(st *domain.State, handle string, harm bool) domain.Body {
	incs := sortedIDs(st.Incidents)
	if len(incs) == 0 {
		return &domain.IncidentDeclare{Title: "declared by " + handle, Severity: "P2"}
	}
	inc := st.Incidents[incs[g.rng.Intn(len(incs))]]
	if harm && g.rng.Intn(2) == 0 {
		if g.rng.Intn(2) == 0 {
			return &domain.IncidentSeverity{Incident: inc.ID, Severity: pickOther(g.rng, domain.Severities[2:], inc.Severity)}
		}
		return &domain.IncidentStatus{Incident: inc.ID, Status: pickOther(g.rng, domain.Statuses[1:], inc.Status)}
	}
	switch g.rng.Intn(6) {
	case 0:
		return &domain.IncidentSeverity{Incident: inc.ID, Severity: pickOther(g.rng, domain.Severities, inc.Severity)}
	case 1:
		return &domain.IncidentStatus{Incident: inc.ID, Status: pickOther(g.rng, domain.Statuses[1:], inc.Status)}
	case 2:
		return &domain.TaskAdd{Incident: inc.ID, Title: "rotate the deployer key", Owner: handle}
	case 3:
		for _, id := range inc.Tasks {
			if !st.Tasks[id].Done {
				return &domain.TaskDone{Task: id}
			}
		}
	case 4:
		if len(incs) < 3 {
			return &domain.IncidentDeclare{Title: "declared by " + handle, Severity: pickStr(g.rng, domain.Severities)}
		}
	}
	return &domain.Note{Incident: inc.ID, Text: fmt.Sprintf("%s looked at it <%d>", handle, g.rng.Intn(1000))}
}
