package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/themes"
	"github.com/tminus-ir/tminus/workspace"

	"github.com/spf13/cobra"
)

func main() {
	// SIGHUP too: an SSH session that drops, or a tmux pane that is killed,
	// must still let the demo remove its workspace and serve mark its peers
	// disconnected.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks wrong usage: exit code 2.
type usageError struct{ error }

// app is what every command shares: the home and where output goes.
type app struct {
	home   *workspace.Home
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	theme  string

	runbooksDir string
	refused     []string    // verify: signed events the fold does not count, and why (identityRefusals)
	folded      *store.View // this command's fold of the store (view)
}

// run executes one command line and returns the exit code, so tests can
// drive the real command tree in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{home: &workspace.Home{}, stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.home.Close()
	return a.run(ctx, args)
}

// run executes one command line with a's home and streams; the home stays
// open for the caller to close (tests look at its store afterwards).
func (a *app) run(ctx context.Context, args []string) int {
	clock, cerr := skewedClock(os.Getenv("TMINUS_CLOCK_SKEW"))
	if cerr != nil {
		fmt.Fprintln(a.stderr, "tminus: "+cerr.Error())
		return 2
	}
	a.home.Clock = clock
	a.home.Warn = a.stderr // config.yaml's unknown keys, on stderr: never in --json stdout
	root := a.commands()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(a.stderr, "tminus: "+safeText(oneLine(err.Error())))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

// skewedClock reads TMINUS_CLOCK_SKEW, a Go duration added to this
// process's clock for the events it signs and the skew it judges ("10m",
// "-10m"). It exists for fault tests (the soak runs one node 10 minutes
// ahead) and drills of a badly set laptop clock; unset, the clock is the
// system's.
func skewedClock(v string) (func() time.Time, error) {
	if v == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return nil, fmt.Errorf("TMINUS_CLOCK_SKEW=%q: want a Go duration such as 10m or -90s", v)
	}
	return func() time.Time { return time.Now().Add(d) }, nil
}

// now is this process's clock, the one its events are signed with
// (TMINUS_CLOCK_SKEW moves it): a check made before signing asks the fold's
// question at the time the event will carry.
func (a *app) now() time.Time {
	if a.home.Clock != nil {
		return a.home.Clock()
	}
	return time.Now()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// isCobraUsage recognises cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least",
		"flag needs an argument", "invalid argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) commands() *cobra.Command {
	root := &cobra.Command{
		Use:           "tminus",
		Short:         "A terminal incident cockpit for teams without a single authority",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.cockpit(cmd.Context())
		},
		// --theme is global: a name that is no theme is wrong usage on any
		// command, said before a cockpit looks for its terminal.
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.theme != "" && !slices.Contains(themes.Names(), a.theme) {
				return usageError{fmt.Errorf("--theme %q: want one of %s", a.theme, strings.Join(themes.Names(), ", "))}
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.home.Dir, "home", workspace.DefaultDir(), "where the key, database and config live (TMINUS_HOME)")
	root.PersistentFlags().StringVar(&a.home.PassFile, "passphrase-file", "", "file holding the keystore passphrase (or TMINUS_PASSPHRASE)")
	root.PersistentFlags().StringVar(&a.theme, "theme", "", "cockpit theme: dark, light, high-contrast, mono (TMINUS_THEME; NO_COLOR forces mono)")
	// The cockpit proposes runbooks too: CLI.md's --runbooks DIR is its flag
	// as well as the runbook commands'.
	root.Flags().StringVar(&a.runbooksDir, "runbooks", "", "directory of team runbooks for the cockpit (TMINUS_RUNBOOKS)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, c := range a.extraCommands() {
		root.AddCommand(c)
	}
	root.AddCommand(
		a.initCmd(), a.joinCmd(), a.idCmd(),
		a.memberCmd(), a.alertCmd(), a.incidentCmd(),
		a.taskCmd(), a.noteCmd(), a.timerCmd(), a.evidenceCmd(),
		a.logCmd(), a.verifyCmd(), a.stateHashCmd(), a.bundleCmd(),
	)
	root.SetHelpCommand(helpCmd(root))
	root.InitDefaultCompletionCmd() // cobra adds it at Execute, too late for guardParents
	guardParents(root)
	return root
}

// guardParents makes every command with subcommands refuse a mistyped one.
// Left to cobra, only the root does: a parent without RunE prints its help
// and exits 0 for "tminus member nosuch", and a parent with RunE and no Args
// runs with "nosuch" as its argument. A bare parent still prints its help.
// A parent that sets its own Args keeps them (it may take arguments besides
// its subcommands); one without them refuses any argument.
func guardParents(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardParents(sub)
	}
	if !c.HasSubCommands() {
		return
	}
	if c.Run == nil && c.RunE == nil {
		// Cobra never checked a non-runnable command's Args: replace them.
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		c.Args = nil
	}
	if c.Args == nil {
		c.Args = unknownSubcommand
	}
}

// unknownSubcommand is the Args of a command whose only arguments are its
// subcommands: any argument left after cobra found none is a mistyped one.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 && !cmd.DisableSuggestions {
		msg += ": did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{fmt.Errorf("%s (%s --help lists its commands)", msg, cmd.CommandPath())}
}

// helpCmd is cobra's help command, except that a topic that names no
// command is wrong usage, exit 2, as the mistyped command itself is
// (cobra prints the root's help and exits 0).
func helpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(_ *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usageError{fmt.Errorf("no help topic %q (tminus --help lists the commands)", strings.Join(args, " "))}
			}
			c.InitDefaultHelpFlag()
			return c.Help()
		},
		// Completes command names, as cobra's own help command does.
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			c, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name()+"\t"+sub.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// extraCommands are registered by other files of this package (cockpit,
// replication, runbooks, drills) so this list stays short.
var extraCommandFuncs []func(*app) *cobra.Command

func (a *app) extraCommands() []*cobra.Command {
	var out []*cobra.Command
	for _, f := range extraCommandFuncs {
		out = append(out, f(a))
	}
	return out
}

// printJSON writes one JSON document.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// created prints what a creating command made: the id alone, or JSON.
func (a *app) created(asJSON bool, id string, extra map[string]any) error {
	if !asJSON {
		fmt.Fprintln(a.stdout, id)
		return nil
	}
	m := map[string]any{"id": id}
	for k, v := range extra {
		m[k] = v
	}
	return a.printJSON(m)
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s: want %s (see %s --help)", cmd.CommandPath(), what, cmd.CommandPath())}
		}
		return nil
	}
}
