package workspace

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// Append records one body as this home's member (see Write).
func (h *Home) Append(ctx context.Context, body domain.Body) (*domain.Event, error) {
	evs, err := h.Write(ctx, nil, body)
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// Write records blobs, then bodies signed as this home's member, all of the
// bodies or none. While another process writes this home (a serve or a
// cockpit: Serve), the write goes through it, so SQLite sees one writer and
// that node announces the events to its peers at once; otherwise this
// process writes the store itself.
func (h *Home) Write(ctx context.Context, blobs [][]byte, bodies ...domain.Body) ([]*domain.Event, error) {
	if len(bodies) == 0 {
		return nil, errors.New("nothing to write")
	}
	if !h.Writing() {
		if c, err := agent.Dial(h.NodeSock()); err == nil {
			defer c.Close()
			return h.writeVia(ctx, c, blobs, bodies)
		}
	}
	return h.writeLocal(ctx, blobs, bodies)
}

func (h *Home) writeVia(ctx context.Context, c *agent.Client, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	evs, err := c.Write(ctx, blobs, bodies)
	if errors.Is(err, agent.ErrLocked) {
		// The node signs with the home's agent, which was locked: a
		// passphrase given without a prompt unlocks it, as for a signer.
		path, _ := h.AgentSock()
		a, derr := agent.Dial(path)
		if derr != nil {
			return nil, err
		}
		defer a.Close()
		if uerr := h.unlockAgent(ctx, a, path); uerr != nil {
			return nil, uerr
		}
		evs, err = c.Write(ctx, blobs, bodies)
	}
	if errors.Is(err, agent.ErrGone) {
		return nil, fmt.Errorf("%w: the node writing this home (%s) went away mid-write; a write is stored whole or not at all, and tminus log shows whether it landed", err, h.NodeSock())
	}
	return evs, err
}

// writeLocal stores blobs first, so no event names a blob this store lacks.
func (h *Home) writeLocal(ctx context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	st, err := h.Store(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := h.Signer(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		if _, err := st.PutBlob(ctx, b); err != nil {
			return nil, err
		}
	}
	evs, err := st.AppendMany(ctx, signer, bodies)
	if errors.Is(err, agent.ErrGone) {
		h.forgetSigner(signer)
		path, _ := h.AgentSock()
		return nil, fmt.Errorf("%w: the agent on %s went away while it signed; no event of this write was stored: start it again (eval \"$(tminus agent)\") and run the command again", err, path)
	}
	return evs, err
}

// localWriter is the home's writer as the node socket serves it.
type localWriter struct{ h *Home }

func (w localWriter) Write(ctx context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	return w.h.writeLocal(ctx, blobs, bodies)
}

// nodeFetcher hands fetch requests to the fetcher this process's node set.
type nodeFetcher struct{ h *Home }

func (f nodeFetcher) Fetch(ctx context.Context, hashes []string) ([]string, error) {
	f.h.mu.Lock()
	fetch := f.h.fetch
	f.h.mu.Unlock()
	if fetch == nil {
		return hashes, errors.New("the process writing this home runs no node to ask peers")
	}
	return fetch(ctx, hashes)
}

// SetFetch lets the node socket answer fetch requests with f (the running
// devp2p node's Fetch).
func (h *Home) SetFetch(f func(ctx context.Context, hashes []string) ([]string, error)) {
	h.mu.Lock()
	h.fetch = f
	h.mu.Unlock()
}

// ErrNoNode is a home where no process runs a node (serve or a cockpit).
var ErrNoNode = errors.New("no node runs for this home")

// Fetch asks the node running for this home (serve or a cockpit) to get
// blobs from its peers, and returns those still missing. With no node
// running it returns ErrNoNode: the caller may dial peers itself.
func (h *Home) Fetch(ctx context.Context, hashes []string) ([]string, error) {
	if h.Writing() {
		return nodeFetcher{h}.Fetch(ctx, hashes)
	}
	c, err := agent.Dial(h.NodeSock())
	if err != nil {
		return hashes, ErrNoNode
	}
	defer c.Close()
	return c.Fetch(ctx, hashes)
}

// node is what Serve runs: the node socket, and the agent socket when this
// process holds the key.
type node struct {
	listeners []net.Listener
	servers   []*agent.Server
	agentSock string // where this process answers as the home's agent; "" when another does
}

// AgentServed is the socket on which this process answers as the home's
// agent (Serve), and false when it does not: another agent held it already,
// or this process signs through one.
func (h *Home) AgentServed() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node == nil || h.node.agentSock == "" {
		return "", false
	}
	return h.node.agentSock, true
}

// Writing reports whether this process writes its home for others (Serve).
func (h *Home) Writing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.node != nil
}

func (n *node) stop() {
	for _, l := range n.listeners {
		l.Close()
	}
	for _, s := range n.servers {
		s.Close()
	}
}

// Serve makes this process the writer of its home until Close: other
// processes' writes come in on the node socket. When this process holds the
// key, it also answers as the home's agent, unless one already does, so one
// unlock covers the cockpit, serve and every shell command. It reports
// false when another process already writes this home; writes from here
// then go through that one. Call it after Signer, which may prompt. A
// process that did not write may call it again once the writer is gone (the
// cockpit taking over from a serve that stopped); one that writes already
// reports true.
func (h *Home) Serve(ctx context.Context, log io.Writer) (bool, error) {
	if h.Writing() {
		return true, nil
	}
	st, err := h.Store(ctx)
	if err != nil {
		return false, err
	}
	signer, err := h.Signer(ctx)
	if err != nil {
		return false, err
	}
	n := &node{}
	h.mu.Lock()
	key := h.key
	h.mu.Unlock()
	if key != nil {
		path, _ := h.AgentSock()
		if _, err := agent.Probe(ctx, path); err != nil {
			k := agent.NewKeyring(key, agent.KeyringOptions{
				Workspace: func(context.Context) (domain.ID, error) { return st.Workspace(), nil },
				Unlock:    func(p []byte) (*ecdsa.PrivateKey, error) { return store.UnlockKey(h.KeyPath(), p) },
				Log:       log,
			})
			// Lock applies to this process's own writes too. An agent
			// this process signed through is gone (nothing answers).
			h.mu.Lock()
			if h.agent != nil {
				h.agent.Close()
				h.agent = nil
			}
			h.signer = agent.Signer{Agent: k, Addr: signer.Address()}
			h.mu.Unlock()
			if l, err := agent.Listen(ctx, path); err == nil {
				s := &agent.Server{Agent: k, UID: os.Getuid(), Log: log}
				go s.Serve(ctx, l)
				n.listeners, n.servers = append(n.listeners, l), append(n.servers, s)
				n.agentSock = path
			} else if log != nil {
				fmt.Fprintf(log, "agent: not answering on %s: %v\n", path, err)
			}
		}
	}
	l, err := agent.Listen(ctx, h.NodeSock())
	if err != nil {
		n.stop()
		if errors.Is(err, agent.ErrRunning) {
			return false, nil
		}
		return false, err
	}
	s := &agent.Server{Writer: localWriter{h}, Fetcher: nodeFetcher{h}, UID: os.Getuid(), Log: log}
	go s.Serve(ctx, l)
	n.listeners, n.servers = append(n.listeners, l), append(n.servers, s)
	h.mu.Lock()
	h.node = n
	h.mu.Unlock()
	return true, nil
}
