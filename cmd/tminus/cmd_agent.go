package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

func init() { extraCommandFuncs = append(extraCommandFuncs, (*app).agentCmd) }

// inheritEnv tells a background agent that its listener is fd 3 and its key
// arrives on fd 4: the parent checked the socket and unlocked the key, so
// the child never prompts and never races for the path.
const inheritEnv = "TMINUS_AGENT_INHERIT"

type agentOpts struct {
	foreground bool
	ttl        time.Duration
}

func (a *app) agentCmd() *cobra.Command {
	var o agentOpts
	c := &cobra.Command{
		Use:   "agent [--foreground] [--ttl 8h]",
		Short: "Hold the unlocked key for this home's commands: eval \"$(tminus agent)\"",
		Long: `Unlocks the key once and answers signing requests on a unix socket (agent.sock
in the home, or TMINUS_AGENT_SOCK), for every command of this home, and for a jump
host the socket is forwarded to (ssh -R). It signs only well-formed tminus events
of this workspace and key, and logs each one. It prints the shell lines that point
commands at it, goes to the background, and forgets the key after --ttl.`,
		// Subcommands only: "tminus agent nosuch" is a typo, never an agent.
		Args: unknownSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAgent(cmd.Context(), o) },
	}
	c.Flags().BoolVar(&o.foreground, "foreground", false, "stay attached (a tmux pane, tests); log to stderr")
	c.Flags().DurationVar(&o.ttl, "ttl", 8*time.Hour, "forget the key and exit after this long (agent unlock starts it again)")
	c.AddCommand(a.agentStatusCmd(), a.agentLockCmd(), a.agentUnlockCmd(), a.agentStopCmd())
	return c
}

func (a *app) runAgent(ctx context.Context, o agentOpts) error {
	if o.ttl <= 0 {
		return usageError{fmt.Errorf("--ttl %s: must be positive", o.ttl)}
	}
	path, _ := a.home.AgentSock()
	// The eval lines export the path to a shell that will cd: a relative
	// --home (h/z/agent.sock) would stop every write after the first cd.
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("agent socket %s: %w", path, err)
	}
	path = abs
	if os.Getenv(inheritEnv) != "" {
		return a.agentChild(ctx, path, o)
	}
	if _, err := a.home.Config(); err != nil {
		return err
	}
	if st, err := agent.Probe(ctx, path); err == nil {
		if err := a.otherKeysAgent(path, st); err != nil {
			return err
		}
		return fmt.Errorf("%w on %s: use it (export %s=%s), or stop it first (tminus agent stop)", agent.ErrRunning, path, workspace.AgentSockEnv, path)
	}
	key, err := a.home.Key()
	if err != nil {
		return err
	}
	l, err := agent.Listen(ctx, path)
	if err != nil {
		return err
	}
	if o.foreground {
		fmt.Fprint(a.stdout, agentEnv(path, os.Getpid()))
		return a.serveAgent(ctx, l, key, o.ttl, a.stderr)
	}
	ul := l.(*net.UnixListener)
	pid, err := a.spawnAgent(ul, key, o.ttl)
	// The child serves on a duplicate of this listener: closing ours must not
	// unlink the socket file it answers on (Listen set unlink on close).
	ul.SetUnlinkOnClose(err != nil)
	l.Close()
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, agentEnv(path, pid))
	fmt.Fprintf(a.stderr, "tminus agent pid %d holds %s until %s; its log is %s\n", pid,
		crypto.PubkeyToAddress(key.PublicKey).Hex(), time.Now().Add(o.ttl).Format(time.DateTime), a.agentLog())
	return nil
}

// agentEnv is what eval "$(tminus agent)" runs.
func agentEnv(path string, pid int) string {
	return fmt.Sprintf("%s=%s; export %s;\nTMINUS_AGENT_PID=%d; export TMINUS_AGENT_PID;\n",
		workspace.AgentSockEnv, shellQuote(path), workspace.AgentSockEnv, pid)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9/._,:+@%-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (a *app) agentLog() string { return filepath.Join(a.home.Dir, "agent.log") }

// spawnAgent starts this binary again as the background agent, in its own
// session so the shell that ran eval may exit, handing it the bound socket
// and the key over a pipe (never argv or the environment, which other
// processes of the user can read).
func (a *app) spawnAgent(l *net.UnixListener, key *ecdsa.PrivateKey, ttl time.Duration) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	lf, err := l.File()
	if err != nil {
		return 0, err
	}
	defer lf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	logf, err := os.OpenFile(a.agentLog(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		pw.Close()
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "agent", "--foreground", "--home", a.home.Dir, "--ttl", ttl.String())
	cmd.Env = append(withoutSecrets(os.Environ()), inheritEnv+"=1")
	cmd.ExtraFiles = []*os.File{lf, pr}
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return 0, err
	}
	_, werr := pw.Write([]byte(fmt.Sprintf("%x", crypto.FromECDSA(key))))
	pw.Close()
	if werr != nil {
		cmd.Process.Kill()
		return 0, werr
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return pid, nil
}

// secretEnv are the variables that unlock keys. The background agent lives
// for a shift and needs none of them (unlock requests bring their own), and
// its environment is readable in /proc/PID/environ by every process of the
// user: with the passphrase there, key.json was as good as the raw key.
var secretEnv = []string{"TMINUS_PASSPHRASE", SSHPassphraseEnv}

// withoutSecrets is env without the secretEnv variables.
func withoutSecrets(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(secretEnv, name)
	})
}

