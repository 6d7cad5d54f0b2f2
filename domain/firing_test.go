package domain_test

import (
	"slices"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// TestFirings walks which acknowledgements count for an alert's current
// firing. Alice and carol run watchers; bob acks. A watcher's late repeat
// (carol's firing folded after alice's resolution) continues the firing; a
// watcher that saw the alert resolve and reports it firing again, or a
// first report while it stands resolved, starts a new one.
func TestFirings(t *testing.T) {
	const alice, bob, carol, dave = 0, 1, 2, 3
	fp := "fp-refire"
	alert := domain.AlertID(fp)
	obs := func(status string) domain.Body {
		return &domain.AlertObserve{Fingerprint: fp, Title: "Paused()", Status: status}
	}
	fire, resolve := obs(domain.AlertFiring), obs(domain.AlertResolved)
	ack := &domain.AlertAck{Alert: alert}
	type step struct {
		node int
		body domain.Body
	}
	cases := []struct {
		name    string
		steps   []step
		status  string   // the stored status at the end
		acks    []string // this firing's
		refired int      // index of the step that started the firing again, -1 for none
	}{
		{"first firing, acked", []step{{alice, fire}, {bob, ack}}, domain.AlertFiring, []string{"bob"}, -1},
		{"acked, resolved: the ack stands", []step{{alice, fire}, {bob, ack}, {alice, resolve}}, domain.AlertResolved, []string{"bob"}, -1},
		{"acked, resolved, firing again: unacked",
			[]step{{alice, fire}, {bob, ack}, {alice, resolve}, {alice, fire}}, domain.AlertFiring, nil, 3},
		{"acked again after the re-fire by someone else",
			[]step{{alice, fire}, {bob, ack}, {alice, resolve}, {alice, fire}, {carol, ack}}, domain.AlertFiring, []string{"carol"}, 3},
		{"acked while resolved, then firing again: unacked",
			[]step{{alice, fire}, {alice, resolve}, {bob, ack}, {alice, fire}}, domain.AlertFiring, nil, 3},
		{"late repeat from another watcher after the resolution: the firing goes on",
			[]step{{alice, fire}, {carol, fire}, {bob, ack}, {alice, resolve}, {carol, fire}}, domain.AlertFiring, []string{"bob"}, -1},
		{"late repeat, then that watcher resolves too",
			[]step{{alice, fire}, {carol, fire}, {bob, ack}, {alice, resolve}, {carol, fire}, {carol, resolve}}, domain.AlertResolved, []string{"bob"}, -1},
		{"late repeat, then the resolving watcher sees it fire again",
			[]step{{alice, fire}, {carol, fire}, {bob, ack}, {alice, resolve}, {carol, fire}, {alice, fire}}, domain.AlertFiring, nil, 5},
		{"both resolved, the other watcher sees it fire again",
			[]step{{alice, fire}, {carol, fire}, {bob, ack}, {alice, resolve}, {carol, resolve}, {carol, fire}}, domain.AlertFiring, nil, 5},
		{"resolved, a first report from a new watcher fires it again",
			[]step{{alice, fire}, {bob, ack}, {alice, resolve}, {dave, fire}}, domain.AlertFiring, nil, 3},
		{"a new watcher's first report while it fires repeats it",
			[]step{{alice, fire}, {bob, ack}, {dave, fire}}, domain.AlertFiring, []string{"bob"}, -1},
		{"first observed resolved, then firing: the first firing",
			[]step{{alice, resolve}, {bob, ack}, {alice, fire}}, domain.AlertFiring, nil, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := domaintest.NewTeam(11, 4)
			found(t, tm, quorum1, domain.RoleTriage)
			add(t, tm, alice, member(tm, bob, "bob", domain.RoleTriage))
			add(t, tm, alice, member(tm, carol, "carol", domain.RoleTriage))
			add(t, tm, alice, member(tm, dave, "dave", domain.RoleTriage))
			var events []*domain.Event
			for _, s := range c.steps {
				events = append(events, do(t, tm, s.node, s.body))
			}
			st := fold(tm.Events)
			accepted(t, st, events...)
			before := stateHash(t, st)
			f := st.Firings(tm.Events)[alert]
			if f == nil {
				t.Fatalf("no firing read for the alert")
			}
			if got := st.Alerts[alert].Status; got != c.status {
				t.Errorf("stored status %s, want %s", got, c.status)
			}
			if got := f.Ackers(); !slices.Equal(got, c.acks) {
				t.Errorf("acks of this firing %v, want %v (all acks: %v)", got, c.acks, st.Alerts[alert].Ackers())
			}
			want := int64(0)
			if c.refired >= 0 {
				want = int64(events[c.refired].Time)
			}
			if f.Refired != want {
				t.Errorf("refired at %d, want %d", f.Refired, want)
			}
			if after := stateHash(t, st); after != before {
				t.Errorf("reading the firings changed the state hash")
			}
		})
	}
}

