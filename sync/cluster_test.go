package sync

import (
	"testing"
	"time"
)

// Nodes in one process on 127.0.0.1 write concurrently; once the writes
// stop, every state hash is the same within a bounded time.
func TestConvergeThree(t *testing.T) {
	w := newWorkspace(t, 3, 3)
	w.start()
	w.mesh(0, 1, 2)
	n := w.writeFor(1500*time.Millisecond, 0, 1, 2)
	d := w.converge(30 * time.Second)
	t.Logf("3 nodes, %d events written: converged %s after the writes stopped", n, d)
}

func TestConvergeTen(t *testing.T) {
	w := newWorkspace(t, 10, 10)
	w.start()
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	w.mesh(all...)
	n := w.writeFor(2*time.Second, all...)
	// Generous: under -race on a loaded two-core box 30 s was not enough
	// for ten nodes (a full mesh of 45 sessions) to exchange the last events.
	d := w.converge(3 * time.Minute)
	t.Logf("10 nodes (full mesh), %d events written: converged %s after the writes stopped", n, d)
}

// A ring: every event crosses several hops.
func TestConvergeRing(t *testing.T) {
	w := newWorkspace(t, 11, 6)
	w.start()
	for i := range w.members {
		w.link(i, (i+1)%len(w.members))
	}
	n := w.writeFor(1500*time.Millisecond, 0, 1, 2, 3, 4, 5)
	d := w.converge(30 * time.Second)
	t.Logf("6-node ring, %d events written: converged %s after the writes stopped", n, d)
}

// Five nodes split 2/3 write on both sides, then heal and converge.
func TestPartitionHeal(t *testing.T) {
	w := newWorkspace(t, 5, 5)
	w.start()
	w.mesh(0, 1)
	w.mesh(2, 3, 4)
	n := w.writeFor(1500*time.Millisecond, 0, 1, 2, 3, 4)
	w.converge(20*time.Second, 0, 1)
	w.converge(20*time.Second, 2, 3, 4)
	counts, hs := hashes(t, w.members)
	if hs[0] == hs[2] || counts[0] == counts[2] {
		t.Fatalf("the sides were not apart: counts %v", counts)
	}
	heal := time.Now()
	w.link(1, 2)
	w.link(0, 4)
	d := w.converge(30 * time.Second)
	t.Logf("partition 2/3, %d events written: heal to convergence %s (measured %s)", n, d, time.Since(heal))
}
