package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/proof"
)

func init() { extraCommandFuncs = append(extraCommandFuncs, (*app).proofCmd) }

func (a *app) proofCmd() *cobra.Command {
	c := &cobra.Command{Use: "proof", Short: "Identity proofs: a second key (SSH, SSH certificate, OpenPGP) vouching for your tminus key"}
	c.AddCommand(a.proofStatementCmd(), a.proofAddCmd(), a.proofListCmd(), a.proofRevokeCmd())
	return c
}

// errExpiresSigned is --expires beside a statement already signed: its
// expiry is in the signed bytes, and was silently kept.
var errExpiresSigned = errors.New("--expires sets the expiry of a statement tminus writes; a signed statement carries its own: give --expires to tminus proof statement (or key rotate --print-statement) and sign that")

// statementOpts is what a statement needs from flags.
type statementOpts struct {
	kind, publicKey, member, expires string
}

func (o *statementOpts) flags(c *cobra.Command) {
	c.Flags().StringVar(&o.expires, "expires", "", "when the proof lapses: a duration (4380h) or an RFC 3339 time (default 183 days: review proofs every six months)")
}

// checkKind refuses a proof kind tminus does not know, as a usage error.
func checkKind(kind string) error {
	if !slices.Contains(proof.Kinds, kind) {
		return usageError{fmt.Errorf("proof kind %q: want one of %s", kind, strings.Join(proof.Kinds, ", "))}
	}
	return nil
}

// statement builds the statement for kind and publicKey naming member, in
// this home's workspace, issued now by the clock this home signs with: a
// statement issued after its event's time would not be valid at it.
func (a *app) statement(ctx context.Context, kind string, publicKey []byte, member common.Address, expires string) (proof.Statement, error) {
	if err := checkKind(kind); err != nil {
		return proof.Statement{}, err
	}
	fp, err := proof.Fingerprint(kind, publicKey)
	if err != nil {
		return proof.Statement{}, fmt.Errorf("%s key: %w", kind, err)
	}
	st, err := a.home.Store(ctx)
	if err != nil {
		return proof.Statement{}, err
	}
	if st.Workspace().IsZero() {
		return proof.Statement{}, errors.New("this home has no workspace yet: a proof names one (sync with a member first)")
	}
	now := a.now().UTC().Truncate(time.Second)
	until := now.Add(proof.DefaultValidity)
	if expires != "" {
		if d, err := time.ParseDuration(expires); err == nil && d > 0 {
			until = now.Add(d)
		} else if t, err := time.Parse(time.RFC3339, expires); err == nil && t.After(now) {
			until = t.UTC().Truncate(time.Second)
		} else {
			return proof.Statement{}, usageError{fmt.Errorf("--expires %q: want a positive duration (4380h) or a future RFC 3339 time", expires)}
		}
	}
	return proof.Statement{Workspace: st.Workspace().String(), Member: member, Kind: kind, Fingerprint: fp, IssuedAt: now, Expires: until}, nil
}

// printStatement writes the statement for the key in pubPath, for a
// second key to sign elsewhere.
func (a *app) printStatement(ctx context.Context, kind, pubPath string, member common.Address, expires string) error {
	pub, err := readCapped(pubPath, "public key", proof.MaxKey)
	if err != nil {
		return err
	}
	st, err := a.statement(ctx, kind, pub, member, expires)
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(st.Marshal())
	return err
}

func (a *app) proofStatementCmd() *cobra.Command {
	var o statementOpts
	c := &cobra.Command{
		Use:   "statement --kind ssh|ssh-cert|openpgp --public-key FILE [--expires D] [--member ADDR]",
		Short: "Print the exact bytes a second key signs (ssh-keygen -Y sign -n tminus, gpg --detach-sign)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			member, err := a.home.Address()
			if err != nil {
				return err
			}
			if o.member != "" {
				if !common.IsHexAddress(o.member) {
					return usageError{fmt.Errorf("--member %q is not an address", o.member)}
				}
				member = common.HexToAddress(o.member)
			}
			return a.printStatement(cmd.Context(), o.kind, o.publicKey, member, o.expires)
		},
	}
	c.Flags().StringVar(&o.kind, "kind", "", "ssh, ssh-cert or openpgp")
	c.Flags().StringVar(&o.publicKey, "public-key", "", "the second key: a .pub, a -cert.pub, or an OpenPGP public key")
	c.Flags().StringVar(&o.member, "member", "", "the tminus address the statement names (default: this home's; a new key for member rotate)")
	o.flags(c)
	c.MarkFlagRequired("kind")
	c.MarkFlagRequired("public-key")
	return c
}

// elsewhereOpts is a proof signed outside tminus: key, statement and
// signature files.
type elsewhereOpts struct {
	publicKey, statement, signature string
}

