package sync

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

func TestSmokeTwoNodes(t *testing.T) {
	ctx := context.Background()
	k1, _ := crypto.GenerateKey()
	k2, _ := crypto.GenerateKey()
	s1, s2 := domain.KeySigner{Key: k1}, domain.KeySigner{Key: k2}
	a, _ := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	b, _ := store.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	defer a.Close()
	defer b.Close()
	a.Append(ctx, s1, &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: s1.Address(), Handle: "alice", Roles: []string{"triage"}}})
	a.Append(ctx, s1, &domain.MemberPropose{Action: "add", Member: domain.MemberSpec{Address: s2.Address(), Handle: "bob", Roles: []string{"triage"}}})
	inc, _ := a.Append(ctx, s1, &domain.IncidentDeclare{Title: "x", Severity: "P1"})
	na := NewNode(Config{Key: k1, ListenAddr: "127.0.0.1:0", Store: a})
	if err := na.Start(); err != nil {
		t.Fatal(err)
	}
	defer na.Stop()
	nb := NewNode(Config{Key: k2, ListenAddr: "127.0.0.1:0", Store: b})
	if err := nb.Start(); err != nil {
		t.Fatal(err)
	}
	defer nb.Stop()
	nb.AddPeer(na.Self())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := b.Count(ctx); n == 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, _ := b.Count(ctx); n != 3 {
		t.Fatalf("b has %d events", n)
	}
	start := time.Now()
	b.Append(ctx, s2, &domain.Note{Incident: inc.ID, Text: "hi"})
	for time.Since(start) < 5*time.Second {
		if n, _ := a.Count(ctx); n == 4 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n, _ := a.Count(ctx); n != 4 {
		t.Fatalf("a has %d events", n)
	}
	t.Logf("append to stored on peer: %s", time.Since(start))
	sa, _ := a.State(ctx)
	sb, _ := b.State(ctx)
	ha, _ := sa.Hash()
	hb, _ := sb.Hash()
	if ha != hb {
		t.Fatal("hash")
	}
	// Events that came by sync are indexed for the timeline like local
	// ones, on both sides.
	ta, err := a.Timeline(ctx, sa, sa.Incidents[inc.ID])
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Timeline(ctx, sb, sb.Incidents[inc.ID])
	if err != nil || len(ta) != 2 || len(tb) != 2 || ta[1] != tb[1] || ta[1].Text != "hi" || ta[0].Text != "declared [P1] x" {
		t.Fatalf("timelines differ: %v\n%+v\n%+v", err, ta, tb)
	}
}
