package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
)

func init() {
	extraCommandFuncs = append(extraCommandFuncs, (*app).runbookCmd)
}

// library is loadLibrary for the commands that use runbooks (and the cockpit): a broken
// file in the team's directory is reported on stderr and left out, with any runbook it
// may have meant to override (runbooks.Load), rather than keep the cockpit closed or an
// approved step of another runbook from running. runbook list, the check a team runs on
// its directory, fails on it instead.
func (a *app) library() (*runbooks.Library, error) {
	lib, err := a.loadLibrary()
	if err != nil && lib != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(a.textErr(), "tminus: warning: runbook left out: %s\n", line)
		}
		return lib, nil
	}
	return lib, err
}

// loadLibrary loads the embedded runbooks plus --runbooks / TMINUS_RUNBOOKS /
// the config's directory.
func (a *app) loadLibrary() (*runbooks.Library, error) {
	dir, from := a.runbooksDir, "--runbooks"
	if dir == "" {
		dir, from = os.Getenv("TMINUS_RUNBOOKS"), "TMINUS_RUNBOOKS"
	}
	if dir == "" {
		if c, err := a.home.Config(); err == nil {
			dir, from = c.Runbooks, "runbooks: in "+a.home.ConfigPath()
		}
	}
	lib, err := runbooks.Load(dir)
	if lib == nil && err != nil && dir != "" {
		// The directory itself: say which setting named it, so the
		// responder knows what to fix.
		return nil, fmt.Errorf("%w (named by %s): fix the path, or leave it unset for the embedded runbooks only", err, from)
	}
	return lib, err
}

