package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

func (a *app) memberCmd() *cobra.Command {
	c := &cobra.Command{Use: "member", Short: "The roster: add, remove, approve, list"}
	var o struct {
		handle, enode string
		roles         []string
		json          bool
	}
	add := &cobra.Command{
		Use:   "add ADDR --handle H --role R[,R] [--enode URL]",
		Short: "Propose a member (or another device key of an existing member's handle)",
		Args:  exactArgs(1, "the new key's address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(args[0]) {
				return usageError{fmt.Errorf("%q is not an address (0x and 40 hex characters)", args[0])}
			}
			spec := domain.MemberSpec{Address: common.HexToAddress(args[0]), Handle: o.handle,
				Roles: domain.NormalizeRoles(o.roles), Enode: o.enode}
			if o.enode != "" {
				if _, err := workspace.EnodeID(o.enode); err != nil {
					return usageError{fmt.Errorf("--enode: %w", err)}
				}
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			// The fold adds the key to the member and keeps their roles.
			m := s.Members[spec.Handle]
			existing := m != nil && m.Active
			if existing && len(spec.Roles) > 0 && !slices.Equal(m.Roles, spec.Roles) {
				// There is no role change: a roster proposal names a key and its
				// roles, and the fold gives a member's new key the roles they hold.
				return usageError{fmt.Errorf("%s is a member with roles %s, and member add does not change them (another device key takes them: leave --role out). "+
					"Roles cannot be changed in place: to give %s --role %s, remove them (tminus member remove %s) and add a new key of theirs (a fresh tminus join) with those roles",
					m.Handle, strings.Join(m.Roles, ","), m.Handle, strings.Join(spec.Roles, ","), m.Handle)}
			}
			if !existing && len(spec.Roles) == 0 {
				return usageError{fmt.Errorf("a new member needs at least one role: give --role R[,R] for %s (an existing member's handle adds a device key and needs none)", spec.Handle)}
			}
			return a.rosterChange(cmd.Context(), &domain.MemberPropose{Action: domain.ActionAdd, Member: spec}, o.json)
		},
	}
	add.Flags().StringVar(&o.handle, "handle", "", "the member's handle")
	add.Flags().StringSliceVar(&o.roles, "role", nil, "roles: reporter, triage, comms, containment, recorder, observer")
	add.Flags().StringVar(&o.enode, "enode", "", "the member's node URL (enode://...)")
	add.Flags().BoolVar(&o.json, "json", false, "print JSON")
	add.MarkFlagRequired("handle")

	var rmJSON bool
	var cutAt int64
	remove := &cobra.Command{
		Use:   "remove ADDR|HANDLE [--cut SEQ]",
		Short: "Propose removing a member",
		Long: "The removal cuts the member's keys: once it applies, nothing a key signed past its cut counts on any\n" +
			"replica. The cut is the newest seq of the key held here, unless --cut names an earlier one: a stolen\n" +
			"laptop's events that already arrived (tminus log shows each event's #seq) are then left out too.",
		Args: exactArgs(1, "the member's address or handle"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			m, err := member(s, args[0])
			if err != nil {
				return err
			}
			cuts, err := a.cuts(cmd.Context(), m.Keys)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("cut") {
				if err := cutEarlier(s, m, cuts, cutAt); err != nil {
					return err
				}
			}
			return a.rosterChange(cmd.Context(), &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: m.Handle}, Cuts: cuts}, rmJSON)
		},
	}
	remove.Flags().BoolVar(&rmJSON, "json", false, "print JSON")
	remove.Flags().Int64Var(&cutAt, "cut", 0, "count the member's events only up to this seq (default: the newest held here)")

	var apJSON bool
	approve := &cobra.Command{
		Use:   "approve PROPOSAL",
		Short: "Approve a roster proposal",
		Args:  exactArgs(1, "the proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "roster proposal", "tminus member list", domain.KindMemberPropose, domain.KindMemberChange)
			if err != nil {
				return err
			}
			if err := a.refuseMoot(cmd.Context(), id); err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), &domain.MemberApprove{Proposal: id})
			if err != nil {
				return err
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.pastCuts(cmd.Context(), s.Roster[id]); err != nil {
				return err
			}
			if !apJSON {
				a.sayRosterState(s, id)
			}
			return a.created(apJSON, ev.ID.String(), map[string]any{"proposal": id.String(), "applied": s.Roster[id].Applied})
		},
	}
	approve.Flags().BoolVar(&apJSON, "json", false, "print JSON")

	var lsJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List members, and pending roster proposals",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			return a.memberList(s, lsJSON)
		},
	}
	list.Flags().BoolVar(&lsJSON, "json", false, "print JSON")
	c.AddCommand(add, remove, approve, list)
	c.AddCommand(a.memberIdentityCmds()...)
	return c
}