func (o *elsewhereOpts) flags(c *cobra.Command, what string) {
	c.Flags().StringVar(&o.publicKey, "public-key", "", "the second key's public key file")
	c.Flags().StringVar(&o.statement, "statement", "", "the statement file ("+what+" printed it)")
	c.Flags().StringVar(&o.signature, "signature", "", "its signature by the second key (ssh-keygen -Y sign -n tminus: FILE.sig; gpg --detach-sign)")
}

func (o *elsewhereOpts) given() bool {
	return o.publicKey != "" || o.statement != "" || o.signature != ""
}

// body reads the three files into a proof body of kind.
func (o *elsewhereOpts) body(kind string) (*domain.ProofAdd, error) {
	if o.publicKey == "" || o.statement == "" || o.signature == "" {
		return nil, usageError{errors.New("a signature made elsewhere needs --public-key, --statement and --signature")}
	}
	pub, err := readCapped(o.publicKey, "public key", proof.MaxKey)
	if err != nil {
		return nil, err
	}
	st, err := readCapped(o.statement, "statement", proof.MaxStatement)
	if err != nil {
		return nil, err
	}
	sig, err := readCapped(o.signature, "signature", proof.MaxSignature)
	if err != nil {
		return nil, err
	}
	b := &domain.ProofAdd{ProofKind: kind, Statement: string(st)}
	if b.PublicKey, err = proofText(kind, o.publicKey, pub, "PGP PUBLIC KEY BLOCK"); err != nil {
		return nil, err
	}
	if b.Signature, err = proofText(kind, o.signature, sig, "PGP SIGNATURE"); err != nil {
		return nil, err
	}
	if kind != proof.KindOpenPGP {
		b.PublicKey = strings.TrimSpace(b.PublicKey)
	}
	return b, nil
}

// sshBody signs a new statement naming member with the SSH key of o.
func (a *app) sshBody(ctx context.Context, kind string, o sshKeyOpts, member common.Address, expires string) (*domain.ProofAdd, error) {
	signer, line, err := o.signer()
	if err != nil {
		return nil, err
	}
	st, err := a.statement(ctx, kind, []byte(line), member, expires)
	if err != nil {
		return nil, err
	}
	msg := st.Marshal()
	sig, err := proof.SignSSH(signer, msg)
	if err != nil {
		return nil, err
	}
	return &domain.ProofAdd{ProofKind: kind, PublicKey: line, Statement: string(msg), Signature: string(sig)}, nil
}

func (a *app) proofAddCmd() *cobra.Command {
	var (
		key      sshKeyOpts
		away     elsewhereOpts
		expires  string
		asJSON   bool
		kindHelp = strings.Join(proof.Kinds, "|")
	)
	c := &cobra.Command{
		Use:   "add " + kindHelp + " (--key FILE [--cert FILE] [--agent] | --public-key FILE --statement FILE --signature FILE)",
		Short: "Sign a statement with an SSH key and record it, or record a signature made elsewhere",
		Args:  exactArgs(1, "the proof kind: "+kindHelp),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if err := checkKind(kind); err != nil {
				return err
			}
			me, err := a.home.Address()
			if err != nil {
				return err
			}
			var b *domain.ProofAdd
			switch {
			case away.given():
				if key.key != "" || key.cert != "" {
					return usageError{errors.New("give either --key (tminus signs) or --public-key/--statement/--signature (signed elsewhere)")}
				}
				if expires != "" {
					return usageError{errExpiresSigned}
				}
				b, err = away.body(kind)
			case kind == proof.KindOpenPGP:
				return usageError{errors.New("tminus does not hold OpenPGP keys: print the statement with tminus proof statement, sign it with gpg --detach-sign --armor, then give --public-key, --statement and --signature")}
			case kind == proof.KindSSHCert && key.cert == "":
				return usageError{errors.New("an ssh-cert proof needs --cert FILE (the key's -cert.pub)")}
			case kind == proof.KindSSH && key.cert != "":
				return usageError{errors.New("--cert makes an ssh-cert proof: tminus proof add ssh-cert --key FILE --cert FILE")}
			default:
				b, err = a.sshBody(cmd.Context(), kind, key, me, expires)
			}
			if err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), b)
			if err != nil {
				return err
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			p := s.Identity.Proofs[ev.ID]
			return a.created(asJSON, ev.ID.String(), map[string]any{"kind": p.Kind, "fingerprint": p.Fingerprint, "expires": ts(p.ValidUntil())})
		},
	}
	c.Flags().StringVar(&key.key, "key", "", "the SSH private key file (or its .pub, signing through ssh-agent)")
	c.Flags().StringVar(&key.cert, "cert", "", "the key's OpenSSH certificate (ssh-cert)")
	c.Flags().BoolVar(&key.agent, "agent", false, "sign through the ssh-agent on SSH_AUTH_SOCK")
	c.Flags().StringVar(&expires, "expires", "", "when the proof lapses: a duration or an RFC 3339 time (default 183 days)")
	away.flags(c, "tminus proof statement")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// proofView is a proof as proof list and member list show it.
