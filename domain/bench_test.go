package domain_test

import (
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// BenchmarkSign: one EIP-191 signature of an event id, one core.
func BenchmarkSign(b *testing.B) {
	s := domaintest.Signer(1, 0)
	digest := domain.SigningHash(domain.ID{1})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SignHash(digest); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
}

// BenchmarkEcrecover: one public key recovery, one core; it bounds every
// path that verifies events.
func BenchmarkEcrecover(b *testing.B) {
	s := domaintest.Signer(1, 0)
	digest := domain.SigningHash(domain.ID{1})
	sig, err := s.SignHash(digest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := crypto.Ecrecover(digest, sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recovers/s")
}

// BenchmarkDecodeVerify: what a receiver does to each raw event before
// the store: decode, recover, check the body.
func BenchmarkDecodeVerify(b *testing.B) {
	tm := domaintest.NewTeam(1, 1)
	if _, err := tm.Do(0, &domain.Genesis{Name: "b", Founder: domain.MemberSpec{Address: tm.Addr(0), Handle: "alice", Roles: []string{"triage"}}}); err != nil {
		b.Fatal(err)
	}
	e, err := tm.Do(0, &domain.Note{Incident: domain.ID{1}, Text: "looked at the logs; nothing yet"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := domain.Decode(e.Raw)
		if err == nil {
			err = d.Verify()
		}
		if err == nil {
			_, err = domain.DecodeBody(d.Kind, d.Body)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

var linear20k struct {
	once   sync.Once
	events []*domain.Event
	err    error
}

// BenchmarkFold20k: the pure fold of 20,000 events in memory (the store's
// BenchmarkFold100k adds reading them from SQLite).
func BenchmarkFold20k(b *testing.B) {
	linear20k.once.Do(func() { linear20k.events, linear20k.err = domaintest.Linear(1, 4, 20_000) })
	if linear20k.err != nil {
		b.Fatal(linear20k.err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var st *domain.State
	for i := 0; i < b.N; i++ {
		st = domain.Fold(linear20k.events, nil)
	}
	b.StopTimer()
	if len(st.Rejected) != 0 {
		b.Fatalf("%d rejected, first: %+v", len(st.Rejected), st.Rejected[0])
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/fold")
	b.ReportMetric(float64(b.N*len(linear20k.events))/b.Elapsed().Seconds(), "events/s")
}
