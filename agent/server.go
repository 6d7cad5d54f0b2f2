package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// Fetcher asks peers for blobs this store lacks and returns those still
// missing.
type Fetcher interface {
	Fetch(ctx context.Context, hashes []string) ([]string, error)
}

// Writer takes a home's writes: blobs stored first, then the bodies signed
// and appended, all in the process that owns the store.
type Writer interface {
	Write(ctx context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error)
}

// Timeouts on a connection: a request must arrive whole within
// frameTimeout of its first byte, and an idle client is let go.
const (
	frameTimeout = 30 * time.Second
	idleTimeout  = 10 * time.Minute
)

// Server answers requests on a socket for an Agent (key requests) and a
// Writer (appends); either may be nil, and its requests are then refused.
type Server struct {
	Agent  Agent
	Writer Writer
	// Fetcher, when set, takes fetch requests (the home's node).
	Fetcher Fetcher
	// UID is the only user whose processes are served (SO_PEERCRED); -1
	// skips the check, for connections that are not unix sockets.
	UID int
	// Log gets one line per refused connection or request.
	Log io.Writer
	// OnStop, when set, makes a Stop request end the serving process.
	OnStop func()

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// Serve accepts connections on l until it is closed.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.ServeConn(ctx, c)
	}
}

// Close ends every open connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
}

func (s *Server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.done {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) logf(format string, a ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, "agent: "+format+"\n", a...)
	}
}

// ServeConn answers one client's requests, in order, until it hangs up.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	if !s.track(c, true) {
		return
	}
	defer s.track(c, false)
	if s.UID >= 0 {
		if err := checkPeer(c, s.UID); err != nil {
			s.logf("refused a connection: %v", err)
			writeFrame(c, replyFail, err.Error())
			return
		}
	}
	for {
		c.SetReadDeadline(time.Now().Add(idleTimeout))
		t, payload, err := readFrame(&firstByte{c: c}, capFor)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.logf("dropped a client: %v", err)
				writeFrame(c, replyFail, err.Error())
			}
			return
		}
		c.SetReadDeadline(time.Time{})
		reply, err := s.handle(ctx, t, payload)
		if err != nil {
			s.logf("refused a request: %v", err)
			if writeFrame(c, replyFail, err.Error()) != nil {
				return
			}
			continue
		}
		if writeFrame(c, replyOK, reply) != nil {
			return
		}
		if t == msgStop && s.OnStop != nil {
			s.OnStop()
		}
	}
}

// firstByte moves a connection's deadline from idle to frameTimeout once a
// request has begun, so a client that sends half a frame is let go soon.
type firstByte struct {
	c       net.Conn
	started bool
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.c.Read(p)
	if n > 0 && !f.started {
		f.started = true
		f.c.SetReadDeadline(time.Now().Add(frameTimeout))
	}
	return n, err
}

func (s *Server) handle(ctx context.Context, t byte, payload []byte) (any, error) {
	switch t {
	case msgStatus:
		if s.Agent == nil {
			return Status{Locked: true, Writer: s.Writer != nil}, nil
		}
		st, err := s.Agent.Status(ctx)
		st.Writer = s.Writer != nil
		return st, err
	case msgSign:
		if s.Agent == nil {
			return nil, errors.New("this socket holds no key")
		}
		var r signReq
		if err := decode(payload, &r); err != nil {
			return nil, err
		}
		sig, err := s.Agent.SignEvent(ctx, r.Header, r.Body)
		return sig, err
	case msgLock:
		if s.Agent == nil {
			return nil, errors.New("this socket holds no key")
		}
		return nil, s.Agent.Lock(ctx)
	case msgUnlock:
		if s.Agent == nil {
			return nil, errors.New("this socket holds no key")
		}
		var r unlockReq
		if err := decode(payload, &r); err != nil {
			return nil, err
		}
		return nil, s.Agent.Unlock(ctx, r.Passphrase)
	case msgAppend:
		if s.Writer == nil {
			return nil, ErrNoWriter
		}
		var r appendReq
		if err := decode(payload, &r); err != nil {
			return nil, err
		}
		bodies, err := decodeBodies(r)
		if err != nil {
			return nil, err
		}
		evs, err := s.Writer.Write(ctx, r.Blobs, bodies)
		if err != nil {
			return nil, err
		}
		out := appendReply{Events: make([][]byte, len(evs))}
		for i, e := range evs {
			out.Events[i] = e.Raw
		}
		return out, nil
	case msgFetch:
		if s.Fetcher == nil {
			return nil, ErrNoWriter
		}
		var r fetchReq
		if err := decode(payload, &r); err != nil {
			return nil, err
		}
		if len(r.Hashes) == 0 || len(r.Hashes) > maxFetch {
			return nil, fmt.Errorf("malformed request: %d hashes to fetch (1 to %d)", len(r.Hashes), maxFetch)
		}
		for _, h := range r.Hashes {
			if !isSHA256(h) {
				return nil, fmt.Errorf("malformed request: %q is not a sha256 in hex", h)
			}
		}
		missing, err := s.Fetcher.Fetch(ctx, r.Hashes)
		return fetchReply{Missing: missing}, err
	case msgStop:
		if s.OnStop == nil {
			return nil, errors.New("this process stops with its own command (serve, cockpit), not by request")
		}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown request type %d", t)
}

func decodeBodies(r appendReq) ([]domain.Body, error) {
	if len(r.Kinds) != len(r.Bodies) || len(r.Bodies) == 0 {
		return nil, fmt.Errorf("malformed request: %d kinds for %d bodies", len(r.Kinds), len(r.Bodies))
	}
	out := make([]domain.Body, len(r.Bodies))
	for i := range r.Bodies {
		b, err := domain.DecodeBody(r.Kinds[i], r.Bodies[i])
		if err != nil {
			return nil, err
		}
		if r.Kinds[i] == domain.KindGenesis {
			return nil, errors.New("a genesis is written by tminus init, not by request")
		}
		out[i] = b
	}
	return out, nil
}

func isSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
