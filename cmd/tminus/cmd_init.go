package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
)

type initOpts struct {
	name, handle string
	roles        []string
	quorum       int
	suggestP1    int
	listen       string
	light        bool
	json         bool
}

func (a *app) initCmd() *cobra.Command {
	var o initOpts
	c := &cobra.Command{
		Use:   "init --name WS --handle H [--role R,...] [--roster-quorum N] [--suggest-p1-at K] [--listen IP:PORT]",
		Short: "Create a key and a new workspace (its genesis event)",
		Args:  exactArgs(0, "no arguments"),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runInit(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.name, "name", "", "workspace name")
	c.Flags().StringVar(&o.handle, "handle", "", "your handle")
	c.Flags().StringSliceVar(&o.roles, "role", []string{"reporter", "triage", "comms", "containment", "recorder"}, "your roles")
	c.Flags().IntVar(&o.quorum, "roster-quorum", 0, "approvals a roster change needs (0: a majority of members)")
	c.Flags().IntVar(&o.suggestP1, "suggest-p1-at", 0, "suggest P1 for a firing alert once this many members' watchers saw it (0: never)")
	c.Flags().StringVar(&o.listen, "listen", "", listenUsage)
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
	if err := checkAdvertised(o.listen); err != nil {
		return usageError{err}
	}
	if err := a.createHome(o.handle, o.light, o.listen); err != nil {
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

// listenUsage is init's and join's --listen: the one address in the
// config serves as where serve listens and as the enode the roster and
// tminus id give teammates, 127.0.0.1:30317 by default, which no other
// machine can dial.
const listenUsage = "IP:PORT this home's node listens on and teammates dial (default 127.0.0.1:30317, this machine only)"

// checkAdvertised checks an init or join --listen ("" keeps the default):
// an IP teammates can dial and a port, since the enode gives it to them.
func checkAdvertised(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: want IP:PORT, the address teammates dial (such as 10.0.0.5:30317)", addr)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return fmt.Errorf("--listen %q: want the IP teammates dial, not a name or an any-address (serve --listen still takes 0.0.0.0:PORT)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--listen %q: port %q: want a number 1..65535", addr, port)
	}
	return nil
}

// createHome makes the key and config.yaml, with listen ("" the default)
// as the node's address.
func (a *app) createHome(handle string, light bool, listen string) error {
	if _, err := a.home.Create(handle, light); err != nil {
		return err
	}
	if listen == "" {
		return nil
	}
	c, err := a.home.Config()
	if err != nil {
		return err
	}
	c.Listen = listen
	return a.home.SaveConfig(c)
}

func (a *app) joinCmd() *cobra.Command {
	var handle, listen string
	var light, asJSON bool
	c := &cobra.Command{
		Use:   "join --handle H [--listen IP:PORT]",
		Short: "Create a key without a workspace; a member adds you, then sync or import brings the workspace",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkAdvertised(listen); err != nil {
				return usageError{err}
			}
			if err := a.createHome(handle, light, listen); err != nil {
				return err
			}
			if _, err := a.home.Store(cmd.Context()); err != nil {
				return err
			}
			return a.printIdentity(asJSON, nil)
		},
	}
	c.Flags().StringVar(&handle, "handle", "", "your handle")
	c.Flags().StringVar(&listen, "listen", "", listenUsage)
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
	v := map[string]any{"address": c.Address, "handle": c.Handle, "enode": en, "keystore": absPath(a.home.KeyPath()), "roles": []string{}}
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
	fmt.Fprintf(a.stdout, "address   %s\nhandle    %s\nenode     %s\nkeystore  %s\n", c.Address, c.Handle, enodeLine, absPath(a.home.KeyPath()))
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

// absPath is path made absolute for printing: a relative --home printed
// paths that meant nothing from another directory or to a script.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