// gated appends an event whose effect depends on the state (roles,
// quorum) and reports the fold's verdict: stored but refused is an error.
// Both are asked of the command's view (state), which folds only the new
// event after the write: what the command checked before and reports after
// comes from the same fold. precheck refuses, unsigned, whatever that view
// lets it foresee; the verdict after the write is the last resort, for an
// event a peer or this home's writer folded in between.
func (a *app) gated(ctx context.Context, body domain.Body, blobs ...[]byte) (*domain.Event, error) {
	if err := valid(body); err != nil {
		return nil, err
	}
	s, err := a.state(ctx)
	if err != nil {
		return nil, err
	}
	if err := precheck(a, s, body); err != nil {
		return nil, err
	}
	evs, err := a.home.Write(ctx, blobs, body)
	if err != nil {
		return nil, err
	}
	ev := evs[0]
	if s, err = a.state(ctx); err != nil {
		return nil, err
	}
	return ev, checkRejected(s, ev.ID)
}

// precheck refuses, before signing, what the fold would refuse from this
// device's member at this process's clock, the time the event will carry
// (domain.State.CheckBody). A nil body asks only whether it may write.
func precheck(a *app, s *domain.State, body domain.Body) error {
	addr, err := a.home.Address()
	if err != nil {
		return err
	}
	return s.CheckBody(addr, body, a.now().UnixMilli())
}

func (a *app) rosterChange(ctx context.Context, p *domain.MemberPropose, asJSON bool) error {
	if err := a.refuseTwin(ctx, p); err != nil {
		return err
	}
	ev, err := a.gated(ctx, p)
	if err != nil {
		return err
	}
	return a.reportRosterProposal(ctx, ev, asJSON, nil)
}

// refuseTwin refuses a roster proposal identical to one still pending: the
// members' approvals would split between the two, and neither might reach
// the quorum. A removal with other cuts (proposed again after a sync) is
// not a twin.
func (a *app) refuseTwin(ctx context.Context, body domain.Body) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	want, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var twin *domain.RosterProposal
	for _, rp := range s.Roster {
		if rp.Applied || rp.Void != "" {
			continue
		}
		var have any
		switch body.(type) {
		case *domain.MemberPropose:
			if rp.Change != nil {
				continue
			}
			have = &domain.MemberPropose{Action: rp.Action, Member: rp.Member, Cuts: rp.Cuts}
		case *domain.MemberChange:
			if rp.Change == nil {
				continue
			}
			have = rp.Change
		default:
			return nil
		}
		got, err := json.Marshal(have)
		if err != nil || !bytes.Equal(got, want) {
			continue
		}
		if twin == nil || rp.At < twin.At || (rp.At == twin.At && bytes.Compare(rp.ID[:], twin.ID[:]) < 0) {
			twin = rp
		}
	}
	if twin == nil {
		return nil
	}
	return fmt.Errorf("the same roster change is already pending as proposal %s by %s (%d of %d approvals): the other members approve that one (tminus member approve %s); nothing was signed",
		twin.ID.Short(), twin.By, s.CountingApprovals(twin), s.RosterQuorum(), twin.ID.Short())
}

// moot says why a pending roster proposal can no longer change the roster:
// a twin proposed concurrently from another view (a partition) already did
// what it asks, and the fold voids it when it reaches its quorum. A second
// removal that carries cuts is not moot: its cuts still count.
func moot(s *domain.State, p *domain.RosterProposal) string {
	if p == nil || p.Applied || p.Void != "" || p.Change != nil {
		return ""
	}
	switch p.Action {
	case domain.ActionAdd:
		k := p.Member.Address
		if c, ok := s.Cuts[k]; ok && s.Roster[c.By] != nil && s.Roster[c.By].Applied {
			return fmt.Sprintf("%s was revoked by roster proposal %s and cannot be added back (add a new key of theirs)", k.Hex(), c.By.Short())
		}
		if h, ok := s.Keys[k]; ok && s.Members[h].Active {
			return fmt.Sprintf("%s is already a key of %s", k.Hex(), h)
		}
	case domain.ActionRemove:
		if m := s.Members[p.Member.Handle]; m == nil || (!m.Active && len(p.Cuts) == 0) {
			return p.Member.Handle + " is no longer a member"
		}
	}
	return ""
}

