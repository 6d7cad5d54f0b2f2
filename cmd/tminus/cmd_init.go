package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

type initOpts struct {
	name, handle string
	roles        []string
	quorum       int
	suggestP1    int
	light        bool
	json         bool
}

func (a *app) initCmd() *cobra.Command {
	var o initOpts
	c := &cobra.Command{
		Use:   "init --name WS --handle H [--role R,...] [--roster-quorum N] [--suggest-p1-at K]",
		Short: "Create a key and a new workspace (its genesis event)",
		Args:  exactArgs(0, "no arguments"),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runInit(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.name, "name", "", "workspace name")
	c.Flags().StringVar(&o.handle, "handle", "", "your handle")
	c.Flags().StringSliceVar(&o.roles, "role", []string{"reporter", "triage", "comms", "containment", "recorder"}, "your roles")
	c.Flags().IntVar(&o.quorum, "roster-quorum", 0, "approvals a roster change needs (0: a majority of members)")
	c.Flags().IntVar(&o.suggestP1, "suggest-p1-at", 0, "suggest P1 for a firing alert once this many members' watchers saw it (0: never)")
	c.Flags().BoolVar(&o.light, "light-kdf", false, "cheap scrypt parameters (tests and drills only)")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	c.MarkFlagRequired("name")
	c.MarkFlagRequired("handle")
	return c
}

func (a *app) runInit(ctx context.Context, o initOpts) error {
	roles := domain.NormalizeRoles(o.roles)
	g := &domain.Genesis{Name: o.name, Policy: domain.Policy{RosterQuorum: o.quorum, SuggestP1At: o.suggestP1},
		Founder: domain.MemberSpec{Handle: o.handle, Roles: roles}}
	g.Founder.Address = [20]byte{1} // validated again below with the real address
	if err := g.Validate(); err != nil {
		return usageError{err}
	}
	// An observer neither writes nor approves roster changes: a workspace
	// founded by one could never change, nor ever add anyone who could.
	if (&domain.Member{Roles: roles}).Has(domain.RoleObserver) {
		return usageError{fmt.Errorf("--role %s: the founder approves the first roster changes, which an observer cannot; found the workspace with writing roles (the default) and add observers with tminus member add",
			strings.Join(roles, ","))}
	}
	if _, err := a.home.Create(o.handle, o.light); err != nil {
		return err
	}
	addr, _ := a.home.Address()
	g.Founder.Address = addr
	en, _ := a.home.Enode()
	g.Founder.Enode = en
	ev, err := a.home.Append(ctx, g) // founds the roster: nothing to check it against
	if err != nil {
		return err
	}
	return a.printIdentity(o.json, map[string]any{"workspace": ev.ID.String(), "roles": roles})
}

func (a *app) joinCmd() *cobra.Command {
	var handle string
	var light, asJSON bool
	c := &cobra.Command{
		Use:   "join --handle H",
		Short: "Create a key without a workspace; a member adds you, then sync or import brings the workspace",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.home.Create(handle, light); err != nil {
				return err
			}
			if _, err := a.home.Store(cmd.Context()); err != nil {
				return err
			}
			return a.printIdentity(asJSON, nil)
		},
	}
	c.Flags().StringVar(&handle, "handle", "", "your handle")
	c.Flags().BoolVar(&light, "light-kdf", false, "cheap scrypt parameters (tests and drills only)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("handle")
	return c
}

func (a *app) idCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "id [--json]",
		Short: "Show this device's address, handle, roles, enode and keystore path",
		Long: "The enode is the one a running node of this home (serve) recorded as the address it listens on,\n" +
			"as peers dial it (live: true); without one, the one the config names (live: false).",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			extra := map[string]any{"live": false}
			if live := a.home.LiveEnode(); live != "" {
				extra["enode"], extra["live"] = live, true
			}
			if st, err := a.home.Store(cmd.Context()); err == nil && !st.Workspace().IsZero() {
				extra["workspace"] = st.Workspace().String()
				if s, err := st.State(cmd.Context()); err == nil {
					addr, _ := a.home.Address()
					// A rotated-out key still names its member, for display; it is no
					// longer that member's device.
					if m := s.MemberByKey(addr); m != nil && m.Active && s.RotatedKey(addr) == nil {
						extra["roles"] = m.Roles
						extra["member"] = true
					} else {
						extra["member"] = false
					}
					if err := s.MayWrite(addr); err != nil {
						extra["cannot_write"] = strings.TrimPrefix(err.Error(), domain.ErrCannotWrite.Error()+": ")
					}
				}
			}
			return a.printIdentity(asJSON, extra)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) printIdentity(asJSON bool, extra map[string]any) error {
	c, err := a.home.Config()
	if err != nil {
		return err
	}
	en, err := a.home.Enode()
	if err != nil {
		return err
	}
	v := map[string]any{"address": c.Address, "handle": c.Handle, "enode": en, "keystore": a.home.KeyPath(), "roles": []string{}}
	for k, x := range extra {
		v[k] = x
	}
	if asJSON {
		return a.printJSON(v)
	}
	enodeLine := v["enode"]
	if live, ok := v["live"].(bool); ok {
		state := "(from the config: no running node recorded another)"
		if live {
			state = "(a running node listens here)"
		}
		enodeLine = fmt.Sprintf("%s %s", v["enode"], state)
	}
	fmt.Fprintf(a.stdout, "address   %s\nhandle    %s\nenode     %s\nkeystore  %s\n", c.Address, c.Handle, enodeLine, a.home.KeyPath())
	if ws, ok := v["workspace"]; ok {
		fmt.Fprintf(a.stdout, "workspace %s\n", ws)
	}
	if roles, ok := v["roles"].([]string); ok && len(roles) > 0 {
		fmt.Fprintf(a.stdout, "roles     %s\n", strings.Join(roles, ","))
	}
	if why, ok := v["cannot_write"]; ok {
		fmt.Fprintf(a.stdout, "WRITES    refused: %s\n", why)
	}
	return nil
}
