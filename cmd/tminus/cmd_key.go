package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/proof"
	"github.com/tminus-ir/tminus/store"
	tsync "github.com/tminus-ir/tminus/sync"
	"github.com/tminus-ir/tminus/workspace"
)

func init() { extraCommandFuncs = append(extraCommandFuncs, (*app).keyCmd) }

func (a *app) keyCmd() *cobra.Command {
	c := &cobra.Command{Use: "key", Short: "This home's tminus key"}
	c.AddCommand(a.keyRotateCmd())
	return c
}

// nextKeyPath holds the new key between its creation and the rotation's
// record: a statement printed for gpg names it, and a rotation cut short
// finishes with it.
func nextKeyPath(h *workspace.Home) string { return h.NextKeyPath() }

type rotateOpts struct {
	key            sshKeyOpts
	away           elsewhereOpts
	kind, expires  string
	printStatement bool
	light, json    bool
}

func (a *app) keyRotateCmd() *cobra.Command {
	var o rotateOpts
	c := &cobra.Command{
		Use:   "rotate (--key FILE [--cert FILE] [--agent] | --kind K --public-key FILE --statement FILE --signature FILE | --print-statement --kind K --public-key FILE)",
		Short: "A new tminus key, endorsed by the old one and by one of your proof keys",
		Long: "The old key signs a key.rotate event naming the new key; one of your valid proof keys signs a proof\n" +
			"statement naming the new key (an SSH key with --key, or a signature made elsewhere over the statement\n" +
			"--print-statement prints). From then on every replica refuses the old key's later events.\n" +
			"Stop this home's tminus agent, serve and cockpit first: they hold the old key. Start them again after.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.rotate(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.key.key, "key", "", "endorse with this SSH proof key (private key file, or its .pub with --agent)")
	c.Flags().StringVar(&o.key.cert, "cert", "", "the key's certificate, for an ssh-cert proof key")
	c.Flags().BoolVar(&o.key.agent, "agent", false, "sign through the ssh-agent on SSH_AUTH_SOCK")
	c.Flags().StringVar(&o.kind, "kind", "", "the proof key's kind, for a signature made elsewhere: "+fmt.Sprint(proof.Kinds))
	o.away.flags(c, "tminus key rotate --print-statement")
	c.Flags().BoolVar(&o.printStatement, "print-statement", false, "make the new key and print the statement for a proof key to sign elsewhere")
	c.Flags().StringVar(&o.expires, "expires", "", "the endorsement statement's expiry (default 183 days)")
	c.Flags().BoolVar(&o.light, "light-kdf", false, "cheap scrypt parameters for the new key, for tests and drills only")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return c
}

// keyInUse refuses to rotate while another process holds the old key: a
// serve or cockpit writing this home would go on signing with it (and its
// events would not count), and an agent would keep offering it.
func keyInUse(ctx context.Context, h *workspace.Home) error {
	if nodeServing(h) {
		return fmt.Errorf("a tminus serve or cockpit writes this home (%s) with the old key: stop it, run tminus key rotate, then start it again", h.NodeSock())
	}
	// The home's own socket, and TMINUS_AGENT_SOCK when it names another:
	// an agent there holding another key (another home's, left from its
	// eval) does not hold this one.
	own := filepath.Join(h.Dir, "agent.sock")
	path, explicit := h.AgentSock()
	for _, p := range slices.Compact([]string{own, path}) {
		if holdsKey(ctx, h, p) {
			if p != own && explicit {
				return fmt.Errorf("%s=%s: an agent holds the key; rotate on the machine that holds the keystore, with no agent running", workspace.AgentSockEnv, p)
			}
			return fmt.Errorf("an agent holds this home's old key (%s): stop it with tminus agent stop, run tminus key rotate, then start it again", p)
		}
	}
	if _, err := os.Stat(h.KeyPath()); err != nil {
		return fmt.Errorf("%s has no key file: rotate on the machine that holds the keystore", h.Dir)
	}
	return nil
}

// holdsKey reports whether an agent answering on path may hold h's key:
// it does, or its status does not say.
func holdsKey(ctx context.Context, h *workspace.Home, path string) bool {
	c, err := agent.Dial(path)
	if err != nil {
		return false
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	want, aerr := h.Address()
	return err != nil || aerr != nil || st.Address == want
}

func (a *app) rotate(ctx context.Context, o rotateOpts) error {
	switch {
	case o.printStatement:
		if o.kind == "" || o.away.publicKey == "" {
			return usageError{errors.New("--print-statement needs --kind and --public-key: the proof key that will sign it")}
		}
	case o.away.given() && o.key.key != "":
		return usageError{errors.New("give either --key or --public-key/--statement/--signature")}
	case o.away.given() && o.expires != "":
		return usageError{errExpiresSigned}
	case !o.away.given() && o.key.key == "":
		return usageError{errors.New("endorse the new key with a proof key: --key FILE (SSH), or --kind, --public-key, --statement and --signature (see --print-statement)")}
	}
	h := a.home
	// --print-statement signs nothing with the old key and leaves the home
	// on it: an agent, serve or cockpit holding it may go on while the
	// statement is signed elsewhere. It still needs the keystore here, the
	// new key's passphrase being the old one's.
	inUse := keyInUse(ctx, h)
	if !o.printStatement && inUse != nil {
		return inUse
	}
	if _, err := os.Stat(h.KeyPath()); err != nil {
		return fmt.Errorf("%s has no key file: rotate on the machine that holds the keystore", h.Dir)
	}
	st, err := h.Store(ctx)
	if err != nil {
		return err
	}
	s, err := a.state(ctx)
	if err != nil {
		return err
	}
	old, err := h.Address()
	if err != nil {
		return err
	}
	m := s.MemberByKey(old)
	if m == nil || !m.Active {
		return fmt.Errorf("%s is not a member's key: nothing to rotate", old.Hex())
	}
	pass, err := h.Passphrase(false)
	if err != nil {
		return err
	}
	oldKey, err := store.UnlockKey(h.KeyPath(), pass)
	if err != nil {
		return err
	}
	if crypto.PubkeyToAddress(oldKey.PublicKey) != old {
		return fmt.Errorf("%s does not hold %s, the key config.yaml names", h.KeyPath(), old.Hex())
	}
	newKey, err := pendingKey(h, pass, o.light)
	if err != nil {
		return err
	}
	newAddr := crypto.PubkeyToAddress(newKey.PublicKey)
	if r := s.RotatedKey(old); r != nil {
		if r.New != newAddr {
			return fmt.Errorf("%s was already rotated to %s, whose key this home lacks", old.Hex(), r.New.Hex())
		}
		// Recorded, but the home was not switched (an interrupted rotate):
		// switching is the real thing, whatever the flags.
		if inUse != nil {
			return inUse
		}
		if err := a.switchKey(old, newKey, r.Event, o.json); err != nil {
			return err
		}
		a.deliverRotation(ctx, st, oldKey, newKey)
		return nil
	}
	if o.printStatement {
		return a.printStatement(ctx, o.kind, o.away.publicKey, newAddr, o.expires)
	}
	var end *domain.ProofAdd
	if o.away.given() {
		end, err = o.away.body(o.kind)
	} else {
		kind := proof.KindSSH
		if o.key.cert != "" {
			kind = proof.KindSSHCert
		}
		end, err = a.sshBody(ctx, kind, o.key, newAddr, o.expires)
	}
	if err != nil {
		return err
	}
	body := &domain.KeyRotate{New: newAddr, Endorsement: *end}
	if err := s.CheckBody(old, body, a.now().UnixMilli()); err != nil {
		return err
	}
	// The old key signs, in this process: no agent or node runs (keyInUse).
	evs, err := workspace.Attach(h.Dir, st, oldKey).Write(ctx, nil, body)
	if err != nil {
		return err
	}
	after, err := a.state(ctx)
	if err != nil {
		return err
	}
	if err := checkRejected(after, evs[0].ID); err != nil {
		return err
	}
	if err := a.switchKey(old, newKey, evs[0].ID, o.json); err != nil {
		return err
	}
	a.deliverRotation(ctx, st, oldKey, newKey)
	return nil
}

// deliverPeerTimeout bounds one peer's round when rotate delivers the rotation.
const deliverPeerTimeout = 20 * time.Second

// deliverRotation syncs, with the old key, with every peer this home knows
// (its peer rows and the roster's hints): a peer admits the new node key
// only once it has the key.rotate, and the old key is the one it still
// admits. It says which peers have it and how to carry it to the others;
// the rotation stands either way.
func (a *app) deliverRotation(ctx context.Context, st *store.Store, oldKey, newKey *ecdsa.PrivateKey) {
	s, err := a.state(ctx)
	if err != nil {
		fmt.Fprintf(a.stderr, "tminus: cannot read the roster to deliver the rotation: %v\n", err)
		return
	}
	self := enode.PubkeyToIDV4(&oldKey.PublicKey)
	// No node answers as a rotated-out key: this home's own earlier keys
	// (the roster's hint for this member still names the first), or
	// another member's that rotated since. Nor is the workspace handed to
	// a removed member's node, or to a key a removal cut: a stolen laptop's
	// peer row outlives the removal, and its key stays on the roster, cut,
	// once its member is added back with a new key.
	retired := func(node *enode.Node) bool {
		k := crypto.PubkeyToAddress(*node.Pubkey())
		if _, cut := s.Cuts[k]; cut || s.RotatedKey(k) != nil {
			return true
		}
		m := s.MemberByKey(k)
		return m != nil && !m.Active
	}
	urls := map[enode.ID]string{}
	for _, m := range s.Members {
		if node, err := enode.ParseV4(m.Enode); err == nil && m.Active && !retired(node) {
			urls[node.ID()] = m.Enode
		}
	}
	// A peer row overrides the roster's hint; of two rows for a node, the
	// newer wins (it moved), as for a running node's dial list.
	peers, _ := st.Peers(ctx)
	added := map[enode.ID]int64{}
	for _, p := range peers {
		node, err := enode.ParseV4(p.Enode)
		if err != nil || retired(node) {
			continue
		}
		if at, seen := added[node.ID()]; !seen || p.Added >= at {
			urls[node.ID()], added[node.ID()] = p.Enode, p.Added
		}
	}
	delete(urls, self)
	carry := "carry it with tminus sync --ssh HOST, or tminus bundle export FILE and bundle import there, " +
		"before this node connects: until a peer has the rotation it refuses the new key"
	if len(urls) == 0 {
		fmt.Fprintf(a.stderr, "no peer known to deliver the rotation to: %s.\n", carry)
		return
	}
	sorted := slices.Sorted(maps.Values(urls))
	errs := make([]error, len(sorted))
	if err := syncEach(ctx, oldKey, st, sorted, errs); err != nil {
		fmt.Fprintf(a.stderr, "tminus: cannot start a node to deliver the rotation: %v; %s.\n", err, carry)
		return
	}
	// A peer that refused the old key as no member's may hold the rotation
	// already: a peer reached a moment earlier relays it at once, and the
	// old key is then refused as rotated out. Rotate reported such a peer
	// "not delivered", telling the user to have the old key added. Its
	// admitting the new key says it has the rotation.
	var refused []string
	var at []int
	for i, err := range errs {
		if r := (*tsync.RefusedError)(nil); errors.As(err, &r) && r.Reason == tsync.RefusedNotMember {
			refused, at = append(refused, sorted[i]), append(at, i)
		}
	}
	if len(refused) > 0 {
		again := make([]error, len(refused))
		if syncEach(ctx, newKey, st, refused, again) == nil {
			for j, i := range at {
				if again[j] == nil {
					errs[i] = nil
				}
			}
		}
	}
	var reached, missed []string
	for i, url := range sorted {
		if errs[i] != nil {
			missed = append(missed, errs[i].Error())
			continue
		}
		name := url
		if node, err := enode.ParseV4(url); err == nil {
			if m := s.MemberByKey(crypto.PubkeyToAddress(*node.Pubkey())); m != nil {
				name = m.Handle
			}
		}
		reached = append(reached, name)
	}
	if len(reached) > 0 {
		fmt.Fprintf(a.stderr, "the rotation reached %s: they admit the new key.\n", strings.Join(reached, ", "))
	}
	if len(missed) > 0 {
		fmt.Fprintf(a.stderr, "not delivered:\n  %s\n%s.\n", strings.Join(missed, "\n  "), carry)
	}
}

// syncEach runs one sync round with each url from a node on key, all at
// once (a peer behind a black hole costs its timeout, not the sum of
// everyone's), setting errs[i] for urls[i]. It fails only when the node
// cannot start.
func syncEach(ctx context.Context, key *ecdsa.PrivateKey, st *store.Store, urls []string, errs []error) error {
	n := tsync.NewNode(tsync.Config{Key: key, Store: st})
	if err := n.Start(); err != nil {
		return err
	}
	defer n.Stop()
	var wg gosync.WaitGroup
	for i, url := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, deliverPeerTimeout)
			defer cancel()
			_, errs[i] = n.SyncOnce(pctx, url)
		}()
	}
	wg.Wait()
	return nil
}

