package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/agent"
	"github.com/tminus-ir/tminus/domain"
)

func blobHash(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// Without a node, Write stores the blobs and then the events itself, all
// of the bodies or none.
func TestWriteLocal(t *testing.T) {
	th := newHome(t)
	h := th.open(t)
	if _, err := h.Write(bg, nil); err == nil || !strings.Contains(err.Error(), "nothing to write") {
		t.Fatalf("an empty write: %v", err)
	}
	blob := []byte("evidence: tx 0xdead")
	evs, err := h.Write(bg, [][]byte{blob}, &domain.Note{Incident: th.inc, Text: "one"}, &domain.Note{Incident: th.inc, Text: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Seq != 3 || evs[1].Seq != 4 {
		t.Fatalf("events %v", evs)
	}
	st, err := h.Store(bg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.HasBlob(bg, blobHash(blob)); err != nil || !ok {
		t.Fatalf("blob stored: %v %v", ok, err)
	}
	// One invalid body: nothing of the write lands.
	if _, err := h.Write(bg, nil, &domain.Note{Incident: th.inc, Text: "three"}, &domain.Note{Incident: th.inc}); err == nil {
		t.Fatal("a write with an invalid body succeeded")
	}
	if got := chain(t, st, th.addr()); len(got) != 4 {
		t.Fatalf("%d events after a refused write, want 4", len(got))
	}
}

// While one Home serves (a serve or a cockpit), another Home on the same
// directory writes through its node socket from several goroutines while
// the serving Home writes too: every write lands on one unbroken chain,
// and the second Home never opens the store or the key.
func TestWriteThroughServe(t *testing.T) {
	th := newHome(t)
	log := &syncBuffer{}
	h1 := th.open(t)
	ok, err := h1.Serve(bg, log)
	if err != nil || !ok {
		t.Fatalf("serve: %v %v", ok, err)
	}
	// The serving process holds the key: it answers as the home's agent.
	if st, err := agent.Probe(bg, th.agentSock()); err != nil || st.Locked || st.Address != th.addr() || st.Workspace != th.ws {
		t.Fatalf("the serving home's agent: %+v %v", st, err)
	}
	if st, err := agent.Probe(bg, h1.NodeSock()); err != nil || !st.Writer {
		t.Fatalf("the node socket: %+v %v", st, err)
	}
	unsetPassphrase(t) // from here on, only the serving process can sign

	// A second Serve finds the home served and reports false.
	h3 := th.open(t)
	if ok, err := h3.Serve(bg, nil); ok || err != nil {
		t.Fatalf("a second serve on the home: %v %v", ok, err)
	}

	const writers, each, own = 3, 30, 10
	h2 := th.open(t)
	blob := []byte("log excerpt")
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+own)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var blobs [][]byte
				if i == 0 {
					blobs = [][]byte{blob}
				}
				if _, err := h2.Write(bg, blobs, &domain.Note{Incident: th.inc, Text: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
					errs <- fmt.Errorf("writer %d, note %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range own {
			if _, err := h1.Append(bg, &domain.Note{Incident: th.inc, Text: fmt.Sprintf("own-%d", i)}); err != nil {
				errs <- fmt.Errorf("the serving home, note %d: %w", i, err)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err) // SQLITE_BUSY would show here
	}
	if t.Failed() {
		t.FailNow()
	}

	st, err := h1.Store(bg)
	if err != nil {
		t.Fatal(err)
	}
	evs := chain(t, st, th.addr())
	if want := 2 + writers*each + own; len(evs) != want {
		t.Fatalf("%d events on the chain, want %d", len(evs), want)
	}
	seen := map[string]bool{}
	for _, e := range evs[2:] {
		b, err := domain.DecodeBody(e.Kind, e.Body)
		if err != nil {
			t.Fatal(err)
		}
		n := b.(*domain.Note)
		if seen[n.Text] {
			t.Fatalf("note %q stored twice", n.Text)
		}
		seen[n.Text] = true
	}
	for w := range writers {
		for i := range each {
			if !seen[fmt.Sprintf("w%d-%d", w, i)] {
				t.Fatalf("note w%d-%d is missing", w, i)
			}
		}
	}
	if ok, err := st.HasBlob(bg, blobHash(blob)); err != nil || !ok {
		t.Fatalf("the blob sent through the node: %v %v", ok, err)
	}
	if h2.st != nil || h2.key != nil || h2.signer != nil {
		t.Fatal("the writing home opened the store or the key itself instead of going through the node")
	}
	if n := strings.Count(log.String(), "signed note.add"); n != writers*each+own {
		t.Fatalf("the serving home's agent logged %d signatures, want %d", n, writers*each+own)
	}

	// Once the node is gone, a Home writes the store itself again.
	h1.Close()
	t.Setenv("TMINUS_PASSPHRASE", pass)
	e, err := th.open(t).Append(bg, &domain.Note{Incident: th.inc, Text: "after serve"})
	if err != nil || e.Seq != uint64(len(evs)+1) || e.Prev != evs[len(evs)-1].ID {
		t.Fatalf("append after serve: %v", err)
	}
}

// The serving Home's agent was locked (tminus agent lock): a write through
// the node fails as locked, and a passphrase given by the environment
// unlocks the agent and the write goes through.
func TestWriteThroughServeUnlocks(t *testing.T) {
	th := newHome(t)
	h1 := th.open(t)
	if ok, err := h1.Serve(bg, nil); err != nil || !ok {
		t.Fatalf("serve: %v %v", ok, err)
	}
	a, err := agent.Dial(th.agentSock())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Lock(bg); err != nil {
		t.Fatal(err)
	}
	unsetPassphrase(t)
	h2 := th.open(t)
	if _, err := h2.Append(bg, &domain.Note{Incident: th.inc, Text: "locked"}); !errors.Is(err, agent.ErrLocked) {
		t.Fatalf("write with the serving agent locked: %v, want ErrLocked", err)
	}
	if n := count(t, th.dir); n != 2 {
		t.Fatalf("%d events after a refused write, want 2", n)
	}
	t.Setenv("TMINUS_PASSPHRASE", "wrong")
	if _, err := h2.Append(bg, &domain.Note{Incident: th.inc, Text: "wrong"}); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("write with a wrong passphrase: %v", err)
	}
	t.Setenv("TMINUS_PASSPHRASE", pass)
	e, err := h2.Append(bg, &domain.Note{Incident: th.inc, Text: "unlocked"})
	if err != nil || e.Seq != 3 {
		t.Fatalf("write unlocking the agent: %v", err)
	}
	if st, err := a.Status(bg); err != nil || st.Locked {
		t.Fatalf("agent after the unlocking write: %+v %v", st, err)
	}
}

// gatedAgent holds the n-th signature until released: the moment to kill
// a node mid-write.
type gatedAgent struct {
	agent.Agent
	n       int32
	calls   atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (g *gatedAgent) SignEvent(ctx context.Context, header, body []byte) ([]byte, error) {
	if g.calls.Add(1) == g.n {
		close(g.entered)
		<-g.release
	}
	return g.Agent.SignEvent(ctx, header, body)
}

// The node goes away while it signs the second of three events: the write
// fails saying so, and none of the three is stored; the chain goes on
// from where it was.
func TestWriteNodeGoneMidWrite(t *testing.T) {
	th := newHome(t)
	unsetPassphrase(t)
	k := agent.NewKeyring(th.key, agent.KeyringOptions{Workspace: func(context.Context) (domain.ID, error) { return th.ws, nil }})
	gate := &gatedAgent{Agent: k, n: 2, entered: make(chan struct{}), release: make(chan struct{})}
	serveOn(t, th.agentSock(), &agent.Server{Agent: gate, UID: os.Getuid()})
	released := false
	defer func() {
		if !released {
			close(gate.release)
		}
	}()

	h1 := th.open(t) // signs through the gated agent: it holds no key
	if ok, err := h1.Serve(bg, nil); err != nil || !ok {
		t.Fatalf("serve: %v %v", ok, err)
	}
	if h1.HasKey() {
		t.Fatal("the serving home unlocked the keystore")
	}

	h2 := th.open(t)
	errc := make(chan error, 1)
	go func() {
		_, err := h2.Write(bg, nil,
			&domain.Note{Incident: th.inc, Text: "one"}, &domain.Note{Incident: th.inc, Text: "two"}, &domain.Note{Incident: th.inc, Text: "three"})
		errc <- err
	}()
	select {
	case <-gate.entered:
	case err := <-errc:
		t.Fatalf("the write ended before its second signature: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the node never asked for the second signature")
	}
	h1.Close() // the serve process exits mid-write
	var err error
	select {
	case err = <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("the write did not return after its node went away")
	}
	close(gate.release)
	released = true
	if !errors.Is(err, agent.ErrGone) || !strings.Contains(err.Error(), "went away mid-write") || !strings.Contains(err.Error(), h2.NodeSock()) {
		t.Fatalf("write through a node that went away: %v", err)
	}
	if n := count(t, th.dir); n != 2 {
		t.Fatalf("%d events after the interrupted write, want 2 (none of it)", n)
	}
	if _, err := agent.Probe(bg, filepath.Join(th.dir, "node.sock")); !errors.Is(err, agent.ErrNoAgent) {
		t.Fatalf("the closed node still answers: %v", err)
	}

	// The chain goes on from the events stored before.
	h3 := th.open(t)
	e, err := h3.Append(bg, &domain.Note{Incident: th.inc, Text: "after"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := h3.Store(bg)
	if err != nil {
		t.Fatal(err)
	}
	evs := chain(t, st, th.addr())
	if len(evs) != 3 || evs[2].ID != e.ID {
		t.Fatalf("chain of %d events after the retry, want 3 ending with it", len(evs))
	}
}
