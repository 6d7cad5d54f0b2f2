package agent

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tminus-ir/tminus/domain"
)

// recorder is a Writer that keeps what it was asked to write and answers
// with err, or with the events its seal function makes.
type recorder struct {
	mu     sync.Mutex
	calls  int
	blobs  [][]byte
	bodies []domain.Body
	err    error
	seal   func(domain.Body) (*domain.Event, error)
}

func (r *recorder) Write(_ context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.blobs, r.bodies = blobs, bodies
	if r.err != nil {
		return nil, r.err
	}
	var out []*domain.Event
	for _, b := range bodies {
		e, err := r.seal(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.calls }

// frame is the bytes of one request: length, type, payload.
func frame(t testing.TB, typ byte, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := writeFrame(&b, typ, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// header is a frame header claiming n bytes (type included) of type typ.
func header(n uint32, typ byte) []byte {
	h := make([]byte, 5)
	binary.BigEndian.PutUint32(h, n)
	h[4] = typ
	return h
}

// trailing adds a byte after a frame's payload, within its length.
func trailing(fr []byte) []byte {
	out := append(append([]byte(nil), fr...), 0x80)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// rawConn serves srv on a pipe and returns the client's raw end.
func rawConn(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeConn(bg, b) }()
	a.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() {
		a.Close()
		<-done
	})
	return a
}

// reply reads one reply frame: its type and, for a failure, its message.
func reply(t *testing.T, c net.Conn) (byte, string) {
	t.Helper()
	typ, payload, err := readFrame(c, func(byte) int { return MaxReply })
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	var msg string
	if typ == replyFail {
		if err := rlp.DecodeBytes(payload, &msg); err != nil {
			t.Fatalf("failure reply: %v", err)
		}
	}
	return typ, msg
}

// hungUp checks that the server closed the connection.
func hungUp(t *testing.T, c net.Conn) {
	t.Helper()
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the connection stays open: read %d, %v", n, err)
	}
}

// Malformed frames and requests are refused with a reason: a broken frame
// ends the connection (the stream cannot be resynchronised), a well-framed
// bad request does not. An oversized frame is refused from its header.
func TestFrames(t *testing.T) {
	f := newFixture(t)
	h, b := f.request(t, alice, f.note("x"))
	tests := []struct {
		name   string
		send   []byte
		want   string // in the failure reply
		hangUp bool
	}{
		{"empty frame", header(0, msgStatus), "empty frame", true},
		{"oversized sign", header(MaxRequest+1, msgSign), ErrTooLarge.Error(), true},
		{"oversized status", header(1<<31, msgStatus), ErrTooLarge.Error(), true},
		{"oversized unknown type", header(MaxRequest+1, 0x7f), ErrTooLarge.Error(), true},
		{"oversized append", header(MaxAppend+1, msgAppend), ErrTooLarge.Error(), true},
		{"unknown type", frame(t, 0x7f, nil), "unknown request type 127", false},
		{"reply type as request", frame(t, replyOK, nil), "unknown request type 128", false},
		{"sign payload not rlp", append(header(4, msgSign), 0xff, 0xff, 0xff), "malformed request", false},
		{"sign payload with trailing bytes", trailing(frame(t, msgSign, &signReq{Header: h, Body: b})), "malformed request", false},
		{"sign without payload", frame(t, msgSign, nil), "malformed request", false},
		{"unlock with a list", frame(t, msgUnlock, []any{[]any{"pw"}}), "malformed request", false},
		{"stop without OnStop", frame(t, msgStop, nil), "stops with its own command", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			srv := &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: -1, Log: log}
			c := rawConn(t, srv)
			if _, err := c.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			typ, msg := reply(t, c)
			if typ != replyFail || !strings.Contains(msg, tc.want) {
				t.Fatalf("reply %#x %q, want a failure naming %q", typ, msg, tc.want)
			}
			if !strings.Contains(log.String(), tc.want) {
				t.Fatalf("the log does not name the refusal:\n%s", log.String())
			}
			if tc.hangUp {
				hungUp(t, c)
				return
			}
			// The connection still answers.
			if _, err := c.Write(frame(t, msgStatus, nil)); err != nil {
				t.Fatal(err)
			}
			if typ, msg := reply(t, c); typ != replyOK {
				t.Fatalf("status after a refused request: %#x %q", typ, msg)
			}
		})
	}
}