type proofView struct {
	ID          string   `json:"id"`
	Member      string   `json:"member,omitempty"`
	Kind        string   `json:"kind"`
	Fingerprint string   `json:"fingerprint"`
	Algorithm   string   `json:"algorithm,omitempty"`
	IssuedAt    string   `json:"issued_at,omitempty"`
	Expires     string   `json:"expires"`
	Status      string   `json:"status"`
	CA          string   `json:"ca,omitempty"`
	Principals  []string `json:"principals,omitempty"`
	RevokedAt   string   `json:"revoked_at,omitempty"`
}

func viewProof(s *domain.State, p *domain.Proof, now int64) proofView {
	return proofView{ID: p.ID.String(), Member: p.Member, Kind: p.Kind, Fingerprint: p.Fingerprint, Algorithm: p.Algorithm,
		IssuedAt: ts(p.IssuedAt), Expires: ts(p.ValidUntil()), Status: s.ProofStatus(p, now), CA: p.CA,
		Principals: p.Principals, RevokedAt: ts(p.RevokedAt)}
}

func (a *app) proofListCmd() *cobra.Command {
	var (
		who    string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list [--member H] [--json]",
		Short: "Proofs: kind, fingerprint, expiry, status (valid, expired, revoked, not-yet-valid, untrusted-ca)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			var handles []string
			if who != "" {
				m, err := member(s, who)
				if err != nil {
					return err
				}
				handles = []string{m.Handle}
			} else {
				handles = slices.Sorted(maps.Keys(s.Members))
			}
			now := a.now().UnixMilli()
			out := []proofView{}
			for _, h := range handles {
				for _, p := range s.MemberProofs(h) {
					out = append(out, viewProof(s, p, now))
				}
			}
			if asJSON {
				return a.printJSON(out)
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "ID\tMEMBER\tKIND\tFINGERPRINT\tEXPIRES\tSTATUS")
			for _, p := range out {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID[:10], p.Member, p.Kind, p.Fingerprint, p.Expires, p.Status)
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&who, "member", "", "only this member's proofs (handle or address)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) proofRevokeCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "revoke PROOF",
		Short: "Withdraw one of your proofs: it stops counting from now on",
		Args:  exactArgs(1, "the proof id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "proof", "tminus proof list", domain.KindProofAdd)
			if err != nil {
				return err
			}
			ev, err := a.gated(cmd.Context(), &domain.ProofRevoke{Proof: id})
			if err != nil {
				return err
			}
			if err := a.stillVouched(cmd.Context(), id); err != nil {
				return err
			}
			return a.created(asJSON, ev.ID.String(), map[string]any{"proof": id.String()})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// stillVouched says, after a revocation, which of the member's other
// proofs still vouch for the same key: revoking one proof of a stolen key
// leaves the others counting.
func (a *app) stillVouched(ctx context.Context, revoked domain.ID) error {
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	r := s.Identity.Proofs[revoked]
	if r == nil {
		return nil
	}
	for _, p := range s.MemberProofs(r.Member) {
		if p.ID != revoked && !p.Revoked && p.Fingerprint == r.Fingerprint {
			fmt.Fprintf(a.stderr, "key %s is still vouched for by proof %s (%s); if the key is lost or stolen: tminus proof revoke %s\n",
				p.Fingerprint, p.ID.Short(), s.ProofStatus(p, a.now().UnixMilli()), p.ID.Short())
		}
	}
	return nil
}

// readFileText reads a small text file for a flag.
func readFileText(path, what string) (string, error) {
	data, err := readCapped(path, what, proof.MaxKey)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// identityRefusals are the identity events the fold refused, and the events
// it refused for identity's sake (a rotated-out key, an approval below the
// proof policy), each with why: verify prints them.
func identityRefusals(s *domain.State) []string {
	var out []string
	for _, r := range s.Rejected {
		switch {
		case r.Kind == domain.KindProofAdd, r.Kind == domain.KindProofRevoke, r.Kind == domain.KindKeyRotate, r.Kind == domain.KindMemberChange,
			strings.Contains(r.Reason, domain.ErrRotated.Error()), strings.Contains(r.Reason, domain.ErrCut.Error()),
			strings.Contains(r.Reason, "approval does not count"):
			out = append(out, fmt.Sprintf("%s %s by %s: %s", r.Event.Short(), r.Kind, s.Handle(r.Author), r.Reason))
		}
	}
	return out
}
