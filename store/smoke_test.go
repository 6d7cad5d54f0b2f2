package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
)

func TestSmokeReplicate(t *testing.T) {
	ctx := context.Background()
	k1, _ := crypto.GenerateKey()
	k2, _ := crypto.GenerateKey()
	s1 := domain.KeySigner{Key: k1}
	s2 := domain.KeySigner{Key: k2}
	a, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	g, err := a.Append(ctx, s1, &domain.Genesis{Name: "acme", Founder: domain.MemberSpec{Address: s1.Address(), Handle: "alice", Roles: []string{"containment", "triage"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Append(ctx, s1, &domain.MemberPropose{Action: "add", Member: domain.MemberSpec{Address: s2.Address(), Handle: "bob", Roles: []string{"comms"}}}); err != nil {
		t.Fatal(err)
	}
	inc, err := a.Append(ctx, s1, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var raws [][]byte
	a.Log(ctx, func(e *domain.Event, _ bool) error { raws = append(raws, e.Raw); return nil })
	rep, err := b.Ingest(ctx, raws)
	if err != nil || len(rep.Added) != 3 {
		t.Fatalf("ingest: %v %+v", err, rep)
	}
	if b.Workspace() != g.ID {
		t.Fatal("ws")
	}
	if _, err := b.Append(ctx, s2, &domain.Note{Incident: inc.ID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	raws = nil
	b.Log(ctx, func(e *domain.Event, _ bool) error { raws = append(raws, e.Raw); return nil })
	rep, err = a.Ingest(ctx, raws)
	if err != nil || len(rep.Added) != 1 || rep.Duplicates != 3 {
		t.Fatalf("ingest back: %v %+v", err, rep)
	}
	sa, _ := a.State(ctx)
	sb, _ := b.State(ctx)
	ha, _ := sa.Hash()
	hb, _ := sb.Hash()
	if ha != hb {
		t.Fatal("hash differs")
	}
	tl, err := a.Timeline(ctx, sa, sa.Incidents[inc.ID])
	if err != nil || len(sa.Rejected) != 0 || len(tl) != 2 || tl[1].Text != "hello" {
		t.Fatalf("%v %+v %+v", err, sa.Rejected, tl)
	}
	id, err := a.Resolve(ctx, inc.ID.String()[:7])
	if err != nil || id != inc.ID {
		t.Fatal(err)
	}
}