// agentChild is the background agent: the listener and key its parent made.
func (a *app) agentChild(ctx context.Context, path string, o agentOpts) error {
	os.Unsetenv(inheritEnv)
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return fmt.Errorf("background agent: %w", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	kf := os.NewFile(4, "key")
	hexKey, err := io.ReadAll(io.LimitReader(kf, 128))
	kf.Close()
	if err != nil {
		return err
	}
	key, err := crypto.HexToECDSA(string(hexKey))
	if err != nil {
		return fmt.Errorf("background agent: key from parent: %w", err)
	}
	fmt.Fprintf(a.stderr, "%s tminus agent pid %d on %s\n", time.Now().UTC().Format(time.RFC3339), os.Getpid(), path)
	return a.serveAgent(ctx, l, key, o.ttl, a.stderr)
}

// serveAgent answers on l until ctx ends, a stop request, or the TTL.
// The process lives as long as its key: an unlock starts a new TTL, which
// status reports, so the agent must not exit at the first one's end.
func (a *app) serveAgent(ctx context.Context, l net.Listener, key *ecdsa.PrivateKey, ttl time.Duration, log io.Writer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	k := agent.NewKeyring(key, agent.KeyringOptions{
		Workspace: a.agentWorkspace,
		Unlock:    func(p []byte) (*ecdsa.PrivateKey, error) { return store.UnlockKey(a.home.KeyPath(), p) },
		TTL:       ttl,
		Log:       log,
	})
	s := &agent.Server{Agent: k, UID: os.Getuid(), Log: log, OnStop: func() { cancel(nil) }}
	go func() {
		if k.WaitExpiry(ctx) {
			cancel(errTTL)
		}
	}()
	go func() { <-ctx.Done(); l.Close() }()
	err := s.Serve(ctx, l)
	s.Close()
	k.Lock(context.Background())
	why := "stopped"
	if errors.Is(context.Cause(ctx), errTTL) {
		why = "its ttl ran out"
	}
	fmt.Fprintf(log, "%s tminus agent forgot the key: %s\n", time.Now().UTC().Format(time.RFC3339), why)
	return err
}

// agentWorkspace is the workspace of the agent's home, read again while it
// has none: an agent started before the first sync learns it afterwards.
func (a *app) agentWorkspace(ctx context.Context) (domain.ID, error) {
	st, err := a.home.Store(ctx)
	if err != nil {
		return domain.ID{}, err
	}
	if ws := st.Workspace(); !ws.IsZero() {
		return ws, nil
	}
	fresh, err := store.Open(ctx, a.home.DBPath())
	if err != nil {
		return domain.ID{}, err
	}
	defer fresh.Close()
	return fresh.Workspace(), nil
}

// errTTL ends a background agent whose key's TTL ran out.
var errTTL = errors.New("ttl ran out")

// agentClient connects to this home's agent. When TMINUS_AGENT_SOCK names
// it, the agent must hold this home's key: a shell that ran eval for one
// home keeps the variable, and stop or lock from another home's command
// would otherwise reach the first home's agent.
func (a *app) agentClient(ctx context.Context) (*agent.Client, error) {
	path, explicit := a.home.AgentSock()
	c, err := agent.Dial(path)
	if err != nil {
		return nil, fmt.Errorf("%w: start one with eval \"$(tminus agent)\"", err)
	}
	if !explicit {
		return c, nil
	}
	// An agent whose status fails (its home's store unreadable) is not
	// judged: stop must still reach it.
	if st, err := c.Status(ctx); err == nil {
		if err := a.otherKeysAgent(path, st); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// otherKeysAgent refuses an agent named by TMINUS_AGENT_SOCK that holds
// another key than this home's (another home's agent). A home without a
// config has no key to compare and is not refused.
func (a *app) otherKeysAgent(path string, st agent.Status) error {
	if _, explicit := a.home.AgentSock(); !explicit {
		return nil
	}
	want, err := a.home.Address()
	if err != nil || st.Address == want {
		return nil
	}
	return fmt.Errorf("%s=%s is the agent of another key (%s), not of this home's (%s in %s): unset %s to use this home's own agent (%s), or give that key's --home",
		workspace.AgentSockEnv, path, st.Address.Hex(), want.Hex(), a.home.Dir, workspace.AgentSockEnv, filepath.Join(a.home.Dir, "agent.sock"))
}

func (a *app) agentStatusCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status [--json]",
		Short: "Whether the agent answers, holds the key, and until when",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.agentClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			exp := "when the process holding it exits"
			if st.Expires != 0 {
				exp = ts(int64(st.Expires))
			}
			if st.Locked {
				// No key, nothing to expire: the last unlock's expiry beside
				// "locked" read as a key held until then.
				st.Expires, exp = 0, "- (locked: tminus agent unlock)"
			}
			if asJSON {
				// expires is null when the key is kept until the process exits, or locked.
				return a.printJSON(map[string]any{"locked": st.Locked, "address": st.Address.Hex(), "expires": tsOrNil(int64(st.Expires)),
					"socket": c.Where, "workspace": st.Workspace.String()})
			}
			state := "unlocked"
			if st.Locked {
				state = "locked"
			}
			fmt.Fprintf(a.stdout, "socket   %s\naddress  %s\nkey      %s\nexpires  %s\n", c.Where, st.Address.Hex(), state, exp)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) agentLockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Make the agent forget the key now; writes then fail until tminus agent unlock",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.agentClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Lock(cmd.Context())
		},
	}
}

func (a *app) agentUnlockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock",
		Short: "Give a locked agent the passphrase again",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.agentClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			pass, err := a.home.Passphrase(false)
			if err != nil {
				return err
			}
			return c.Unlock(cmd.Context(), pass)
		},
	}
}

func (a *app) agentStopCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop a background agent (serve and the cockpit stop with their own process)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.agentClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Stop(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "agent on "+c.Where+" stopped")
			return nil
		},
	}
}
