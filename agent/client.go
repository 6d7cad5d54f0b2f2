package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
)

// Client talks to an agent or a home's writer over one connection. Its
// requests are serialised: one in flight at a time.
type Client struct {
	mu   sync.Mutex
	conn net.Conn
	// Where names the socket in errors.
	Where string
}

// NewClient uses an open connection (a unix socket, or net.Pipe in tests).
func NewClient(conn net.Conn, where string) *Client { return &Client{conn: conn, Where: where} }

// defaultTimeout bounds a request whose context has no deadline: a signer
// that hangs must not hang a command.
const defaultTimeout = 30 * time.Second

// ErrGone is a connection that closed before the reply: the agent exited
// or was killed mid-request.
var ErrGone = errors.New("the agent closed the connection before it answered")

func (c *Client) call(ctx context.Context, t byte, req any, reply any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultTimeout)
	}
	c.conn.SetDeadline(deadline)
	if err := writeFrame(c.conn, t, req); err != nil {
		// A server that refuses the connection (another uid) replies and
		// hangs up before it reads the request, so the write can fail with
		// its reason already waiting to be read.
		if rt, payload, rerr := readFrame(c.conn, func(byte) int { return MaxReply }); rerr == nil && rt == replyFail {
			var msg string
			if rlp.DecodeBytes(payload, &msg) == nil {
				return remoteError(msg)
			}
		}
		return fmt.Errorf("%s: %w (%v)", c.Where, ErrGone, err)
	}
	rt, payload, err := readFrame(c.conn, func(byte) int { return MaxReply })
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s: no answer within %s", c.Where, time.Until(deadline).Round(time.Second))
		}
		return fmt.Errorf("%s: %w (%v)", c.Where, ErrGone, err)
	}
	switch rt {
	case replyFail:
		var msg string
		if err := rlp.DecodeBytes(payload, &msg); err != nil {
			return fmt.Errorf("%s: malformed error reply", c.Where)
		}
		return remoteError(msg)
	case replyOK:
		if reply == nil {
			return nil
		}
		if err := rlp.DecodeBytes(payload, reply); err != nil {
			return fmt.Errorf("%s: malformed reply: %w", c.Where, err)
		}
		return nil
	}
	return fmt.Errorf("%s: unknown reply type %d", c.Where, rt)
}

// remoteError is an error the other side reported; the sentinels that
// callers test for survive the trip, wherever the far side wrapped them (a
// writer's "sign: the agent is locked" must still read as ErrLocked, or a
// home's Write cannot unlock the agent and retry).
func remoteError(msg string) error {
	for _, e := range []error{ErrLocked, ErrNoWriter, domain.ErrNotAnEvent} {
		if i := strings.Index(msg, e.Error()); i >= 0 {
			return fmt.Errorf("%s%w%s", msg[:i], e, msg[i+len(e.Error()):])
		}
	}
	return errors.New(msg)
}

func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.call(ctx, msgStatus, nil, &st)
	return st, err
}

func (c *Client) SignEvent(ctx context.Context, header, body []byte) ([]byte, error) {
	var sig []byte
	if err := c.call(ctx, msgSign, &signReq{Header: header, Body: body}, &sig); err != nil {
		return nil, err
	}
	if len(sig) != 65 {
		return nil, fmt.Errorf("%s: signature of %d bytes", c.Where, len(sig))
	}
	return sig, nil
}

func (c *Client) Lock(ctx context.Context) error { return c.call(ctx, msgLock, nil, nil) }

func (c *Client) Unlock(ctx context.Context, passphrase []byte) error {
	return c.call(ctx, msgUnlock, &unlockReq{Passphrase: passphrase}, nil)
}

// Stop asks a standalone agent to forget its key and exit.
func (c *Client) Stop(ctx context.Context) error { return c.call(ctx, msgStop, nil, nil) }

// Write hands blobs and bodies to the home's writer, which signs, stores
// and announces them; it returns the stored events.
func (c *Client) Write(ctx context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	req := appendReq{Blobs: blobs}
	for _, b := range bodies {
		data, err := domain.EncodeBody(b)
		if err != nil {
			return nil, err
		}
		req.Kinds = append(req.Kinds, b.Kind())
		req.Bodies = append(req.Bodies, data)
	}
	var r appendReply
	if err := c.call(ctx, msgAppend, &req, &r); err != nil {
		return nil, err
	}
	if len(r.Events) != len(bodies) {
		return nil, fmt.Errorf("%s: %d events stored for %d writes", c.Where, len(r.Events), len(bodies))
	}
	out := make([]*domain.Event, len(r.Events))
	for i, raw := range r.Events {
		e, err := domain.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: stored event: %w", c.Where, err)
		}
		out[i] = e
	}
	return out, nil
}

// Fetch asks the home's node to get blobs from its peers; it returns the
// hashes no peer supplied.
func (c *Client) Fetch(ctx context.Context, hashes []string) ([]string, error) {
	var r fetchReply
	if err := c.call(ctx, msgFetch, &fetchReq{Hashes: hashes}, &r); err != nil {
		return nil, err
	}
	return r.Missing, nil
}

func (c *Client) Close() error { return c.conn.Close() }

// Signer signs events through an Agent: a domain.EventSigner for
// store.Append. It has no SignHash: an agent signs events, not digests.
type Signer struct {
	Agent Agent
	Addr  common.Address
}

func (s Signer) Address() common.Address { return s.Addr }

func (s Signer) SignHash([]byte) ([]byte, error) {
	return nil, errors.New("an agent signs tminus events only, not digests")
}

func (s Signer) SignEvent(header, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	return s.Agent.SignEvent(ctx, header, body)
}
