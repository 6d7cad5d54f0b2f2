package sync

import (
	"context"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

// Two converged nodes each count the other as 0 behind. The count used to
// be taken before the last round pulled was stored, so after a single
// announced event it read 1 until the next announce.
func TestConvergedPeersAreNotBehind(t *testing.T) {
	w := newWorkspace(t, 35, 2)
	w.start()
	w.link(1, 0)
	a, b := w.members[0], w.members[1]
	waitFor(t, 10*time.Second, "a session each way", func() bool {
		return len(a.node.Connected()) == 1 && len(b.node.Connected()) == 1
	})
	ctx := context.Background()
	for i, m := range []*member{a, b, a} {
		if _, err := m.st.Append(ctx, m.signer, &domain.Note{Incident: w.inc, Text: "one event at a time"}); err != nil {
			t.Fatal(err)
		}
		w.converge(15 * time.Second)
		behind := func(m *member) int64 {
			c := m.node.Connected()
			if len(c) != 1 {
				return -1
			}
			return c[0].Behind
		}
		waitFor(t, 10*time.Second, "both nodes 0 behind", func() bool { return behind(a) == 0 && behind(b) == 0 })
		t.Logf("note %d: converged, 0 behind", i)
	}
}
