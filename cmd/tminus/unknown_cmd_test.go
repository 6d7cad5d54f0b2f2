package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/workspace"
)

// A mistyped subcommand is wrong usage under every parent: exit 2 and one
// line on stderr naming it and where the help is, never a silent help
// page with exit 0, and never the parent's own action (tminus agent nosuch
// must not start an agent).
func TestMistypedSubcommand(t *testing.T) {
	home, _ := newWorkspace(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch" for "tminus" (tminus --help lists its commands)`},
		{[]string{"member", "nosuch"}, `unknown command "nosuch" for "tminus member" (tminus member --help lists its commands)`},
		{[]string{"member", "lst"}, `unknown command "lst" for "tminus member": did you mean list? (tminus member --help lists its commands)`},
		{[]string{"alert", "nosuch"}, `unknown command "nosuch" for "tminus alert"`},
		{[]string{"incident", "nosuch", "--title", "x"}, `unknown flag: --title`}, // flags are parsed first
		{[]string{"incident", "shw", "abcdef"}, `unknown command "shw" for "tminus incident": did you mean show?`},
		{[]string{"task", "nosuch"}, `unknown command "nosuch" for "tminus task"`},
		{[]string{"timer", "nosuch"}, `unknown command "nosuch" for "tminus timer"`},
		{[]string{"evidence", "nosuch"}, `unknown command "nosuch" for "tminus evidence"`},
		{[]string{"runbook", "nosuch", "extra"}, `unknown command "nosuch" for "tminus runbook"`},
		{[]string{"peer", "nosuch"}, `unknown command "nosuch" for "tminus peer"`},
		{[]string{"bundle", "nosuch"}, `unknown command "nosuch" for "tminus bundle"`},
		{[]string{"drill", "nosuch"}, `unknown command "nosuch" for "tminus drill"`},
		{[]string{"agent", "nosuch"}, `unknown command "nosuch" for "tminus agent" (tminus agent --help lists its commands)`},
		{[]string{"agent", "--foreground", "nosuch"}, `unknown command "nosuch" for "tminus agent"`},
		{[]string{"incdent", "list"}, `unknown command "incdent" for "tminus": did you mean incident?`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errs, code := tminus(t, home, c.args...)
			if code != 2 || out != "" || strings.Contains(errs, "\n") || !strings.HasPrefix(errs, "tminus: ") || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, one line with %q", code, out, errs, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(home, "agent.sock")); err == nil {
		t.Error("tminus agent with a mistyped subcommand started an agent")
	}
}

// Every command with subcommands, those added later included, refuses a
// mistyped one; a bare parent prints its help and exits 0; a valid
// subcommand still runs.
func TestEveryParentRefusesUnknownSubcommand(t *testing.T) {
	home, _ := newWorkspace(t)
	var parents [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.HasSubCommands() {
			parents = append(parents, path)
		}
		for _, s := range c.Commands() {
			walk(s, append(append([]string{}, path...), s.Name()))
		}
	}
	walk((&app{home: &workspace.Home{}}).commands(), nil)
	if len(parents) < 8 {
		t.Fatalf("found only %d parent commands: %v", len(parents), parents)
	}
	for _, p := range parents {
		name := strings.TrimSpace("tminus " + strings.Join(p, " "))
		t.Run(name, func(t *testing.T) {
			out, errs, code := tminus(t, home, append(append([]string{}, p...), "zz-nosuch")...)
			// A parent that sets its own Args (it takes arguments besides its
			// subcommands) words its refusal itself.
			want := `unknown command "zz-nosuch" for "` + name + `" (` + name + ` --help lists its commands)`
			if !strings.Contains(errs, want) {
				want = "zz-nosuch"
			}
			if code != 2 || out != "" || !strings.HasPrefix(errs, "tminus: ") || strings.Contains(errs, "\n") || !strings.Contains(errs, want) {
				t.Errorf("mistyped: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errs, want)
			}
			if len(p) == 0 || p[0] == "agent" {
				return // bare, these run: the cockpit, an agent
			}
			out, errs, code = tminus(t, home, p...)
			if code != 0 || errs != "" || !strings.Contains(out, "Available Commands:") || !strings.Contains(out, name+" [command] --help") {
				t.Errorf("bare: exit %d, stderr %q, stdout:\n%s\nwant its help and exit 0", code, errs, out)
			}
		})
	}
	if out := must(t, home, "member", "list"); !strings.Contains(out, "alice") {
		t.Errorf("member list: %q", out)
	}
	if out := must(t, home, "member", "--help"); !strings.Contains(out, "Available Commands:") {
		t.Errorf("member --help: %q", out)
	}
}