// An oversized header is refused without reading its payload: the server
// answers while the client has sent the five header bytes only.
func TestOversizedFrameNotRead(t *testing.T) {
	for _, typ := range []byte{msgStatus, msgSign, msgUnlock, msgAppend} {
		t.Run(fmt.Sprint(typ), func(t *testing.T) {
			c := rawConn(t, &Server{UID: -1})
			n := uint32(capFor(typ) + 1)
			if _, err := c.Write(header(n, typ)); err != nil {
				t.Fatal(err)
			}
			got, msg := reply(t, c)
			want := fmt.Sprintf("%d bytes, limit %d", n, capFor(typ))
			if got != replyFail || !strings.Contains(msg, want) {
				t.Fatalf("reply %#x %q, want refusal %q", got, msg, want)
			}
			hungUp(t, c)
		})
	}
	// A frame at the cap is read in full.
	var b bytes.Buffer
	b.Write(header(MaxRequest, msgUnlock))
	b.Write(make([]byte, MaxRequest-1))
	typ, payload, err := readFrame(&b, capFor)
	if err != nil || typ != msgUnlock || len(payload) != MaxRequest-1 {
		t.Fatalf("frame at the cap: %d, %d bytes, %v", typ, len(payload), err)
	}
}

// readFrame on its own: what comes back for each way a frame can end.
func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		typ     byte
		payload []byte
		err     error // errors.Is; nil: no error
		errText string
	}{
		{"no payload", []byte{0, 0, 0, 1, msgStatus}, msgStatus, []byte{}, nil, ""},
		{"payload", []byte{0, 0, 0, 3, msgUnlock, 0x81, 0xaa}, msgUnlock, []byte{0x81, 0xaa}, nil, ""},
		{"nothing", nil, 0, nil, io.EOF, ""},
		{"half a header", []byte{0, 0}, 0, nil, io.ErrUnexpectedEOF, "truncated frame"},
		{"half a payload", []byte{0, 0, 0, 9, msgSign, 1, 2}, 0, nil, io.ErrUnexpectedEOF, "truncated frame of 9 bytes"},
		{"empty", []byte{0, 0, 0, 0, msgSign}, 0, nil, nil, "empty frame"},
		{"over the cap", header(MaxRequest+1, msgSign), msgSign, nil, ErrTooLarge, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, payload, err := readFrame(bytes.NewReader(tc.in), capFor)
			if tc.err == nil && tc.errText == "" {
				if err != nil || typ != tc.typ || !bytes.Equal(payload, tc.payload) {
					t.Fatalf("got %d %x %v, want %d %x", typ, payload, err, tc.typ, tc.payload)
				}
				return
			}
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) || !strings.Contains(err.Error(), tc.errText) {
				t.Fatalf("err %v, want %v %q", err, tc.err, tc.errText)
			}
			if payload != nil {
				t.Fatalf("an error came with a payload of %d bytes", len(payload))
			}
		})
	}
}

