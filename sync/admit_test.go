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
