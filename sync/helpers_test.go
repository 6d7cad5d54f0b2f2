package sync

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/store"
)

// member is one device of a test workspace: its key, store and node.
type member struct {
	key    *ecdsa.PrivateKey
	signer domain.KeySigner
	st     *store.Store
	node   *Node
}

// workspace is n members whose stores all start with the founder's
// genesis (roster quorum 1), the roster additions and one shared incident.
type workspace struct {
	t       testing.TB
	members []*member
	inc     domain.ID
}

func openStore(t testing.TB, name string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seedRaws returns every stored event of st, in arrival order.
func seedRaws(t testing.TB, st *store.Store) [][]byte {
	t.Helper()
	var raws [][]byte
	err := st.Events(context.Background(), domain.Key{}, func(r store.Row) error {
		raw, err := st.Raw(context.Background(), r.ID)
		raws = append(raws, raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return raws
}

func newWorkspace(t testing.TB, seed int64, n int) *workspace {
	t.Helper()
	ctx := context.Background()
	w := &workspace{t: t}
	for i := 0; i < n; i++ {
		k := domaintest.Key(seed, i)
		w.members = append(w.members, &member{key: k, signer: domain.KeySigner{Key: k}, st: openStore(t, fmt.Sprintf("m%d", i))})
	}
	f := w.members[0]
	spec := func(i int) domain.MemberSpec {
		return domain.MemberSpec{Address: w.members[i].signer.Address(), Handle: fmt.Sprintf("m%d", i), Roles: []string{"triage"}}
	}
	if _, err := f.st.Append(ctx, f.signer, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1}, Founder: spec(0)}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if _, err := f.st.Append(ctx, f.signer, &domain.MemberPropose{Action: domain.ActionAdd, Member: spec(i)}); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := f.st.Append(ctx, f.signer, &domain.IncidentDeclare{Title: "shared", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	w.inc = inc.ID
	raws := seedRaws(t, f.st)
	for _, m := range w.members[1:] {
		if _, err := m.st.Ingest(ctx, raws); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// start opens a node for every member on 127.0.0.1.
func (w *workspace) start() {
	for _, m := range w.members {
		m.node = NewNode(Config{Key: m.key, ListenAddr: "127.0.0.1:0", Store: m.st, Logger: testLogger(w.t)})
		if err := m.node.Start(); err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(m.node.Stop)
	}
}

// link dials j from i.
func (w *workspace) link(i, j int) {
	if err := w.members[i].node.AddPeer(w.members[j].node.Self()); err != nil {
		w.t.Fatal(err)
	}
}

func (w *workspace) mesh(idx ...int) {
	for a := range idx {
		for b := a + 1; b < len(idx); b++ {
			w.link(idx[a], idx[b])
		}
	}
}

// writeFor has every member in idx append notes, severity changes and
// tasks concurrently for d; it returns the number of events written.
func (w *workspace) writeFor(d time.Duration, idx ...int) int64 {
	ctx := context.Background()
	var total atomic.Int64
	done := make(chan error, len(idx))
	stop := time.Now().Add(d)
	for _, i := range idx {
		m := w.members[i]
		go func() {
			own, err := m.st.Append(ctx, m.signer, &domain.IncidentDeclare{Title: fmt.Sprintf("by m%d", i), Severity: "P3"})
			if err != nil {
				done <- err
				return
			}
			total.Add(1)
			sevs := []string{"P1", "P2", "P3", "P4"}
			for k := 0; time.Now().Before(stop); k++ {
				var b domain.Body
				switch k % 4 {
				case 0:
					b = &domain.Note{Incident: w.inc, Text: fmt.Sprintf("m%d note %d", i, k)}
				case 1:
					b = &domain.IncidentSeverity{Incident: w.inc, Severity: sevs[(i+k)%4]}
				case 2:
					b = &domain.TaskAdd{Incident: own.ID, Title: fmt.Sprintf("task %d", k)}
				case 3:
					b = &domain.Note{Incident: own.ID, Text: "own"}
				}
				if _, err := m.st.Append(ctx, m.signer, b); err != nil {
					done <- fmt.Errorf("m%d: %w", i, err)
					return
				}
				total.Add(1)
				time.Sleep(10 * time.Millisecond)
			}
			done <- nil
		}()
	}
	for range idx {
		if err := <-done; err != nil {
			w.t.Fatal(err)
		}
	}
	return total.Load()
}

// hashes is each member's event count and state hash.
func hashes(t testing.TB, ms []*member) ([]int64, []string) {
	ctx := context.Background()
	counts, hs := make([]int64, len(ms)), make([]string, len(ms))
	for i, m := range ms {
		n, err := m.st.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.st.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h, err := st.Hash()
		if err != nil {
			t.Fatal(err)
		}
		counts[i], hs[i] = n, h
	}
	return counts, hs
}

// converge waits until every member in idx has the same count and state
// hash, and returns how long that took.
func (w *workspace) converge(limit time.Duration, idx ...int) time.Duration {
	w.t.Helper()
	if len(idx) == 0 {
		for i := range w.members {
			idx = append(idx, i)
		}
	}
	ms := make([]*member, len(idx))
	for k, i := range idx {
		ms[k] = w.members[i]
	}
	start := time.Now()
	var counts []int64
	var hs []string
	for time.Since(start) < limit {
		counts, hs = hashes(w.t, ms)
		same := true
		for k := range ms {
			same = same && counts[k] == counts[0] && hs[k] == hs[0]
		}
		if same {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, m := range ms {
		o, _ := m.st.Orphans(context.Background())
		hs, _ := m.st.Heads(context.Background())
		var seqs []uint64
		for _, h := range hs {
			seqs = append(seqs, h.Seq)
		}
		w.t.Logf("member %d: %d events, %d orphans, head seqs %v", idx[k], counts[k], o, seqs)
	}
	w.t.Fatalf("no convergence within %s: counts %v", limit, counts)
	return 0
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", limit, what)
}

// rawMsg is one message read by a hand-driven peer.
type rawMsg struct {
	code uint64
	data []byte
}

// handPeer drives one end of a p2p.MsgPipe by hand against a Session.
type handPeer struct {
	t  *testing.T
	rw *p2p.MsgPipeRW
	in chan rawMsg
}

func newHandPeer(t *testing.T, rw *p2p.MsgPipeRW) *handPeer {
	h := &handPeer{t: t, rw: rw, in: make(chan rawMsg, 4096)}
	go func() {
		defer close(h.in)
		for {
			msg, err := rw.ReadMsg()
			if err != nil {
				return
			}
			data, _ := io.ReadAll(msg.Payload)
			select {
			case h.in <- rawMsg{msg.Code, data}:
			default: // nobody listening: drop
			}
		}
	}()
	return h
}

func (h *handPeer) send(code uint64, v any) error { return send(h.rw, code, v) }

func (h *handPeer) sendRaw(code uint64, data []byte) error {
	return h.rw.WriteMsg(p2p.Msg{Code: code, Size: uint32(len(data)), Payload: bytes.NewReader(data)})
}

// expect waits for the next message of code, skipping others.
func (h *handPeer) expect(code uint64) rawMsg {
	h.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m, ok := <-h.in:
			if !ok {
				h.t.Fatalf("pipe closed while waiting for message %d", code)
			}
			if m.code == code {
				return m
			}
		case <-timeout:
			h.t.Fatalf("no message %d within 5s", code)
		}
	}
}

// runSession starts a Session on st over rw and returns its result channel.
func runSession(t *testing.T, st Store, rw p2p.MsgReadWriter) (*Session, chan error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	s := &Session{St: st, RW: rw}
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	return s, errc
}

func waitErr(t *testing.T, errc chan error, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(limit):
		t.Fatalf("session still running after %s", limit)
	}
	return nil
}

func headOf(t testing.TB, st *store.Store, a common.Address) HeadMsg {
	t.Helper()
	hs, err := st.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Author == a {
			return HeadMsg{Author: h.Author, Seq: h.Seq, ID: h.ID}
		}
	}
	t.Fatalf("no head for %s", a.Hex())
	return HeadMsg{}
}

type tlogWriter struct{ t testing.TB }

func (l tlogWriter) Write(p []byte) (int, error) {
	l.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// testLogger logs a node's refusals and ended sessions to the test log
// when TMINUS_SYNC_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TMINUS_SYNC_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, nil))
}
