package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/proof"
)

// memberIdentityCmds are the roster's identity commands: trusted SSH CAs,
// the proof policy, a lost key's rotation, and the allowed_signers export.
func (a *app) memberIdentityCmds() []*cobra.Command {
	return []*cobra.Command{a.memberCACmd(), a.memberPolicyCmd(), a.memberRotateCmd(), a.allowedSignersCmd()}
}

// changeRoster proposes a member.change; it applies at the roster quorum.
func (a *app) changeRoster(ctx context.Context, b *domain.MemberChange, asJSON bool) error {
	if err := a.refuseTwin(ctx, b); err != nil {
		return err
	}
	ev, err := a.gated(ctx, b)
	if err != nil {
		return err
	}
	return a.reportRosterProposal(ctx, ev, asJSON, map[string]any{"change": b.Describe()})
}

func (a *app) memberCACmd() *cobra.Command {
	c := &cobra.Command{Use: "ca", Short: "SSH certificate authorities the roster trusts for ssh-cert proofs (roster changes)"}
	var addJSON, rmJSON bool
	add := &cobra.Command{
		Use:   "add CA.pub",
		Short: "Propose trusting an SSH CA",
		Args:  exactArgs(1, "the CA's public key file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := readFileText(args[0], "CA public key")
			if err != nil {
				return err
			}
			if _, err := proof.Fingerprint(proof.KindSSH, []byte(key)); err != nil {
				return fmt.Errorf("%s: %w (want the CA's .pub file)", args[0], err)
			}
			return a.changeRoster(cmd.Context(), &domain.MemberChange{Action: domain.ChangeCAAdd, CA: key}, addJSON)
		},
	}
	add.Flags().BoolVar(&addJSON, "json", false, "print JSON")
	remove := &cobra.Command{
		Use:   "remove FINGERPRINT",
		Short: "Propose no longer trusting an SSH CA: its certificates stop counting",
		Args:  exactArgs(1, "the CA's fingerprint (SHA256:...)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changeRoster(cmd.Context(), &domain.MemberChange{Action: domain.ChangeCARemove, Fingerprint: args[0]}, rmJSON)
		},
	}
	remove.Flags().BoolVar(&rmJSON, "json", false, "print JSON")
	c.AddCommand(add, remove)
	return c
}

func (a *app) memberPolicyCmd() *cobra.Command {
	var (
		role   string
		min    int
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "policy --role R --min-proofs N",
		Short: "Propose how many proofs of distinct kinds a role needs (the tminus key counts as one; 0 lifts it)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !domain.ValidRole(role) {
				return usageError{fmt.Errorf("--role %q: want one of %s", role, strings.Join(domain.Roles, ", "))}
			}
			if min < 0 || min > domain.MaxMinProofs {
				return usageError{fmt.Errorf("--min-proofs %d: want 0 to %d", min, domain.MaxMinProofs)}
			}
			return a.changeRoster(cmd.Context(), &domain.MemberChange{Action: domain.ChangePolicy, Role: role, MinProofs: min}, asJSON)
		},
	}
	c.Flags().StringVar(&role, "role", "", "the role")
	c.Flags().IntVar(&min, "min-proofs", 0, "valid proofs of distinct kinds the role needs, the tminus key included")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("role")
	c.MarkFlagRequired("min-proofs")
	return c
}

