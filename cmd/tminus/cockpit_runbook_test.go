package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/tui"
	"github.com/tminus-ir/tminus/workspace"
)

// standIn is a high-risk runbook whose step is harmless: it prints its parameter.
const standIn = `---
id: stand-in-pause
title: Stand-in for a contract pause
when: Tests
severity: [P1]
risk: high
quorum: 2
approvers: [containment, triage]
params:
  target:
    description: What to pretend to pause
    pattern: '^[a-z]+$'
---
# Stand-in

1. Pretend to pause
   ` + "```sh" + `
   echo paused {{target}}
   ` + "```" + `
`

// cockpitWorkspace is alice's home with an incident, bob added as a triage member (his
// key kept here to sign his approval), and a runbooks directory with the stand-in.
type cockpitWorkspace struct {
	home, incident string
	st             *store.Store
	lib            *runbooks.Library
	alice, bob     domain.KeySigner
}

func newCockpitWorkspace(t *testing.T) *cockpitWorkspace {
	t.Helper()
	home, inc := newWorkspace(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stand-in-pause.md"), []byte(standIn), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_RUNBOOKS", dir)
	bobKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bob := domain.KeySigner{Key: bobKey}
	must(t, home, "member", "add", bob.Address().Hex(), "--handle", "bob", "--role", "triage")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	aliceKey, err := store.UnlockKey(filepath.Join(home, "key.json"), []byte(os.Getenv("TMINUS_PASSPHRASE")))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := runbooks.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &cockpitWorkspace{home: home, incident: inc, st: st, lib: lib, alice: domain.KeySigner{Key: aliceKey}, bob: bob}
}

// bobs appends b signed by bob, as bob's own node would, and returns its id.
func (w *cockpitWorkspace) bobs(t *testing.T, b domain.Body) string {
	t.Helper()
	ev, err := w.st.Append(context.Background(), w.bob, b)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID.String()
}