func (a *app) runbookCmd() *cobra.Command {
	c := &cobra.Command{Use: "runbook", Short: "Runbook one-liners: list, show, propose, approve, exec"}
	c.PersistentFlags().StringVar(&a.runbooksDir, "runbooks", "", "directory of team runbooks (TMINUS_RUNBOOKS)")
	var lJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the runbooks available on this machine",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lib, err := a.loadLibrary()
			if err != nil {
				return err
			}
			out := []runbookView{}
			for _, r := range lib.List() {
				out = append(out, viewRunbook(r))
			}
			if lJSON {
				return a.printJSON(out)
			}
			w := newTable(a.text())
			fmt.Fprintln(w, "ID\tRISK\tQUORUM\tSEVERITY\tTITLE")
			for _, r := range out {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", r.ID, r.Risk, r.Quorum, strings.Join(r.Severity, ","), r.Title)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&lJSON, "json", false, "print JSON")
	var sJSON bool
	show := &cobra.Command{
		Use:   "show RUNBOOK [--json]",
		Short: "Show a runbook's steps and parameters",
		Args:  exactArgs(1, "a runbook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := a.library()
			if err != nil {
				return err
			}
			r, ok := lib.Get(args[0])
			if !ok {
				return fmt.Errorf("runbook %s not found (tminus runbook list shows ids)", args[0])
			}
			if sJSON {
				return a.printJSON(viewRunbookDetail(r))
			}
			w := a.text()
			fmt.Fprintf(w, "%s — %s\nwhen: %s\nrisk: %s", r.ID, r.Title, r.When, r.Risk)
			if r.Risk == runbooks.RiskHigh {
				fmt.Fprintf(w, ", quorum %d of %s", r.Quorum, strings.Join(r.Approvers, "/"))
			}
			fmt.Fprintf(w, "\nsha256: %s (%s)\n", r.ContentHash, r.Source)
			for _, p := range r.Params {
				fmt.Fprintf(w, "param %s: %s (pattern %s)\n", p.Name, p.Description, p.Pattern)
			}
			if sf := r.Safe; sf != nil {
				fmt.Fprintf(w, "\nsafe: %s(%s) to %s from Safe %s on chain %s, value %s, %s (tminus safe propose)\n",
					strings.SplitN(sf.Function, "(", 2)[0], strings.Join(sf.Args, ", "), sf.To, sf.Address, sf.ChainID, sf.Value, sf.Operation)
			}
			for _, s := range r.Steps {
				fmt.Fprintf(w, "\n%d. %s\n   %s\n", s.Number, s.Title, s.Command)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&sJSON, "json", false, "print JSON")
	var step int
	var params []string
	var pJSON bool
	propose := &cobra.Command{
		Use:   "propose INCIDENT RUNBOOK [--step N] [--param k=v]...",
		Short: "Propose a runbook step for an incident; approvals sign its exact command",
		Args:  exactArgs(2, "the incident id and a runbook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := a.library()
			if err != nil {
				return err
			}
			r, ok := lib.Get(args[1])
			if !ok {
				return fmt.Errorf("runbook %s not found (tminus runbook list shows ids)", args[1])
			}
			kv, err := parseParams(params)
			if err != nil {
				return err
			}
			id, err := a.incidentID(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if step < 1 || step > len(r.Steps) {
				return usageError{fmt.Errorf("--step %d: %s has steps 1..%d", step, r.ID, len(r.Steps))}
			}
			body, err := r.Proposal(id, step, kv)
			if err != nil {
				return usageError{err} // a --param missing, unknown or not matching its pattern
			}
			ev, err := a.gated(cmd.Context(), body)
			if err != nil {
				return err
			}
			return a.created(pJSON, ev.ID.String(), map[string]any{"command": body.Command, "risk": body.Risk, "quorum": body.Quorum})
		},
	}
	propose.Flags().IntVar(&step, "step", 1, "step number")
	propose.Flags().StringArrayVar(&params, "param", nil, "k=v parameter (repeatable)")
	propose.Flags().BoolVar(&pJSON, "json", false, "print JSON")
	var aJSON bool
	approve := &cobra.Command{
		Use:   "approve PROPOSAL",
		Short: "Approve a proposal: your signature covers its exact command",
		Args:  exactArgs(1, "the proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolve(cmd.Context(), args[0], "runbook proposal", "tminus incident show INCIDENT", domain.KindRunbookPropose)
			if err != nil {
				return err
			}
			// The fold's refusal of a low-risk one names a role gate with no roles in it
			// ("needs "), which reads as if the responder lacked a role.
			if s, err := a.state(cmd.Context()); err == nil {
				if p := s.Proposals[id]; p != nil && p.Exec == nil && p.Risk != domain.RiskHigh {
					return fmt.Errorf("%s step %d is low risk: it needs no approvals; tminus runbook exec %s runs it",
						p.Runbook, p.Step, id.Short())
				}
				if err := a.approvedAlready(s, id); err != nil {
					return err
				}
			}
			ev, err := a.gated(cmd.Context(), &domain.RunbookApprove{Proposal: id})
			if err != nil {
				return err
			}
			s, err := a.state(cmd.Context())
			if err != nil {
				return err
			}
			p := s.Proposals[id]
			return a.created(aJSON, ev.ID.String(), map[string]any{"approvals": s.CountingRunbookApprovals(p), "quorum": p.Quorum, "command": p.Command})
		},
	}
	approve.Flags().BoolVar(&aJSON, "json", false, "print JSON")
	var dry, eJSON bool
	var timeout time.Duration
	exec := &cobra.Command{
		Use:   "exec PROPOSAL [--dry-run]",
		Short: "Run an approved proposal here, and sign its exit code and output hash",
		Args:  exactArgs(1, "the proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkExecTimeout(timeout); err != nil {
				return err
			}
			return a.runExec(cmd.Context(), args[0], dry, eJSON, timeout)
		},
	}
	exec.Flags().BoolVar(&dry, "dry-run", false, "show the command and the gate without running")
	exec.Flags().BoolVar(&eJSON, "json", false, "print JSON")
	exec.Flags().DurationVar(&timeout, "timeout", runbooks.DefaultTimeout, "kill the command after this long (a positive duration: 30s, 15m, 1h)")
	c.AddCommand(list, show, propose, approve, exec)
	return c
}

// approvedAlready refuses a second approval by this home's member, saying
// where the proposal stands. The fold's "alice already approved" read as a
// mistake to the proposer, whose proposal is their approval: they had never
// run approve.
func (a *app) approvedAlready(s *domain.State, id domain.ID) error {
	addr, err := a.home.Address()
	if err != nil {
		return nil // the gate says what is wrong with the key
	}
	me, ok := s.Keys[addr]
	p := s.Proposals[id]
	if !ok || p == nil || p.Exec != nil || !slices.Contains(p.Approvals, me) {
		return nil
	}
	did := "already approved " + id.Short()
	if p.By == me {
		did = "proposed " + id.Short() + ", and a proposal counts as its proposer's approval"
	}
	n := s.CountingRunbookApprovals(p)
	next := fmt.Sprintf("the quorum is met: tminus runbook exec %s runs it", id.Short())
	if n < p.Quorum {
		next = fmt.Sprintf("it needs %d more from another member (%s), who runs tminus runbook approve %s", p.Quorum-n, strings.Join(p.Approvers, " or "), id.Short())
	}
	return fmt.Errorf("%s %s: %d of %d approvals; %s", me, did, n, p.Quorum, next)
}

// parseParams reads repeated --param k=v flags. A name given twice with
// two values is refused rather than the last taken: the approvers sign the
// rendered command, and the proposer should not learn which value won from it.
func parseParams(flags []string) (map[string]string, error) {
	kv, err := parseKV("param", "name=value (tminus runbook show RUNBOOK lists its params)", flags)
	if kv == nil && err == nil {
		kv = map[string]string{}
	}
	return kv, err
}

// parseKV reads the repeated --flag k=v values, nil for none. A key given
// twice with two values is wrong usage: the last would win silently, and
// the responder meant one of them.
func parseKV(flag, want string, values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	kv := map[string]string{}
	for _, p := range values {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--%s %q: want %s", flag, p, want)}
		}
		if old, dup := kv[k]; dup && old != v {
			return nil, usageError{fmt.Errorf("--%s %s given twice, as %q and %q: give it once", flag, k, old, v)}
		}
		kv[k] = v
	}
	return kv, nil
}

// checkExecTimeout refuses a --timeout that bounds nothing. 0 once meant the
// default, 5 minutes, unsaid: a responder who typed it for "no limit" had a
// long step killed halfway, the proposal spent. There is no unbounded run (a
// hung ssh would hold the terminal for good); a long step names its bound.
func checkExecTimeout(d time.Duration) error {
	if d <= 0 {
		return usageError{fmt.Errorf("--timeout %s: want a positive duration, such as 30s, 15m or 2h (without the flag a step is killed after %s; there is no unbounded run)",
			d, runbooks.DefaultTimeout)}
	}
	return nil
}

func (a *app) runExec(ctx context.Context, ref string, dry, asJSON bool, timeout time.Duration) error {
	id, err := a.resolve(ctx, ref, "runbook proposal", "tminus incident show INCIDENT", domain.KindRunbookPropose)
	if err != nil {
		return err
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	addr, err := a.home.Address()
	if err != nil {
		return err
	}
	r, err := execProposal(ctx, a.state, lib, addr, id, execOptions{dryRun: dry, timeout: timeout}, a.gated)
	var gate *gateError
	if r != nil && (dry || errors.As(err, &gate)) {
		// command is what this machine would run (empty when its runbook
		// cannot render it); approved is what the quorum signed.
		if asJSON {
			a.printJSON(map[string]any{"command": r.command, "approved": r.proposal.Command, "conditions": r.conds,
				"allowed": r.allowed, "dry_run": dry})
		} else {
			w := a.text()
			fmt.Fprintf(w, "command: %s\n", r.command)
			if r.command != r.proposal.Command {
				fmt.Fprintf(w, "approved: %s\n", r.proposal.Command)
			}
			for _, c := range r.conds {
				line := "  ok  " + c.What
				if !c.OK {
					line = "  NO  " + c.What
				}
				if c.Why != "" {
					line += ": " + c.Why
				}
				fmt.Fprintln(w, line)
			}
		}
	}
	if err != nil || dry {
		return err
	}
	res := r.result
	if asJSON {
		// The same exit status as without --json: a failed run is an error
		// after its JSON, as verify --json does.
		if err := a.printJSON(map[string]any{"id": r.event.String(), "exit_code": res.ExitCode, "duration_ms": res.Duration.Milliseconds(),
			"output": r.output, "truncated": res.Truncated, "timed_out": res.TimedOut}); err != nil {
			return err
		}
		return execFailed(res)
	}
	// The output is whatever the host it ran against printed (ps on a compromised host
	// lists the attacker's process names): controls are shown inert, as in all of the CLI's
	// text; evidence get gives the exact bytes.
	a.text().Write(r.recorded)
	fmt.Fprintf(a.stderr, "exit %d in %s; output sha256 %s recorded as %s\n", res.ExitCode, res.Duration.Round(time.Millisecond), r.output[:12], r.event.Short())
	return execFailed(res)
}

// execFailed is the error of a recorded run that did not succeed, nil for one that did.
func execFailed(res runbooks.ExecResult) error {
	switch {
	case res.TimedOut:
		return fmt.Errorf("the command timed out and was killed (exit %d, recorded): this proposal is spent; propose the step again to rerun it", res.ExitCode)
	case res.ExitCode == runbooks.InterruptedExitCode && res.Err != nil:
		return fmt.Errorf("the command was interrupted and killed (exit %d, recorded): this proposal is spent; propose the step again to rerun it", res.ExitCode)
	case res.ExitCode == 126 || res.ExitCode == 127:
		// The shell's codes for a missing or unusable program: the machine needs fixing, not the step.
		return fmt.Errorf("the command exited %d (recorded): a program it calls was not found on PATH or is not executable "+
			"(its output says which, and on which host); this proposal is spent; propose the step again to rerun it", res.ExitCode)
	case res.ExitCode != 0:
		return fmt.Errorf("the command exited %d (recorded): this proposal is spent; propose the step again to rerun it", res.ExitCode)
	}
	return nil
}

type execOptions struct {
	dryRun  bool
	timeout time.Duration // 0: runbooks.DefaultTimeout
}

// execution is what execProposal found and did.
type execution struct {
	proposal *domain.Proposal
	command  string // the re-rendered command, the one that runs
	conds    []runbooks.Condition
	allowed  bool
	// Set once the command ran:
	result   runbooks.ExecResult
	recorded []byte // the output as stored, with tminus's note when it could not finish
	output   string // sha256 of recorded, the blob's hash
	event    domain.ID
}

// gateError: a condition of the execution gate does not hold.
type gateError struct {
	id    domain.ID
	conds []runbooks.Condition
}

// Error names every condition that does not hold, not only the first: "needs 1 more"
// alone sent the responder after an approval that could not help when the runbook file
// had changed too.
func (e *gateError) Error() string {
	var whys []string
	for _, c := range e.conds {
		if !c.OK {
			why := c.What
			if c.Why != "" {
				why += ": " + c.Why
			}
			whys = append(whys, why)
		}
	}
	if len(whys) == 0 {
		return fmt.Sprintf("proposal %s may not run here: the gate is not met", e.id.Short())
	}
	return fmt.Sprintf("proposal %s may not run here: %s", e.id.Short(), strings.Join(whys, "; "))
}

// execProposal is `tminus runbook exec` and the cockpit's x, one code path: read the state
// now from fold (the cockpit folds the store afresh, the CLI asks its command's view),
// check the gate for the member holding addr, run the command on this machine,
// and have sign store its output as an evidence blob and sign a runbook.exec naming it
// (sign reports the fold's verdict). With dryRun it stops after the gate. A gate that does not hold is a
// *gateError, with the execution still describing the command and the conditions.
func execProposal(ctx context.Context, fold func(context.Context) (*domain.State, error), lib *runbooks.Library, addr common.Address,
	id domain.ID, o execOptions, sign func(context.Context, domain.Body, ...[]byte) (*domain.Event, error)) (*execution, error) {
	s, err := fold(ctx)
	if err != nil {
		return nil, err
	}
	p, ok := s.Proposals[id]
	if !ok {
		return nil, fmt.Errorf("proposal %s was refused by the fold (tminus log shows why)", id.Short())
	}
	x := &execution{proposal: p}
	x.command, x.conds = runbooks.GateKey(s, p, lib, addr)
	x.allowed = runbooks.Allowed(x.conds)
	if !x.allowed {
		return x, &gateError{id: id, conds: x.conds}
	}
	if o.dryRun {
		return x, nil
	}
	// One run of a proposal on this machine at a time, and none after it is recorded: a
	// second tminus that folded before the first recorded its run would run it again.
	release, busy := runbooks.LockRun(id.String())
	if busy {
		return x, fmt.Errorf("proposal %s is running on this machine already (another tminus): its record will follow", id.Short())
	}
	defer release()
	if s, err = fold(ctx); err != nil {
		return x, err
	}
	if p := s.Proposals[id]; p != nil && p.Exec != nil {
		return x, fmt.Errorf("proposal %s ran meanwhile, by %s (exit %d): propose the step again to rerun it", id.Short(), p.Exec.By, p.Exec.ExitCode)
	}
	// The responder's environment, less what unlocks keys: a step that prints its
	// environment would otherwise keep the passphrase in an evidence blob every peer holds.
	x.result = runbooks.Exec(ctx, x.command, runbooks.ExecOptions{Timeout: o.timeout, Env: withoutSecrets(os.Environ())})
	x.recorded = x.result.Output
	if x.result.Err != nil && !x.result.TimedOut {
		x.recorded = append(x.recorded, []byte("\ntminus: "+x.result.Err.Error()+"\n")...)
	}
	sum := sha256.Sum256(x.recorded)
	x.output = hex.EncodeToString(sum[:])
	body := &domain.RunbookExec{Proposal: id, ExitCode: x.result.ExitCode, DurationMs: x.result.Duration.Milliseconds(),
		Output: x.output, OutputSize: int64(len(x.recorded)), Truncated: x.result.Truncated, TimedOut: x.result.TimedOut}
	// The command ran, whole or in part, and its effects are out there: the
	// record lands even when the user interrupted it (Ctrl-C cancels ctx), or
	// the approved step would look unexecuted and could run a second time.
	ev, err := sign(context.WithoutCancel(ctx), body, x.recorded)
	if err != nil {
		return x, err
	}
	x.event = ev.ID
	return x, nil
}