func (a *app) memberRotateCmd() *cobra.Command {
	var (
		to, old, kind string
		away          elsewhereOpts
		asJSON        bool
		cutAt         int64
	)
	c := &cobra.Command{
		Use:   "rotate MEMBER --to ADDR --kind K --public-key FILE --statement FILE --signature FILE [--old ADDR] [--cut SEQ]",
		Short: "Propose replacing a member's lost tminus key: the roster quorum plus a signature by one of the member's proof keys",
		Long: "The member runs tminus join for a new key and signs, with one of their proof keys, the statement\n" +
			"tminus proof statement --kind K --public-key FILE --member NEWADDR prints here. The change applies at the\n" +
			"roster quorum (tminus member approve); the old key's events after it do not count.",
		Args: exactArgs(1, "the member's handle"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(to) {
				return usageError{fmt.Errorf("--to %q is not an address (the member's new key, from tminus join)", to)}
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			m, err := member(s, args[0])
			if err != nil {
				return err
			}
			r := &domain.Rotation{Member: m.Handle, New: common.HexToAddress(to)}
			switch {
			case old != "":
				if !common.IsHexAddress(old) {
					return usageError{fmt.Errorf("--old %q is not an address", old)}
				}
				r.Old = common.HexToAddress(old)
			case len(m.Keys) == 1:
				r.Old = m.Keys[0]
			default:
				return usageError{fmt.Errorf("%s has %d keys: name the lost one with --old", m.Handle, len(m.Keys))}
			}
			b, err := away.body(kind)
			if err != nil {
				return err
			}
			r.Endorsement = *b
			cuts, err := a.cuts(cmd.Context(), []common.Address{r.Old})
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("cut") {
				if cutAt < 0 || uint64(cutAt) > cuts[0].Seq {
					return usageError{fmt.Errorf("--cut %d: %s's key %s has events up to seq %d here; give a seq from 0 to %d (tminus log shows each event's #seq)",
						cutAt, m.Handle, r.Old.Hex(), cuts[0].Seq, cuts[0].Seq)}
				}
				cuts[0].Seq = uint64(cutAt)
			}
			r.Cut = &cuts[0].Seq
			if err := a.changeRoster(cmd.Context(), &domain.MemberChange{Action: domain.ChangeRotate, Rotation: r}, asJSON); err != nil {
				return err
			}
			a.noPeerDials(m.Handle)
			return nil
		},
	}
	c.Flags().StringVar(&to, "to", "", "the member's new tminus address")
	c.Flags().StringVar(&old, "old", "", "the lost key (default: the member's only key)")
	c.Flags().Int64Var(&cutAt, "cut", 0, "count the lost key's events only up to this seq (default: the newest held here)")
	c.Flags().StringVar(&kind, "kind", "", "the endorsing proof key's kind: "+strings.Join(proof.Kinds, ", "))
	away.flags(c, "tminus proof statement --member NEWADDR")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("to")
	c.MarkFlagRequired("kind")
	return c
}

// noPeerDials says how a member's new home, after member rotate, gets the
// workspace: the roster's enode hint for them still names the lost key's
// node, so no peer dials the new one, and a serve started there before it
// held the workspace dials no one. The walk left the new home empty.
func (a *app) noPeerDials(handle string) {
	self := a.home.LiveEnode()
	if self == "" {
		self, _ = a.home.Enode()
	}
	fmt.Fprintf(a.stderr, "note: no peer dials %s's new key (the roster's enode for %s names the lost key's node): once this applies, %s's new home pulls the workspace with tminus sync %s, "+
		"and teammates reach its node with tminus peer add ITS_ENODE (tminus id there prints it)\n", handle, handle, handle, self)
}

// principalUnsafe is what an allowed_signers principal may not hold.
var principalUnsafe = regexp.MustCompile(`[\s,"'#*?!]+`)

// principal is HANDLE@WORKSPACE, the workspace's name made safe for an
// allowed_signers line.
func principal(s *domain.State, handle string) string {
	ws := strings.Trim(principalUnsafe.ReplaceAllString(s.Name, "-"), "-")
	if ws == "" {
		ws = s.WS.Short()
	}
	return handle + "@" + ws
}

func (a *app) allowedSignersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "allowed-signers",
		Short: "The roster's SSH proof keys as an OpenSSH allowed_signers file (ssh-keygen -Y verify, git gpg.ssh.allowedSignersFile)",
		Long: "One line per valid ssh and ssh-cert proof: principal HANDLE@WORKSPACE, namespaces=\"tminus\", valid-before\n" +
			"the proof's expiry. Each trusted SSH CA adds a cert-authority line per member, whose principal is the\n" +
			"member's handle, as their certificates name them.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			lines, err := allowedSigners(s, a.now().UnixMilli())
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(a.stdout, l)
			}
			return nil
		},
	}
}

