package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tminus-ir/tminus/agent"
	tsync "github.com/tminus-ir/tminus/sync"
	"github.com/tminus-ir/tminus/workspace"
)

// linkEvery is how often the cockpit looks again at who writes and syncs its home:
// a serve that stopped is said, and taken over, within a few seconds.
const linkEvery = 2 * time.Second

// nodeRetryAfter spaces the tries of a cockpit node that did not start.
const nodeRetryAfter = 30 * time.Second

// discardLog silences the cockpit's node: its log would scribble over the screen.
var discardLog = slog.New(slog.DiscardHandler)

// cockpitLink keeps the cockpit's home written and replicated while the screen is
// open. At start, and every linkEvery after, it checks who writes the home (node.sock):
// this process, a serve, or nobody. When the serve the cockpit relied on is gone, the
// cockpit takes over, becoming the home's writer (and its agent) and running its own
// node, if it holds the key or can unlock it without a prompt (TMINUS_PASSPHRASE,
// --passphrase-file); otherwise the screen says what stopped and what to run
// (storeBackend.SyncProblem). Without the check the header read "peers 0/2 · offline"
// for good, and writes failed on the gone serve's agent with no word why.
type cockpitLink struct {
	a      *app
	b      *storeBackend
	listen string

	// Only check touches these, from one goroutine at a time (start, then run).
	node         *tsync.Node
	stopMaintain func()
	nodeErr      error
	nodeRetry    time.Time // a node that did not start is tried again from then
	sawWriter    bool      // another process (a serve) wrote this home: its end is "serve stopped"
	tookOver     bool      // this cockpit became the writer after that process was gone
	keyTried     bool      // the keystore was tried without a prompt since the writer went

	cancel context.CancelFunc
	done   chan struct{}
}

// startLink checks once, as the cockpit opens (it becomes the writer and runs a node
// when nobody else does), then again every linkEvery until stop. A home this process
// cannot write for others (its socket path too long, say) keeps the cockpit shut, as
// before the screen opens the error can still be read.
func (a *app) startLink(ctx context.Context, listen string, b *storeBackend, every time.Duration) (*cockpitLink, error) {
	l := &cockpitLink{a: a, b: b, listen: listen, done: make(chan struct{})}
	if err := l.check(ctx); err != nil {
		return nil, err
	}
	ctx, l.cancel = context.WithCancel(ctx)
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				l.check(ctx) // a failed Serve is tried again on the next look
			}
		}
	}()
	return l, nil
}

// stop ends the checks and the node: call it before the store closes.
func (l *cockpitLink) stop() {
	l.cancel()
	<-l.done
	if l.node != nil {
		l.stopMaintain()
		l.node.Stop()
	}
}

// check is one look at who writes and syncs the home, taking over when nobody does
// and this process can sign; it leaves its finding in the backend. Its error is
// Home.Serve's, when this process could not become the writer.
func (l *cockpitLink) check(ctx context.Context) error {
	h := l.a.home
	var serveErr error
	if !h.Writing() {
		if c, err := agent.Dial(h.NodeSock()); err == nil {
			c.Close()
			l.sawWriter, l.keyTried = true, false
			l.b.setSyncProblem("", "")
			return nil
		}
		// Nobody writes this home: this process does, and with the key (when it
		// holds it or may unlock it) it answers as the agent and runs a node too.
		// After a serve it signed through, only with the key: shell commands
		// writing through a cockpit that cannot sign would fail where, alone,
		// they prompt for the passphrase.
		l.unlockQuietly()
		if h.HasKey() || !l.sawWriter {
			w, err := h.Serve(ctx, nil)
			l.tookOver, serveErr = w && l.sawWriter, err
		}
	}
	if h.Writing() && l.node == nil && h.HasKey() && !time.Now().Before(l.nodeRetry) {
		l.startNode(ctx)
	}
	l.b.setSyncProblem(l.problem())
	return serveErr
}

