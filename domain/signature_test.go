package domain_test

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// notes seals n notes, each by one of signers in turn.
func notes(t *testing.T, n int, signers ...domain.Signer) []*domain.Event {
	t.Helper()
	evs := make([]*domain.Event, n)
	for i := range evs {
		evs[i] = sealed(t, signers[i%len(signers)], &domain.Note{Incident: domain.ID{1}, Text: fmt.Sprint("note ", i)})
	}
	return evs
}

// verifyEach runs VerifyEach and returns its errors and how many
// signatures a batch passed and how many it sent back one by one.
func verifyEach(evs []*domain.Event, pre []error) (errs []error, passed, rechecked int64) {
	errs = append([]error(nil), pre...)
	p0, r0 := domain.BatchStats()
	domain.VerifyEach(evs, errs)
	p1, r1 := domain.BatchStats()
	return errs, p1 - p0, r1 - r0
}

func TestVerifyEachBatchesKnownAuthors(t *testing.T) {
	// A seed no other test uses: these authors are unknown until now.
	signers := []domain.Signer{domaintest.Signer(4711, 0), domaintest.Signer(4711, 1), domaintest.Signer(4711, 2)}
	evs := notes(t, 300, signers...)
	errs, passed, rechecked := verifyEach(evs, make([]error, len(evs)))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	// Each author's first event is recovered, which makes its key known.
	if passed != 297 || rechecked != 0 {
		t.Fatalf("batch passed %d and rechecked %d signatures, want 297 and 0", passed, rechecked)
	}
	// Too few for a batch: recovered one by one, still checked.
	if _, passed, _ := verifyEach(fresh(t, evs[:10]), make([]error, 10)); passed != 0 {
		t.Fatalf("a batch of 10 ran (%d)", passed)
	}
}

// Whatever is wrong with some events of a batch, each event gets the
// error Verify gives it, and the good ones none.
func TestVerifyEachAgreesWithVerify(t *testing.T) {
	alice, bob, carol := domaintest.Signer(1, 0), domaintest.Signer(1, 1), domaintest.Signer(1, 2)
	good := notes(t, 200, alice, bob, carol)
	decodeFailed := errors.New("decode failed")
	harms := []struct {
		name string
		harm func(t *testing.T, e *domain.Event) *domain.Event
	}{
		{"recovery id flipped", func(t *testing.T, e *domain.Event) *domain.Event {
			sig := append([]byte(nil), e.Sig...)
			sig[64] = 27 + 28 - sig[64]
			return redecode(t, e, sig)
		}},
		{"a byte of r flipped", func(t *testing.T, e *domain.Event) *domain.Event {
			sig := append([]byte(nil), e.Sig...)
			sig[7] ^= 0x10
			return redecode(t, e, sig)
		}},
		{"a byte of s flipped", func(t *testing.T, e *domain.Event) *domain.Event {
			sig := append([]byte(nil), e.Sig...)
			sig[50] ^= 0x01
			return redecode(t, e, sig)
		}},
		{"high-S twin", func(t *testing.T, e *domain.Event) *domain.Event { return redecode(t, e, highS(e.Sig)) }},
		{"signed by another member", func(t *testing.T, e *domain.Event) *domain.Event {
			other := alice
			if e.Author == alice.Address() {
				other = bob
			}
			sig, err := other.SignHash(domain.SigningHash(e.ID))
			if err != nil {
				t.Fatal(err)
			}
			sig[64] += 27
			return redecode(t, e, sig)
		}},
		{"v=0", func(t *testing.T, e *domain.Event) *domain.Event {
			sig := append([]byte(nil), e.Sig...)
			sig[64] -= 27
			return redecode(t, e, sig)
		}},
		{"not decoded", func(*testing.T, *domain.Event) *domain.Event { return nil }},
	}
	rng := rand.New(rand.NewSource(3))
	for round := range 40 {
		evs := fresh(t, good) // as a peer's batch arrives: nothing verified yet
		pre := make([]error, len(evs))
		harmed := map[int]string{}
		for range 1 + rng.Intn(4) {
			i, h := rng.Intn(len(evs)), harms[rng.Intn(len(harms))]
			evs[i], harmed[i] = h.harm(t, good[i]), h.name
			pre[i] = nil
			if evs[i] == nil {
				pre[i] = decodeFailed
			}
		}
		errs, _, rechecked := verifyEach(evs, pre)
		// Only a signature of the right shape reaches the batch.
		batchHarmed := false
		for _, name := range harmed {
			batchHarmed = batchHarmed || name != "high-S twin" && name != "v=0" && name != "not decoded"
		}
		if batchHarmed != (rechecked > 0) {
			t.Fatalf("round %d (%v): %d signatures checked again after the batch", round, harmed, rechecked)
		}
		for i, e := range evs {
			var want error
			switch {
			case e == nil:
				want = decodeFailed
			default:
				want = e.Verify()
			}
			if fmt.Sprint(errs[i]) != fmt.Sprint(want) {
				t.Fatalf("round %d, event %d (%s): VerifyEach says %v, Verify %v", round, i, harmed[i], errs[i], want)
			}
			if _, bad := harmed[i]; bad && errs[i] == nil {
				t.Fatalf("round %d, event %d (%s) passed", round, i, harmed[i])
			}
		}
	}
}

// fresh decodes evs again: a decoded event remembers that it verified.
func fresh(t *testing.T, evs []*domain.Event) []*domain.Event {
	t.Helper()
	out := make([]*domain.Event, len(evs))
	for i, e := range evs {
		d, err := domain.Decode(e.Raw)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// redecode is e with another signature, decoded as a peer would.
func redecode(t *testing.T, e *domain.Event, sig []byte) *domain.Event {
	t.Helper()
	d, err := domain.Decode(withSig(t, e.Raw, sig))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A verified event remembers it; VerifyAll checks a file's worth on all
// cores and leaves the bad ones to fail Verify with their own error.
func TestVerifyAllRemembers(t *testing.T) {
	good := notes(t, 5000, domaintest.Signer(4712, 0), domaintest.Signer(4712, 1))
	evs := fresh(t, good)
	bad := redecode(t, good[4321], highS(good[4321].Sig))
	forged := append([]byte(nil), good[77].Sig...)
	forged[10] ^= 0x40
	evs[4321], evs[77] = bad, redecode(t, good[77], forged)
	domain.VerifyAll(evs)
	for i, e := range evs {
		err := e.Verify()
		if (err != nil) != (i == 77 || i == 4321) {
			t.Fatalf("event %d: Verify after VerifyAll = %v", i, err)
		}
	}
	if err := evs[4321].Verify(); !errors.Is(err, domain.ErrHighS) {
		t.Fatalf("high-S twin: %v", err)
	}
	// What VerifyAll passed costs no recovery to verify again.
	p0, r0 := domain.BatchStats()
	domain.VerifyEach(evs[100:200], make([]error, 100))
	if p1, r1 := domain.BatchStats(); p1 != p0 || r1 != r0 {
		t.Fatalf("remembered events were batched again (%d, %d)", p1-p0, r1-r0)
	}
}