// pauseProposal is a proposal of the stand-in runbook's step 1 on the
// workspace's incident.
func (w *cockpitWorkspace) pauseProposal(t *testing.T) *domain.RunbookPropose {
	t.Helper()
	incID, err := domain.ParseID(w.incident)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := w.lib.Get("stand-in-pause")
	body, err := rb.Proposal(incID, 1, map[string]string{"target": "vault"})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestCockpitProposeApproveExec(t *testing.T) {
	w := newCockpitWorkspace(t)
	ctx := context.Background()
	b, err := newStoreBackend(ctx, workspace.Attach(w.home, w.st, w.alice.Key), "alice", w.lib)
	if err != nil {
		t.Fatal(err)
	}
	incID, err := domain.ParseID(w.incident)
	if err != nil {
		t.Fatal(err)
	}

	// The form's fields come from the runbook: one parameter with its own check.
	var line *tui.RunbookLine
	for i, l := range b.Runbooks() {
		if l.ID == "stand-in-pause" {
			line = &b.Runbooks()[i]
		}
	}
	if line == nil || len(line.Params) != 1 || line.Params[0].Check("; rm -rf /") == nil || line.Params[0].Check("vault") != nil ||
		len(line.Steps) != 1 || line.Steps[0].Params[0] != "target" {
		t.Fatalf("runbook line = %+v", line)
	}
	if _, err := b.Proposal(incID, "stand-in-pause", 1, map[string]string{"target": "; rm -rf /"}); err == nil ||
		!strings.Contains(err.Error(), "does not match") {
		t.Fatalf("a value outside the pattern: %v", err)
	}

	// Propose: the same body the CLI signs.
	body, err := b.Proposal(incID, "stand-in-pause", 1, map[string]string{"target": "vault"})
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := w.lib.Get("stand-in-pause")
	cli, _ := rb.Proposal(incID, 1, map[string]string{"target": "vault"})
	if body.Command != "echo paused 'vault'" || body.CommandHash != cli.CommandHash || body.RunbookHash != rb.ContentHash {
		t.Fatalf("proposal body %+v differs from the CLI's %+v", body, cli)
	}
	id, err := b.Do(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if p := b.State().Proposals[id]; p == nil || len(p.Approvals) != 1 {
		t.Fatalf("proposal after the fold: %+v", p)
	}

	// One approval of two: the gate says so, and Exec refuses without running anything.
	cmd, conds := b.Gate(id)
	if cmd != "echo paused 'vault'" || allOK(conds) || !hasCondition(conds, "1/2 approvals", false) {
		t.Fatalf("gate before quorum: %q %+v", cmd, conds)
	}
	var gate *gateError
	if _, err := b.Exec(ctx, id); !errors.As(err, &gate) || !strings.Contains(err.Error(), "needs 1 more") {
		t.Fatalf("exec before quorum: %v", err)
	}

	// bob approves from his device (his event arrives in the store as from a peer).
	if _, err := w.st.Append(ctx, w.bob, &domain.RunbookApprove{Proposal: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cmd, conds = b.Gate(id)
	if !allOK(conds) || !hasCondition(conds, "2/2 approvals", true) || !hasCondition(conds, "this key's record of the run will count", true) {
		t.Fatalf("gate at quorum: %q %+v", cmd, conds)
	}

	res, err := b.Exec(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.Event.IsZero() || res.OutputSize != int64(len("paused vault\n")) {
		t.Fatalf("exec result %+v", res)
	}
	out, err := w.st.Blob(ctx, res.Output)
	if err != nil || string(out) != "paused vault\n" {
		t.Fatalf("output blob %q, %v", out, err)
	}
	if _, err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	ex := b.State().Proposals[id].Exec
	if ex == nil || ex.By != "alice" || ex.ExitCode != 0 || ex.Output != res.Output || ex.Event != res.Event {
		t.Fatalf("execution in the state: %+v", ex)
	}

	// The CLI's exec goes through the same function: it now finds the proposal executed.
	_, errs, code := tminus(t, w.home, "runbook", "exec", id.String()[:10])
	if code == 0 || !strings.Contains(errs, "may not run here: not executed yet: executed by alice") {
		t.Fatalf("second exec from the CLI: exit %d: %s", code, errs)
	}
}

// TestCockpitExecKeys drives the real cockpit over the store backend with keys: x opens
// the confirmation with the exact command, y runs it in a command, and the result lands
// in the state and the status line.
func TestCockpitExecKeys(t *testing.T) {
	w := newCockpitWorkspace(t)
	ctx := context.Background()
	// Proposed and approved from the CLI; the cockpit only executes.
	id := must(t, w.home, "runbook", "propose", w.incident[:8], "stand-in-pause", "--param", "target=vault")
	propID, err := domain.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Append(ctx, w.bob, &domain.RunbookApprove{Proposal: propID}); err != nil {
		t.Fatal(err)
	}
	b, err := newStoreBackend(ctx, workspace.Attach(w.home, w.st, w.alice.Key), "alice", w.lib)
	if err != nil {
		t.Fatal(err)
	}
	m, drive := drivenScreen(t, ctx, b)
	drive(tea.WindowSizeMsg{Width: 160, Height: 48})
	drive(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("4")})
	drive(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	screen := ansi.Strip(m.View())
	for _, want := range []string{"Execute stand-in-pause step 1 on this machine? It runs exactly:", "$ echo paused 'vault'",
		"ok 2/2 approvals", "ok local runbook file matches the proposal", "y run it here"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the confirmation lacks %q:\n%s", want, screen)
		}
	}
	drive(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	screen = ansi.Strip(m.View())
	if !strings.Contains(screen, "✓ ran stand-in-pause step 1: exit 0 in") || !strings.Contains(screen, "output 13 B kept as evidence") {
		t.Fatalf("no result in the status line:\n%s", screen)
	}
	if ex := b.State().Proposals[propID].Exec; ex == nil || ex.ExitCode != 0 {
		t.Fatalf("execution = %+v", ex)
	}
}

// drivenScreen is the cockpit's screen over b, without colour, and drive, which
// hands it a message and runs what it returns as the program would (runCmds).
func drivenScreen(t *testing.T, ctx context.Context, b tui.Backend) (*tui.Model, func(tea.Msg)) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := tui.New(b, tui.Options{Renderer: r, Context: ctx})
	return m, func(msg tea.Msg) {
		t.Helper()
		_, cmd := m.Update(msg)
		runCmds(t, m, cmd)
	}
}

// runCmds runs what Update returned, feeding messages back, as the program would, except
// the poll and clock ticks, which would re-arm forever.
func runCmds(t *testing.T, m tea.Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("a command did not return within 10s")
		}
		if tn := fmt.Sprintf("%T", msg); tn == "tui.pollMsg" || tn == "tui.clockMsg" {
			continue
		}
		switch msg := msg.(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func allOK(conds []tui.GateCondition) bool {
	for _, c := range conds {
		if !c.OK {
			return false
		}
	}
	return len(conds) > 0
}

func hasCondition(conds []tui.GateCondition, what string, ok bool) bool {
	for _, c := range conds {
		if strings.Contains(c.What, what) && c.OK == ok {
			return true
		}
	}
	return false
}

// A dry run shows the command this machine would run and, when its runbook
// cannot render it (the file is gone), the one the quorum approved: the
// JSON used to say "command": "" and nothing else.
func TestExecDryRunShowsTheApprovedCommand(t *testing.T) {
	w := newCockpitWorkspace(t)
	id := w.bobs(t, w.pauseProposal(t))[:10]
	must(t, w.home, "runbook", "approve", id)
	var dry struct {
		Command, Approved string
		Allowed           bool
		DryRun            bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(must(t, w.home, "runbook", "exec", id, "--dry-run", "--json")), &dry); err != nil {
		t.Fatal(err)
	}
	if dry.Command == "" || dry.Command != dry.Approved || !dry.DryRun {
		t.Fatalf("dry run with the runbook here: %+v", dry)
	}
	approved := dry.Approved
	if err := os.Remove(filepath.Join(os.Getenv("TMINUS_RUNBOOKS"), "stand-in-pause.md")); err != nil {
		t.Fatal(err)
	}
	out, _, code := tminus(t, w.home, "runbook", "exec", id, "--dry-run", "--json")
	if err := json.Unmarshal([]byte(out), &dry); err != nil || code == 0 {
		t.Fatalf("dry run without the runbook: exit %d, %q %v", code, out, err)
	}
	if dry.Command != "" || dry.Approved != approved || dry.Allowed {
		t.Errorf("dry run without the runbook: %+v, want no command, the approved one %q, not allowed", dry, approved)
	}
}

// slowStep is a low-risk runbook whose step leaves a mark, then runs long.
const slowStep = `---
id: slow-step
title: A step that takes its time
when: Tests
severity: [P1]
risk: low
params:
  mark:
    description: A file the step creates first
    pattern: '^[/A-Za-z0-9._-]+$'
---
# Slow

1. Mark, then wait
   ` + "```sh" + `
   echo started; touch {{mark}}; sleep 60
   ` + "```" + `
`

// Ctrl-C during runbook exec used to record nothing: the step had run (its
// mark was made) yet looked unexecuted, and could run a second time. The
// interrupted run is recorded, exit 130, with the output it made.
func TestInterruptedExecIsRecorded(t *testing.T) {
	home, inc := newWorkspace(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "slow-step.md"), []byte(slowStep), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_RUNBOOKS", dir)
	mark := filepath.Join(dir, "mark")
	prop := must(t, home, "runbook", "propose", inc[:8], "slow-step", "--param", "mark="+mark)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the responder presses Ctrl-C once the step is under way
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(mark); err == nil {
				cancel()
				return
			}
		}
	}()
	var out, errb strings.Builder
	code := run(ctx, []string{"--home", home, "runbook", "exec", prop[:10]}, strings.NewReader(""), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "exit 130") || !strings.Contains(errb.String(), "interrupted and killed") ||
		!strings.Contains(out.String(), "started") {
		t.Fatalf("interrupted exec: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if _, errs, code := tminus(t, home, "runbook", "exec", prop[:10]); code == 0 || !strings.Contains(errs, "executed by alice") {
		t.Errorf("a second exec after the interrupted one: exit %d: %s", code, errs)
	}
	var items []struct{ Source, Name string }
	if err := json.Unmarshal([]byte(must(t, home, "evidence", "list", inc[:8], "--json")), &items); err != nil || len(items) != 1 || items[0].Source != "runbook" {
		t.Errorf("the interrupted run's output as evidence: %+v %v", items, err)
	}
}

// An expectation reached after its deadline, while the drill still runs, is
// LATE on the score card with when and by whom; it used to stay MISSED and
// "not reached" though the retro showed who did it.
func TestDrillScoresLate(t *testing.T) {
	w := newCockpitWorkspace(t)
	file := writeScenario(t, `name: Late ack
severity: P2
injects:
  - at: 0s
    alert: {title: "Late alert", fingerprint: late-1}
expect:
  - what: acknowledged
    within: 1s
  - what: resolved
    within: 40m
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb strings.Builder
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--home", w.home, "drill", "run", file, "--speed", "600", "--json"}, strings.NewReader(""), &out, &errb)
	}()
	var alert domain.ID
	for alert.IsZero() && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		st, err := w.st.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range st.Alerts {
			if inc := st.Incidents[al.Incident]; inc != nil && inc.Drill && time.Since(time.UnixMilli(inc.DeclaredAt)) > time.Second {
				alert = al.ID // past the scaled 1 s deadline and its grace
			}
		}
	}
	w.bobs(t, &domain.AlertAck{Alert: alert}) // bob, a responder, acknowledges late
	if code := <-done; code != 0 {
		t.Fatalf("drill run: exit %d: %s", code, errb.String())
	}
	var card struct {
		Expectations []struct {
			What   string
			Met    bool
			AfterS *float64 `json:"after_s"`
			By     string
		}
	}
	if err := json.Unmarshal([]byte(out.String()), &card); err != nil {
		t.Fatal(err)
	}
	ack := card.Expectations[0]
	if ack.Met || ack.AfterS == nil || ack.By != "bob" || !strings.Contains(errb.String(), "LATE acknowledged") {
		t.Errorf("late ack on the card: %+v; progress:\n%s", ack, errb.String())
	}
}