// unlockQuietly unlocks the keystore when the passphrase is given without a prompt
// (Home.NoPrompt keeps the screen's keys from a password prompt): a cockpit that signed
// through a serve's agent then signs, and syncs, alone. A wrong or missing passphrase
// is tried once per writer gone, not every few seconds (scrypt is slow).
func (l *cockpitLink) unlockQuietly() {
	h := l.a.home
	if h.HasKey() || l.keyTried {
		return
	}
	l.keyTried = true
	h.Key()
}

func (l *cockpitLink) startNode(ctx context.Context) {
	n, err := l.a.cockpitNode(ctx, l.listen, l.b)
	if err != nil {
		// Its port is busy (another home's serve on the default port): tried
		// again, but not every few seconds, as each try sets up a devp2p server.
		l.nodeErr, l.nodeRetry = err, time.Now().Add(nodeRetryAfter)
		return
	}
	l.node, l.nodeErr = n, nil
	l.stopMaintain = maintain(ctx, n)
	l.a.home.SetFetch(func(ctx context.Context, hashes []string) ([]string, error) { return n.Fetch(ctx, hashes, nil) })
}

// problem is what the header says in place of the peer count, and the status line's
// one line of what to do; both "" while this home is written and synced.
func (l *cockpitLink) problem() (short, advice string) {
	h := l.a.home
	switch {
	case l.node != nil && l.tookOver:
		return "", "serve stopped: this cockpit syncs the home now (quit it to run serve again)"
	case l.node != nil:
		return "", ""
	case h.Writing() && h.LiveEnode() != "":
		return "", "" // a serve that started after this cockpit syncs; the cockpit writes
	case h.Writing() && h.HasKey():
		return "not syncing", "this cockpit cannot sync on " + l.listen + ": " + lastPart(l.nodeErr) + "; it tries again"
	}
	what, short := "no tminus serve runs", "no serve · not syncing"
	if l.sawWriter {
		what, short = "tminus serve stopped", "serve stopped · not syncing"
	}
	if path, _ := h.AgentSock(); !h.HasKey() && !agentAnswers(path) {
		return short, what + ": nothing syncs or signs: run tminus serve in a shell"
	}
	return short, what + ": nothing syncs this home: run tminus serve in a shell"
}

// agentAnswers: an agent answers a status request on path.
func agentAnswers(path string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := agent.Probe(ctx, path)
	return err == nil
}

// lastPart is the innermost reason of a wrapped error's text: "address already in
// use" of "start node on ADDR: listen tcp ADDR: bind: address already in use".
func lastPart(err error) string {
	if err == nil {
		return "no reason given"
	}
	s := strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0])
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// syncProblem is the link's finding as the screen reads it (tui.SyncProblem).
type syncProblem struct{ short, advice string }

// linkState is the link's last finding, written by the link's goroutine and read by
// the screen's.
type linkState struct{ p atomic.Pointer[syncProblem] }

func (b *storeBackend) setSyncProblem(short, advice string) {
	b.link.p.Store(&syncProblem{short, advice})
}

// SyncProblem is tui.SyncProblem: "" and "" until the link first looked.
func (b *storeBackend) SyncProblem() (short, advice string) {
	if p := b.link.p.Load(); p != nil {
		return p.short, p.advice
	}
	return "", ""
}

// agentGoneError is a write that failed because nothing signs for this home any
// more, said in one line the cockpit's form shows whole at 80 columns; the
// agent's own error (its socket path twice) is kept for errors.Is.
type agentGoneError struct{ err error }

func (e agentGoneError) Error() string {
	return `nothing signs for this home (its agent, tminus serve's, stopped): start tminus serve, or eval "$(tminus agent)", in a shell, then try again`
}

func (e agentGoneError) Unwrap() error { return e.err }

// signerGone: the write failed because the agent this process signed through went
// away, and no other agent or given passphrase took its place.
func signerGone(err error) bool {
	return errors.Is(err, agent.ErrGone) || errors.Is(err, workspace.ErrNoPrompt) || errors.Is(err, agent.ErrNoAgent)
}
