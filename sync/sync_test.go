package sync

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// An equivocating member: a forged twin of one of its events reaches one
// node; the fork proof then reaches every node, already connected, and
// every state ignores that author from the fork seq on.
func TestEquivocationProofReachesAll(t *testing.T) {
	w := newWorkspace(t, 31, 3)
	w.start()
	w.mesh(0, 1, 2)
	ctx := context.Background()
	m := w.members[2]
	note, err := m.st.Append(ctx, m.signer, &domain.Note{Incident: w.inc, Text: "original"})
	if err != nil {
		t.Fatal(err)
	}
	w.converge(10 * time.Second)
	// Sessions are up; now the twin appears on node 0 alone.
	body, _ := domain.EncodeBody(&domain.Note{Incident: w.inc, Text: "the other story"})
	h := note.Header
	h.Time++
	twin, err := domain.Seal(h, body, m.signer)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.members[0].st.Ingest(ctx, [][]byte{twin.Raw})
	if err != nil || rep.Forks != 1 {
		t.Fatalf("ingest twin: %+v %v", rep, err)
	}
	// The equivocator goes on writing: none of it may count.
	if _, err := m.st.Append(ctx, m.signer, &domain.IncidentSeverity{Incident: w.inc, Severity: "P4"}); err != nil {
		t.Fatal(err)
	}
	for i, x := range w.members {
		waitFor(t, 10*time.Second, "the fork proof on every node", func() bool {
			f, _ := x.st.Forks(ctx)
			return f[m.signer.Address()] == note.Seq
		})
		t.Logf("member %d knows the fork", i)
	}
	w.converge(10 * time.Second)
	for i, x := range w.members {
		st, _ := x.st.State(ctx)
		if sev := st.Incidents[w.inc].Severity; sev != "P1" {
			t.Fatalf("member %d: severity %s, want P1 (the equivocator's change must not count)", i, sev)
		}
	}
}

// sync --stdio: two one-shot sessions over a pair of pipes pull and push
// and return once both sides are idle.
func TestStdioPipePair(t *testing.T) {
	w := newWorkspace(t, 32, 2)
	ctx := context.Background()
	for i, m := range w.members {
		for k := 0; k < 50; k++ {
			m.st.Append(ctx, m.signer, &domain.Note{Incident: w.inc, Text: "x"})
		}
		_ = i
	}
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	a := &Session{St: w.members[0].st, RW: NewFramed(r1, w2, w2), OneShot: true, Idle: 300 * time.Millisecond}
	b := &Session{St: w.members[1].st, RW: NewFramed(r2, w1, w1), OneShot: true, Idle: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- a.Run(ctx) }()
	go func() { errs <- b.Run(ctx) }()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	w1.Close()
	w2.Close()
	counts, hs := hashes(t, w.members)
	if counts[0] != counts[1] || hs[0] != hs[1] {
		t.Fatalf("counts %v, hashes differ", counts)
	}
	if a.Stats.Pulled != 50 || b.Stats.Pulled != 50 {
		t.Fatalf("stats %+v %+v", a.Stats, b.Stats)
	}
	t.Logf("a %+v b %+v", a.Stats, b.Stats)
}