// A client that sends half a frame and hangs up is dropped with a reason;
// the server goes on serving everyone else, on connections opened before
// and after.
func TestTruncatedFrameDropsOnlyThatClient(t *testing.T) {
	f := newFixture(t)
	log := &syncBuffer{}
	srv := &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: -1, Log: log}
	path := serveUnix(t, srv)
	before := dial(t, path)
	h, b := f.request(t, alice, f.note("x"))
	full := frame(t, msgSign, &signReq{Header: h, Body: b})
	for _, cut := range []int{3, len(full) / 2, len(full) - 1} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(full[:cut]); err != nil {
				t.Fatal(err)
			}
			c.(*net.UnixConn).CloseWrite()
			typ, msg := reply(t, c)
			if typ != replyFail || !strings.Contains(msg, "truncated frame") {
				t.Fatalf("reply %#x %q, want a truncated frame refusal", typ, msg)
			}
			hungUp(t, c)
			// Half a frame and a full close: nobody to tell.
			c2, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			c2.Write(full[:cut])
			c2.Close()
		})
	}
	for name, c := range map[string]*Client{"opened before": before, "opened after": dial(t, path)} {
		mustSign(t, c, f, h, b)
		if st := status(t, c); st.Locked {
			t.Fatalf("%s: status %+v", name, st)
		}
	}
	waitFor(t, func() bool { return strings.Count(log.String(), "dropped a client: truncated frame") >= 6 },
		"six truncated frames logged as dropped clients:\n%s", log)
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, cond func() bool, format string, a ...any) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, a...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Appends reach the Writer decoded, or are refused before it: no writer,
// a genesis, kinds and bodies that do not pair up, a body not of its kind.
func TestAppend(t *testing.T) {
	f := newFixture(t)
	n := 0
	seal := func(b domain.Body) (*domain.Event, error) {
		data, err := domain.EncodeBody(b)
		if err != nil {
			return nil, err
		}
		n++
		h, _ := f.team.Nodes[alice].Next(b.Kind(), 0)
		h.Seq += uint64(n)
		h.Prev = domain.ID{byte(n)}
		return domain.Seal(h, data, f.team.Nodes[alice].Signer)
	}
	note, err := domain.EncodeBody(f.note("x"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("written", func(t *testing.T) {
		w := &recorder{seal: seal}
		c := pipe(t, &Server{Writer: w, UID: -1})
		bodies := []domain.Body{f.note("one"), &domain.IncidentDeclare{Title: "two", Severity: "P3"}}
		blobs := [][]byte{[]byte("evidence"), {}}
		evs, err := c.Write(bg, blobs, bodies)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Kind != domain.KindNote || evs[1].Kind != domain.KindIncidentDeclare {
			t.Fatalf("events %v", evs)
		}
		for _, e := range evs {
			if err := e.Verify(); err != nil {
				t.Fatal(err)
			}
		}
		if len(w.blobs) != 2 || string(w.blobs[0]) != "evidence" || len(w.blobs[1]) != 0 {
			t.Fatalf("blobs %q", w.blobs)
		}
		if got := w.bodies[0].(*domain.Note); got.Text != "one" || got.Incident != f.inc {
			t.Fatalf("body %+v", got)
		}
	})

	// A writer's error keeps its sentinel however deep the writer wrapped
	// it: a home's Write unlocks a locked agent only if it can tell.
	t.Run("writer errors", func(t *testing.T) {
		for _, tc := range []struct{ werr, want error }{
			{ErrLocked, ErrLocked},
			{fmt.Errorf("sign: %w", ErrLocked), ErrLocked},
			{fmt.Errorf("sign: %w", fmt.Errorf("%w (agent.sock)", ErrLocked)), ErrLocked},
			{fmt.Errorf("sign: %w: it is by 0x…", domain.ErrNotAnEvent), domain.ErrNotAnEvent},
		} {
			werr, want := tc.werr, tc.want
			w := &recorder{err: werr}
			c := pipe(t, &Server{Writer: w, UID: -1})
			_, err := c.Write(bg, nil, []domain.Body{f.note("x")})
			if !errors.Is(err, want) || err.Error() != werr.Error() {
				t.Errorf("writer error %q came back as %q (errors.Is %v: %v)", werr, err, want, errors.Is(err, want))
			}
		}
	})

	tests := []struct {
		name string
		srv  func(w *recorder) *Server
		req  any // sent as a raw msgAppend payload
		want error
		text string
	}{
		{"no writer", func(*recorder) *Server { return &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: -1} },
			&appendReq{Kinds: []string{domain.KindNote}, Bodies: [][]byte{note}}, ErrNoWriter, ""},
		{"genesis", nil, genesisReq(t, f), nil, "genesis is written by tminus init"},
		{"genesis after a note", nil, func() *appendReq {
			r := genesisReq(t, f)
			r.Kinds, r.Bodies = append([]string{domain.KindNote}, r.Kinds...), append([][]byte{note}, r.Bodies...)
			return r
		}(), nil, "genesis is written by tminus init"},
		{"more kinds than bodies", nil, &appendReq{Kinds: []string{domain.KindNote, domain.KindNote}, Bodies: [][]byte{note}}, nil, "2 kinds for 1 bodies"},
		{"more bodies than kinds", nil, &appendReq{Kinds: []string{domain.KindNote}, Bodies: [][]byte{note, note}}, nil, "1 kinds for 2 bodies"},
		{"nothing", nil, &appendReq{}, nil, "0 kinds for 0 bodies"},
		{"unknown kind", nil, &appendReq{Kinds: []string{"wallet.transfer"}, Bodies: [][]byte{[]byte(`{}`)}}, domain.ErrMalformed, "unknown kind"},
		{"body of another kind", nil, &appendReq{Kinds: []string{domain.KindIncidentDeclare}, Bodies: [][]byte{note}}, domain.ErrMalformed, ""},
		{"non-canonical body", nil, &appendReq{Kinds: []string{domain.KindNote},
			Bodies: [][]byte{[]byte(`{"text":"x","incident":"` + f.inc.String() + `"}`)}}, domain.ErrMalformed, "canonical"},
		{"not an append", nil, []any{"a", []any{"b"}}, nil, "malformed request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &recorder{seal: seal}
			srv := &Server{Writer: w, UID: -1}
			if tc.srv != nil {
				srv = tc.srv(w)
			}
			c := rawConn(t, srv)
			if _, err := c.Write(frame(t, msgAppend, tc.req)); err != nil {
				t.Fatal(err)
			}
			typ, msg := reply(t, c)
			if typ != replyFail {
				t.Fatalf("append %s was accepted", tc.name)
			}
			err := remoteError(msg)
			if tc.want != nil && !strings.Contains(msg, tc.want.Error()) {
				t.Fatalf("refusal %q, want %v", msg, tc.want)
			}
			if tc.want == ErrNoWriter && !errors.Is(err, ErrNoWriter) {
				t.Fatalf("refusal %v is not ErrNoWriter", err)
			}
			if !strings.Contains(msg, tc.text) {
				t.Fatalf("refusal %q, want %q", msg, tc.text)
			}
			if w.count() != 0 {
				t.Fatalf("the writer was called for a refused append")
			}
		})
	}

	t.Run("client no writer", func(t *testing.T) {
		c := pipe(t, &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: -1})
		evs, err := c.Write(bg, nil, []domain.Body{f.note("x")})
		if !errors.Is(err, ErrNoWriter) || evs != nil {
			t.Fatalf("append to a socket without a writer: %v %v", evs, err)
		}
	})
	t.Run("client invalid body", func(t *testing.T) {
		w := &recorder{seal: seal}
		c := pipe(t, &Server{Writer: w, UID: -1})
		if _, err := c.Write(bg, nil, []domain.Body{&domain.Note{Incident: f.inc}}); err == nil || w.count() != 0 {
			t.Fatalf("an invalid body was sent: %v (writer called %d times)", err, w.count())
		}
	})
	t.Run("writer answers short", func(t *testing.T) {
		w := &recorder{seal: seal}
		short := &shortWriter{w}
		c := pipe(t, &Server{Writer: short, UID: -1})
		if _, err := c.Write(bg, nil, []domain.Body{f.note("a"), f.note("b")}); err == nil || !strings.Contains(err.Error(), "1 events stored for 2 writes") {
			t.Fatalf("a short answer was taken: %v", err)
		}
	})
}