// The fold keeps one ack per member and alert, re-fired or not: a second
// would be a new rule that replicas running older code refuse, so their
// state hashes would part. A second ack by bob is stored and refused, and
// the firing does not count it.
func TestFiringsSecondAckRefused(t *testing.T) {
	tm := domaintest.NewTeam(12, 2)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	fp := "fp-twice"
	alert := domain.AlertID(fp)
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring})
	do(t, tm, 1, &domain.AlertAck{Alert: alert})
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertResolved})
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring})
	again := do(t, tm, 1, &domain.AlertAck{Alert: alert})
	st := fold(tm.Events)
	rejected(t, st, again, "already acknowledged")
	if err := st.CheckBody(tm.Addr(1), &domain.AlertAck{Alert: alert}, tm.Clock); err == nil {
		t.Errorf("CheckBody lets bob ack the re-fired alert again: the fold refuses it")
	}
	if got := st.Firings(tm.Events)[alert].Ackers(); len(got) != 0 {
		t.Errorf("the refused second ack counts for the firing: %v", got)
	}
}

// Events the state has not folded, or refused, do not count: a view reads
// the store's events for a state folded a moment earlier.
func TestFiringsOnlyApplied(t *testing.T) {
	tm := domaintest.NewTeam(13, 3)
	found(t, tm, quorum1, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	fp := "fp-applied"
	alert := domain.AlertID(fp)
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring})
	do(t, tm, 1, &domain.AlertAck{Alert: alert})
	do(t, tm, 2, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertResolved}) // not a member
	do(t, tm, 2, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring})
	st := fold(tm.Events)
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertResolved}) // after st
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring})
	if got := st.Firings(tm.Events)[alert].Ackers(); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("acks of this firing %v, want [bob]: a stranger's observations and events past the state do not count", got)
	}
}

// BenchmarkFirings10k: the firings of 10 acked alerts read from 10,000 of their events
// (watchers' repeats, resolutions, acks), what a cockpit reads again when all of them
// changed since its last refresh.
func BenchmarkFirings10k(b *testing.B) {
	tm := domaintest.NewTeam(14, 3)
	setup := []domain.Body{&domain.Genesis{Name: "acme", Policy: quorum1, Founder: member(tm, 0, "alice", domain.RoleTriage)},
		&domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 1, "bob", domain.RoleTriage)},
		&domain.MemberPropose{Action: domain.ActionAdd, Member: member(tm, 2, "carol", domain.RoleTriage)}}
	for _, body := range setup {
		if _, err := tm.Do(0, body); err != nil {
			b.Fatal(err)
		}
	}
	for k := 0; len(tm.Events) < 10_000; k++ {
		fp := "fp-" + string(rune('a'+k%10))
		var body domain.Body = &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertFiring}
		switch k % 50 {
		case 20:
			body = &domain.AlertObserve{Fingerprint: fp, Title: "t", Status: domain.AlertResolved}
		case 0:
			body = &domain.AlertAck{Alert: domain.AlertID(fp)}
		}
		if _, err := tm.Do(k%3, body); err != nil {
			b.Fatal(err)
		}
	}
	st := domain.Fold(tm.Events, nil)
	b.ResetTimer()
	for b.Loop() {
		if len(st.Firings(tm.Events)) != 10 {
			b.Fatal("want 10 alerts' firings")
		}
	}
}
