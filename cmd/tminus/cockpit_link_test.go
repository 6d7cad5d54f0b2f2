package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

// linkWait bounds the waits on the link's next look: it looks every few
// milliseconds here, but unlocking a key and starting a node on a loaded
// 2-core box may take seconds.
const linkWait = 30 * time.Second

// serveLike makes a home answer as `tminus serve` does for the cockpit: the
// home's writer on node.sock and its agent on agent.sock, with the key.
func serveLike(t *testing.T, dir string) *workspace.Home {
	t.Helper()
	h := &workspace.Home{Dir: dir}
	if _, err := h.Key(); err != nil {
		t.Fatal(err)
	}
	if w, err := h.Serve(context.Background(), nil); err != nil || !w {
		t.Fatalf("the serve-like home does not write: %v %v", w, err)
	}
	if _, ok := h.AgentServed(); !ok {
		t.Fatal("the serve-like home does not answer as the agent")
	}
	return h
}

// agentCockpit opens the cockpit's backend on dir the way a responder's second
// terminal does while serve runs: it signs through serve's agent and holds no key.
func agentCockpit(t *testing.T, dir string) (*app, *storeBackend) {
	t.Helper()
	a := &app{home: &workspace.Home{Dir: dir, NoPrompt: true}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	t.Cleanup(a.home.Close)
	if _, err := a.home.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.home.HasKey() {
		t.Fatal("the cockpit unlocked the key though serve's agent answered")
	}
	return a, cockpitBackend(t, a)
}

// mustLink starts the cockpit's link as the cockpit does.
func mustLink(t *testing.T, a *app, listen string, b *storeBackend, every time.Duration) *cockpitLink {
	t.Helper()
	l, err := a.startLink(context.Background(), listen, b, every)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// waitProblem polls the backend's SyncProblem until ok holds.
func waitProblem(t *testing.T, b *storeBackend, what string, ok func(short, advice string) bool) (string, string) {
	t.Helper()
	var short, advice string
	for deadline := time.Now().Add(linkWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if short, advice = b.SyncProblem(); ok(short, advice) {
			return short, advice
		}
	}
	t.Fatalf("after %s the cockpit does not say %s: short %q, advice %q", linkWait, what, short, advice)
	return "", ""
}

// noteBody is a cockpit write: a note on incident inc.
func noteBody(t *testing.T, inc, text string) domain.Body {
	t.Helper()
	id, err := domain.ParseID(inc)
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Note{Incident: id, Text: text}
}

// A serve dies under a cockpit that signs through its agent, with no
// passphrase to unlock the key: the header says serve stopped instead of a
// bare offline, the status line what to run, and a write says in one line
// that nothing signs and what to start. A `tminus agent` started in a shell
// then signs the next try: the cockpit dials the agent again rather than
// failing on the dead connection for as long as it runs.
func TestCockpitSaysServeStopped(t *testing.T) {
	alice, inc := newWorkspace(t)
	serve := serveLike(t, alice)
	a, b := agentCockpit(t, alice)
	t.Setenv("TMINUS_PASSPHRASE", "")
	os.Unsetenv("TMINUS_PASSPHRASE") // the responder typed it into serve's prompt
	ctx := context.Background()
	body := noteBody(t, inc, "written through serve")

	l := mustLink(t, a, "127.0.0.1:0", b, 10*time.Millisecond)
	defer l.stop()
	if short, advice := b.SyncProblem(); short != "" || advice != "" {
		t.Fatalf("while serve runs the cockpit says %q / %q", short, advice)
	}
	if _, err := b.Do(ctx, body); err != nil {
		t.Fatalf("a write through serve: %v", err)
	}

	serve.Close()
	short, advice := waitProblem(t, b, "that serve stopped", func(s, _ string) bool { return s != "" })
	if short != "serve stopped · not syncing" {
		t.Errorf("header %q, want it to say serve stopped", short)
	}
	for _, want := range []string{"tminus serve stopped", "nothing syncs or signs", "run tminus serve"} {
		if !strings.Contains(advice, want) {
			t.Errorf("status line %q lacks %q", advice, want)
		}
	}
	if n := len([]rune("✗ " + advice)); n > 80 {
		t.Errorf("status line is %d cells, cut at 80: %q", n, advice)
	}
	if a.home.Writing() || a.home.HasKey() {
		t.Error("the cockpit took over with no key and no passphrase")
	}

	// The first write meets the dead connection, the next finds no agent: both
	// say the same thing, in words, and store nothing.
	before := mustCount(t, b)
	for i := range 2 {
		_, err := b.Do(ctx, body)
		if err == nil {
			t.Fatalf("write %d stored with no agent and no key", i+1)
		}
		var gone agentGoneError
		if !errors.As(err, &gone) || !strings.Contains(err.Error(), `eval "$(tminus agent)"`) || !strings.Contains(err.Error(), "start tminus serve") {
			t.Errorf("write %d fails with %q, want what to start", i+1, err)
		}
		if !errors.Is(err, agent.ErrGone) && !errors.Is(err, workspace.ErrNoPrompt) {
			t.Errorf("write %d: %v wraps neither agent.ErrGone nor workspace.ErrNoPrompt", i+1, err)
		}
	}
	if got := mustCount(t, b); got != before {
		t.Fatalf("%d events stored by failed writes", got-before)
	}

	// eval "$(tminus agent)" in a shell: an agent alone on agent.sock.
	key, err := store.UnlockKey(filepath.Join(alice, "key.json"), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	stopAgent := standaloneAgent(t, alice, key, b.st.Workspace())
	defer stopAgent()
	if _, err := b.Do(ctx, body); err != nil {
		t.Fatalf("the write after tminus agent started: %v", err)
	}
	_, advice = waitProblem(t, b, "that something signs again", func(_, a string) bool { return !strings.Contains(a, "or signs") })
	if !strings.Contains(advice, "run tminus serve") {
		t.Errorf("with an agent and no serve the status line says %q, want serve still asked for", advice)
	}
}

// A serve dies under a cockpit whose passphrase is given without a prompt
// (TMINUS_PASSPHRASE): the cockpit takes over, writing the home for the
// shell's commands, answering as its agent and syncing with its own node, and
// says so once.
func TestCockpitTakesOverFromServe(t *testing.T) {
	alice, inc := newWorkspace(t)
	serve := serveLike(t, alice)
	a, b := agentCockpit(t, alice)
	ctx := context.Background()
	l := mustLink(t, a, "127.0.0.1:0", b, 10*time.Millisecond)
	stopped := false
	defer func() {
		if !stopped {
			l.stop()
		}
	}()

	serve.Close()
	_, advice := waitProblem(t, b, "that it took over", func(s, a string) bool { return s == "" && a != "" })
	if !strings.Contains(advice, "this cockpit syncs the home now") {
		t.Errorf("after the takeover the status line says %q", advice)
	}
	if !a.home.Writing() || !a.home.HasKey() {
		t.Fatalf("took over: writing %v, key %v", a.home.Writing(), a.home.HasKey())
	}
	if path, ok := a.home.AgentServed(); !ok {
		t.Errorf("the cockpit does not answer as the home's agent (%s)", path)
	}
	if _, err := b.Do(ctx, noteBody(t, inc, "after the takeover")); err != nil {
		t.Fatalf("a cockpit write after the takeover: %v", err)
	}
	must(t, alice, "note", inc, "a shell's write through the cockpit")
	l.stop()
	stopped = true
	if l.node == nil {
		t.Fatal("the cockpit runs no node after the takeover")
	}
}

// standaloneAgent answers as the home's agent with key, as `tminus agent` does.
func standaloneAgent(t *testing.T, dir string, key *ecdsa.PrivateKey, ws domain.ID) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	k := agent.NewKeyring(key, agent.KeyringOptions{Workspace: func(context.Context) (domain.ID, error) { return ws, nil }})
	ln, err := agent.Listen(ctx, filepath.Join(dir, "agent.sock"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &agent.Server{Agent: k, UID: os.Getuid()}
	go s.Serve(ctx, ln)
	return func() { cancel(); ln.Close(); s.Close() }
}

func mustCount(t *testing.T, b *storeBackend) int64 {
	t.Helper()
	evs, err := b.st.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A cockpit that holds the key and writes its home, whose node cannot listen
// (another home's serve on the same port), says it does not sync and why,
// where it used to show offline with no reason.
func TestCockpitSaysItsNodeCannotListen(t *testing.T) {
	alice, _ := newWorkspace(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	a := &app{home: &workspace.Home{Dir: alice, NoPrompt: true}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	if _, err := a.home.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := cockpitBackend(t, a)
	l := mustLink(t, a, busy.Addr().String(), b, time.Hour)
	defer l.stop()
	short, advice := b.SyncProblem() // the first look is done before the screen opens
	if short != "not syncing" || !strings.Contains(advice, "cannot sync on "+busy.Addr().String()+": address already in use") {
		t.Errorf("with its port taken the cockpit says %q / %q", short, advice)
	}
	if !a.home.Writing() {
		t.Error("the cockpit does not write its home though nobody else does")
	}
}

// A cockpit that signs through a `tminus agent` with no serve anywhere, and
// no passphrase to unlock the key for a node of its own, says nothing syncs
// and what runs it, from the first frame.
func TestCockpitSaysNoServeRuns(t *testing.T) {
	alice, _ := newWorkspace(t)
	key, err := store.UnlockKey(filepath.Join(alice, "key.json"), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	h := &workspace.Home{Dir: alice}
	st, err := h.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws := st.Workspace()
	h.Close()
	defer standaloneAgent(t, alice, key, ws)()
	t.Setenv("TMINUS_PASSPHRASE", "")
	os.Unsetenv("TMINUS_PASSPHRASE") // a shell after eval "$(tminus agent)"
	a, b := agentCockpit(t, alice)
	l := mustLink(t, a, "127.0.0.1:0", b, time.Hour)
	defer l.stop()
	short, advice := b.SyncProblem()
	if short != "no serve · not syncing" || !strings.Contains(advice, "no tminus serve runs: nothing syncs this home: run tminus serve") {
		t.Errorf("with no serve the cockpit says %q / %q", short, advice)
	}
}

// A home whose node socket cannot be made (its path is over what a unix socket
// takes) keeps the cockpit shut with the reason, as before the link: the screen
// would otherwise open on a cockpit that writes for no one.
func TestCockpitLinkRefusesAnUnwritableHome(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	home := filepath.Join(t.TempDir(), strings.Repeat("h", 110))
	must(t, home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	a := &app{home: &workspace.Home{Dir: home, NoPrompt: true}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	if _, err := a.home.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := cockpitBackend(t, a)
	l, err := a.startLink(context.Background(), "127.0.0.1:0", b, time.Hour)
	if err == nil {
		l.stop()
		t.Fatal("the link started on a home whose node socket cannot be made")
	}
	if !strings.Contains(err.Error(), "use a shorter --home") {
		t.Errorf("error %q does not say what to do", err)
	}
}