// pendingKey is the new key: the one a --print-statement made, or a new one.
func pendingKey(h *workspace.Home, pass []byte, light bool) (*ecdsa.PrivateKey, error) {
	path := nextKeyPath(h)
	if _, err := os.Stat(path); err == nil {
		k, err := store.UnlockKey(path, pass)
		if err != nil {
			return nil, fmt.Errorf("the pending new key: %w (it takes the home's passphrase)", err)
		}
		return k, nil
	}
	return store.CreateKey(path, pass, light)
}

// switchKey makes the new key this home's (workspace.SwitchKey, which a
// crash cannot leave without key.json): the old keystore file is kept
// beside it, renamed, and config.yaml names the new address.
func (a *app) switchKey(old common.Address, newKey *ecdsa.PrivateKey, event domain.ID, asJSON bool) error {
	h := a.home
	retired, err := h.SwitchKey(newKey)
	if err != nil {
		return err
	}
	addr := crypto.PubkeyToAddress(newKey.PublicKey).Hex()
	enode, _ := h.Enode()
	// The roster's enode hint for this member still names the old key: a
	// peer this node has not dialed since (a row of it reads IP:0) cannot
	// dial it, and two members who both rotated never met again.
	fmt.Fprintf(a.stderr, "key rotated: this home now signs as %s; %s's events after the rotation do not count (old keystore kept as %s).\n"+
		"Start tminus agent or serve again if you stopped them. This node's new enode (peers admit it once they have the rotation):\n  %s\n"+
		"The roster still gives peers your old enode to dial: teammates reach this node once it dials them, or after tminus peer add %s\n",
		addr, old.Hex(), filepath.Base(retired), enode, enode)
	return a.created(asJSON, addr, map[string]any{"address": addr, "old": old.Hex(), "event": event.String(), "enode": enode})
}