// refuseMoot refuses, unsigned, an approval of a proposal that can no
// longer change the roster: it read "pending: 2 of 2 approvals" and asked
// the others to approve what the fold had voided.
func (a *app) refuseMoot(ctx context.Context, id domain.ID) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	if why := moot(s, s.Roster[id]); why != "" {
		return fmt.Errorf("roster proposal %s can no longer change the roster: %s (a twin proposed elsewhere applied first); nothing to approve, nothing was signed", id.Short(), why)
	}
	return nil
}

// cuts names each key's newest seq held here, for a revocation: what the
// key signs after it will not count on any replica, however its author
// orders it (domain/cuts.go).
func (a *app) cuts(ctx context.Context, keys []common.Address) ([]domain.KeyCut, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return nil, err
	}
	heads, err := st.Heads(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.KeyCut, 0, len(keys))
	for _, k := range keys {
		c := domain.KeyCut{Key: k}
		for _, h := range heads {
			if h.Author == k && h.Seq > c.Seq {
				c.Seq = h.Seq
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// cutEarlier moves the cut of m's one key not yet cut to seq: the events a
// thief signed with a stolen key reach the team before anyone notices, and
// a cut at the newest seq held would count them for good. A seq past the
// newest held would count events nobody here has seen: wrong usage.
func cutEarlier(s *domain.State, m *domain.Member, cuts []domain.KeyCut, seq int64) error {
	var open []int
	for i, c := range cuts {
		if _, cut := s.Cuts[c.Key]; !cut {
			open = append(open, i)
		}
	}
	if len(open) != 1 {
		return usageError{fmt.Errorf("--cut names a seq of one key, and %s has %d keys not yet cut: remove without --cut", m.Handle, len(open))}
	}
	c := &cuts[open[0]]
	if seq < 0 || uint64(seq) > c.Seq {
		return usageError{fmt.Errorf("--cut %d: %s's key %s has events up to seq %d here; give a seq from 0 to %d (tminus log shows each event's #seq)",
			seq, m.Handle, c.Key.Hex(), c.Seq, c.Seq)}
	}
	c.Seq = uint64(seq)
	return nil
}

// pastCuts tells an approver which events held here a revocation's cuts
// leave uncounted: a thief's are meant to go, but an honest event the
// proposer had not yet heard of goes too.
func (a *app) pastCuts(ctx context.Context, p *domain.RosterProposal) error {
	if p == nil || len(p.Cuts) == 0 {
		return nil
	}
	keys := make([]common.Address, len(p.Cuts))
	for i, c := range p.Cuts {
		keys[i] = c.Key
	}
	held, err := a.cuts(ctx, keys)
	if err != nil {
		return err
	}
	for i, c := range p.Cuts {
		if n := held[i].Seq; n > c.Seq {
			fmt.Fprintf(a.stderr, "note: this home holds %s's events up to seq %d; proposal %s counts them up to seq %d, so %d will not count\n",
				c.Key.Hex(), n, p.ID.Short(), c.Seq, n-c.Seq)
		}
	}
	return nil
}

// reportRosterProposal prints a roster proposal just written: whether it
// applied, and its approvals against the quorum.
func (a *app) reportRosterProposal(ctx context.Context, ev *domain.Event, asJSON bool, extra map[string]any) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	if extra == nil {
		extra = map[string]any{}
	}
	rp := s.Roster[ev.ID]
	extra["applied"], extra["approvals"], extra["quorum"] = rp != nil && rp.Applied, 0, s.RosterQuorum()
	if rp != nil {
		extra["approvals"] = s.CountingApprovals(rp)
		if len(rp.Cuts) > 0 {
			// Each revoked key and the last seq of it that counts; keys in
			// EIP-55, as every member address in a view (docs/cli.md).
			cuts := make([]map[string]any, len(rp.Cuts))
			for i, c := range rp.Cuts {
				cuts[i] = map[string]any{"key": c.Key.Hex(), "seq": c.Seq}
			}
			extra["cuts"] = cuts
		}
		if rp.Applied && rp.Quorum > 0 {
			extra["quorum"] = rp.Quorum // the quorum it met, not the one after it
		}
	}
	if !asJSON {
		a.sayRosterState(s, ev.ID)
	}
	if err := a.pastCuts(ctx, rp); err != nil { // a --cut before events held here
		return err
	}
	return a.created(asJSON, ev.ID.String(), extra)
}

// sayRosterState tells, on stderr, whether the roster proposal id applied
// or what it still waits for: the id alone on stdout read as done, and a
// founder's second member add sat pending while its member was told to
// sync.
func (a *app) sayRosterState(s *domain.State, id domain.ID) {
	rp := s.Roster[id]
	if rp == nil {
		return
	}
	if rp.Applied {
		fmt.Fprintln(a.stderr, "applied: the roster changed")
		return
	}
	if rp.Void != "" {
		fmt.Fprintf(a.stderr, "void: %s; the roster did not change\n", rp.Void)
		return
	}
	fmt.Fprintf(a.stderr, "pending: %d of %d approvals; it applies once other members run tminus member approve %s\n",
		s.CountingApprovals(rp), s.RosterQuorum(), id.Short())
}

type memberJSON struct {
	Address string   `json:"address"`
	Handle  string   `json:"handle"`
	Roles   []string `json:"roles"`
	Enode   string   `json:"enode"`
	Keys    []string `json:"keys"`
	Active  bool     `json:"active"`
	memberProofsView
}

func (a *app) memberList(s *domain.State, asJSON bool) error {
	handles := make([]string, 0, len(s.Members))
	for h, m := range s.Members {
		if m.Active {
			handles = append(handles, h)
		}
	}
	sort.Strings(handles)
	now := a.now().UnixMilli()
	if asJSON {
		out := []memberJSON{}
		for _, h := range handles {
			m := s.Members[h]
			mj := memberJSON{Address: m.Keys[0].Hex(), Handle: h, Roles: m.Roles, Enode: m.Enode, Active: true,
				memberProofsView: viewMemberProofs(s, m, now)}
			for _, k := range m.Keys {
				mj.Keys = append(mj.Keys, k.Hex())
			}
			out = append(out, mj)
		}
		return a.printJSON(out)
	}
	w := newTable(a.stdout)
	fmt.Fprintln(w, "HANDLE\tROLES\tPROOFS\tKEYS")
	for _, h := range handles {
		m := s.Members[h]
		keys := make([]string, len(m.Keys))
		for i, k := range m.Keys {
			keys[i] = k.Hex()
			if _, cut := s.Cuts[k]; cut { // a removed member's old key, kept by their re-admission
				keys[i] += "(revoked)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", h, strings.Join(m.Roles, ","), proofSummary(s, m, now), strings.Join(keys, " "))
	}
	w.Flush()
	identitySummary(a.stdout, s)
	if len(s.Cuts) > 0 {
		keys := slices.SortedFunc(maps.Keys(s.Cuts), func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
		fmt.Fprintf(a.stdout, "\nrevoked keys (what they signed past the seq does not count):\n")
		for _, k := range keys {
			c := s.Cuts[k]
			fmt.Fprintf(a.stdout, "  %s  %s after seq %d (roster proposal %s)\n", k.Hex(), safeText(s.Handle(k)), c.Seq, c.By.Short())
		}
	}
	var pending []*domain.RosterProposal
	for _, p := range s.Roster {
		if !p.Applied && p.Void == "" {
			pending = append(pending, p)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].At < pending[j].At })
	if len(pending) > 0 {
		fmt.Fprintf(a.stdout, "\npending roster proposals (quorum %d):\n", s.RosterQuorum())
		for _, p := range pending {
			fmt.Fprintf(a.stdout, "  %s  %s by %s, %d approval(s)", p.ID.Short(), describeProposal(p), p.By, s.CountingApprovals(p))
			if why := moot(s, p); why != "" {
				fmt.Fprintf(a.stdout, " (moot: %s)", why)
			}
			fmt.Fprintln(a.stdout)
		}
	}
	return nil
}