// shortWriter drops the last event of each answer.
type shortWriter struct{ w Writer }

func (s *shortWriter) Write(ctx context.Context, blobs [][]byte, bodies []domain.Body) ([]*domain.Event, error) {
	evs, err := s.w.Write(ctx, blobs, bodies)
	if len(evs) > 0 {
		evs = evs[:len(evs)-1]
	}
	return evs, err
}

func genesisReq(t testing.TB, f *fixture) *appendReq {
	t.Helper()
	g, err := domain.EncodeBody(&domain.Genesis{Name: "evil", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: f.addr(alice), Handle: "alice", Roles: []string{"triage"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &appendReq{Kinds: []string{domain.KindGenesis}, Bodies: [][]byte{g}}
}

// Stop ends a standalone agent only after it has answered.
func TestStop(t *testing.T) {
	stopped := make(chan struct{})
	srv := &Server{UID: -1, OnStop: func() { close(stopped) }}
	c := rawConn(t, srv)
	if _, err := c.Write(frame(t, msgStop, nil)); err != nil {
		t.Fatal(err)
	}
	if typ, msg := reply(t, c); typ != replyOK {
		t.Fatalf("stop: %#x %q", typ, msg)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("OnStop was not called")
	}
}

// A closed Server hangs up on its clients and takes no new ones.
func TestServerClose(t *testing.T) {
	f := newFixture(t)
	srv := &Server{Agent: f.keyring(t, newClock(), 0, nil), UID: -1}
	c := pipe(t, srv)
	status(t, c)
	srv.Close()
	if _, err := c.Status(bg); !errors.Is(err, ErrGone) {
		t.Fatalf("status after Close: %v, want ErrGone", err)
	}
	late := pipe(t, srv)
	if _, err := late.Status(bg); !errors.Is(err, ErrGone) {
		t.Fatalf("a connection after Close: %v, want ErrGone", err)
	}
}

// A client whose server never answers gives up at its context's deadline.
func TestClientTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	go io.Copy(io.Discard, b)
	c := NewClient(a, "silent")
	defer c.Close()
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Status(ctx)
	if err == nil || !strings.Contains(err.Error(), "silent: no answer") {
		t.Fatalf("status from a silent server: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("gave up after %v", time.Since(start))
	}
}

// Fuzz the server's reading of a request: a frame, its payload decoded
// for its type and handled by a keyring and a writer. Nothing panics, no
// payload is over its type's cap, and a signature is only ever of a
// well-formed event of the keyring's workspace and key.
func FuzzReadFrame(f *testing.F) {
	fx := newFixture(f)
	h, b := fx.request(f, alice, fx.note("seed"))
	note, err := domain.EncodeBody(fx.note("seed"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		frame(f, msgStatus, nil),
		frame(f, msgSign, &signReq{Header: h, Body: b}),
		frame(f, msgSign, &signReq{Header: crypto.Keccak256(h)}),
		frame(f, msgLock, nil),
		frame(f, msgUnlock, &unlockReq{Passphrase: []byte(passphrase)}),
		frame(f, msgUnlock, &unlockReq{Passphrase: []byte("wrong")}),
		frame(f, msgAppend, &appendReq{Blobs: [][]byte{[]byte("blob")}, Kinds: []string{domain.KindNote}, Bodies: [][]byte{note}}),
		frame(f, msgAppend, genesisReq(f, fx)),
		frame(f, msgAppend, &appendReq{Kinds: []string{domain.KindNote, domain.KindNote}, Bodies: [][]byte{note}}),
		frame(f, msgStop, nil),
		frame(f, 0x7f, nil),
		header(0, msgStatus),
		header(MaxRequest+1, msgSign),
		header(1<<20, msgAppend),
		{0, 0},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, payload, err := readFrame(bytes.NewReader(data), capFor)
		if err != nil {
			if payload != nil {
				t.Fatalf("error %v with a payload", err)
			}
			return
		}
		if len(payload)+1 > capFor(typ) {
			t.Fatalf("payload of %d bytes for type %d, cap %d", len(payload), typ, capFor(typ))
		}
		if n := int(binary.BigEndian.Uint32(data)); len(payload) != n-1 || !bytes.Equal(payload, data[5:4+n]) {
			t.Fatalf("payload of %d bytes, header says %d", len(payload), n)
		}
		if typ == msgAppend {
			var r appendReq
			if decode(payload, &r) == nil {
				if bodies, err := decodeBodies(r); err == nil {
					if len(bodies) != len(r.Kinds) || len(bodies) == 0 {
						t.Fatalf("%d bodies for %d kinds", len(bodies), len(r.Kinds))
					}
					for _, b := range bodies {
						if b.Kind() == domain.KindGenesis {
							t.Fatal("a genesis passed decodeBodies")
						}
					}
				}
			}
		}
		k := fx.keyring(t, newClock(), 0, nil)
		srv := &Server{Agent: k, Writer: &recorder{err: errors.New("not stored")}, UID: -1}
		out, err := srv.handle(bg, typ, payload)
		if typ != msgSign || err != nil {
			return
		}
		var r signReq
		if err := decode(payload, &r); err != nil {
			t.Fatalf("signed a request that does not decode: %v", err)
		}
		req, err := domain.CheckSigningRequest(r.Header, r.Body)
		if err != nil {
			t.Fatalf("signed what is not an event: %v", err)
		}
		if req.WS != fx.ws || req.Author != fx.addr(alice) {
			t.Fatalf("signed an event of workspace %s by %s", req.WS.Short(), req.Author.Hex())
		}
		pub, err := crypto.SigToPub(domain.SigningHash(req.ID), out.([]byte))
		if err != nil || crypto.PubkeyToAddress(*pub) != fx.addr(alice) {
			t.Fatalf("signature does not recover to the key: %v", err)
		}
	})
}