// allowedSigners are the allowed_signers lines of s at now.
func allowedSigners(s *domain.State, now int64) ([]string, error) {
	var handles []string
	for h, m := range s.Members {
		if m.Active {
			handles = append(handles, h)
		}
	}
	sort.Strings(handles)
	var lines []string
	for _, h := range handles {
		for _, p := range s.MemberProofs(h) {
			if (p.Kind != proof.KindSSH && p.Kind != proof.KindSSHCert) || s.ProofStatus(p, now) != domain.ProofValid {
				continue
			}
			var until time.Time
			if u := p.ValidUntil(); u != 0 {
				until = time.UnixMilli(u)
			}
			l, err := proof.AllowedSigner(principal(s, h), []byte(p.PublicKey), until)
			if err != nil {
				return nil, fmt.Errorf("proof %s of %s: %w", p.ID.Short(), h, err)
			}
			lines = append(lines, l)
		}
	}
	for _, ca := range s.SortedCAs() {
		for _, h := range handles {
			l, err := proof.AllowedCA(h, []byte(ca.PublicKey))
			if err != nil {
				return nil, fmt.Errorf("CA %s: %w", ca.Fingerprint, err)
			}
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("no valid SSH proofs and no trusted CAs: nothing to export (tminus proof add ssh --key FILE)")
	}
	return lines, nil
}

// memberProofsView is what member list --json adds per member.
type memberProofsView struct {
	Proofs     []proofView     `json:"proofs"`
	ProofCount int             `json:"proof_count"` // distinct kinds valid now, the tminus key included
	RolesMet   map[string]bool `json:"roles_met"`   // per role: its minimum of proofs is met
	MinProofs  map[string]int  `json:"min_proofs"`  // per role with a minimum
}

func viewMemberProofs(s *domain.State, m *domain.Member, now int64) memberProofsView {
	v := memberProofsView{Proofs: []proofView{}, ProofCount: s.ProofCount(m.Handle, now), RolesMet: map[string]bool{}, MinProofs: map[string]int{}}
	for _, p := range s.MemberProofs(m.Handle) {
		pv := viewProof(s, p, now)
		pv.Member = ""
		v.Proofs = append(v.Proofs, pv)
	}
	for _, r := range m.Roles {
		min := s.RoleMinimum(r)
		v.RolesMet[r] = min <= 1 || v.ProofCount >= min
		if min > 0 {
			v.MinProofs[r] = min
		}
	}
	return v
}

// describeProposal names a pending roster change for member list.
func describeProposal(p *domain.RosterProposal) string {
	if p.Change != nil {
		return safeText(p.Change.Describe())
	}
	d := p.Action + " " + p.Member.Handle
	for i, c := range p.Cuts {
		sep := ", "
		if i == 0 {
			sep = ", counting only "
		}
		d += fmt.Sprintf("%s%s's events up to seq %d", sep, c.Key.Hex()[:10], c.Seq)
	}
	return d
}

// proofSummary is a member's proofs in member list's text: kinds valid
// now, and the role whose minimum is not met.
func proofSummary(s *domain.State, m *domain.Member, now int64) string {
	kinds := []string{"key"}
	for _, p := range s.MemberProofs(m.Handle) {
		if s.ProofStatus(p, now) == domain.ProofValid && !slices.Contains(kinds, p.Kind) {
			kinds = append(kinds, p.Kind)
		}
	}
	out := strings.Join(kinds, "+")
	if min, role := s.MemberMinimum(m); min > len(kinds) {
		out += fmt.Sprintf(" (%s needs %d!)", role, min)
	}
	return out
}

// identitySummary lists the proof policy and the trusted CAs, when set.
func identitySummary(w io.Writer, s *domain.State) {
	w = textWriter{w} // a CA key's comment is whatever its owner wrote
	var roles []string
	for _, r := range domain.Roles {
		if n := s.RoleMinimum(r); n > 0 {
			roles = append(roles, fmt.Sprintf("%s %d", r, n))
		}
	}
	if len(roles) > 0 {
		fmt.Fprintf(w, "\nproofs needed per role (the tminus key counts as one): %s\n", strings.Join(roles, ", "))
	}
	if cas := s.SortedCAs(); len(cas) > 0 {
		fmt.Fprintln(w, "\ntrusted SSH CAs:")
		for _, c := range cas {
			fmt.Fprintf(w, "  %s  %s\n", c.Fingerprint, c.PublicKey)
		}
	}
}
