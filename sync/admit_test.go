package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// A rotated-out key still names its member in the roster, for display, but
// the device holding it (perhaps a lost laptop) is no longer admitted: it
// used to pull every new event and blob. The new key is admitted.
func TestAdmitRefusesRotatedOutKey(t *testing.T) {
	w := newWorkspace(t, 31, 2)
	ctx := context.Background()
	m1 := w.members[1]
	ssh := domaintest.SSHKey("m1-proof")
	at := time.Now().Add(-time.Minute)
	own, err := domaintest.KeyProof(ssh, m1.st.Workspace(), m1.signer.Address(), at, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	next := domaintest.Key(31, 9)
	endorse, err := domaintest.KeyProof(ssh, m1.st.Workspace(), crypto.PubkeyToAddress(next.PublicKey), at, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []domain.Body{own, &domain.KeyRotate{New: crypto.PubkeyToAddress(next.PublicKey), Endorsement: *endorse}} {
		if _, err := m1.st.Append(ctx, m1.signer, b); err != nil {
			t.Fatal(err)
		}
	}
	a := w.members[0]
	if _, err := a.st.Ingest(ctx, seedRaws(t, m1.st)); err != nil {
		t.Fatal(err)
	}
	if st, err := a.st.State(ctx); err != nil || st.RotatedKey(m1.signer.Address()) == nil {
		t.Fatalf("the rotation did not fold: %v", err)
	}
	w.start()
	err = a.node.admit(m1.node.srv.Self().ID(), &m1.key.PublicKey)
	if err == nil || !strings.Contains(err.Error(), "m1's rotated-out key") {
		t.Errorf("admit the old key: %v", err)
	}
	if err := a.node.admit(m1.node.srv.Self().ID(), &next.PublicKey); err != nil {
		t.Errorf("admit the new key: %v", err)
	}
}

// A member removed (a laptop stolen) and added back with a new key is
// active again; the node holding the revoked key is not admitted: it read
// the whole workspace, every new event and blob, as the member's device.
func TestAdmitRefusesRevokedKeyOfReaddedMember(t *testing.T) {
	w := newWorkspace(t, 32, 2)
	ctx := context.Background()
	a, m1 := w.members[0], w.members[1]
	stolen := m1.signer.Address()
	next := domaintest.Key(32, 9)
	for _, b := range []domain.Body{
		&domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "m1"}, Cuts: []domain.KeyCut{{Key: stolen, Seq: 1}}},
		&domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: crypto.PubkeyToAddress(next.PublicKey), Handle: "m1", Roles: []string{"triage"}}},
	} {
		if _, err := a.st.Append(ctx, a.signer, b); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.st.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.MemberByKey(stolen); m == nil || !m.Active {
		t.Fatalf("the removed member is not active again: %+v", m)
	}
	if _, ok := st.Revoked(stolen); !ok {
		t.Fatal("the stolen key is not revoked")
	}
	w.start()
	err = a.node.admit(m1.node.srv.Self().ID(), &m1.key.PublicKey)
	if err == nil || !strings.Contains(err.Error(), "revoked at seq 1") {
		t.Errorf("admit the revoked key: %v", err)
	}
	if err := a.node.admit(m1.node.srv.Self().ID(), &next.PublicKey); err != nil {
		t.Errorf("admit the member's new key: %v", err)
	}
}
