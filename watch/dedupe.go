package watch

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// Alertmanager delivers at least once: a timeout or a 5xx makes it resend the
// same notification, and a group's every notification (each group_interval,
// default 5m, while any of its alerts changes) carries its unchanged alerts
// again. The window drops those resends, while a repeat after the window
// (Alertmanager's repeat_interval defaults to 4h) is forwarded so the store
// can update last-seen. It is an hour, not 5m: a window no longer than
// group_interval stored every unchanged alert of a churning group again at
// each notification, an event per alert per 5m.
const (
	defaultDedupeWindow = time.Hour
	// 65,536 entries of about 100 bytes with list and map overhead is
	// about 8 MiB.
	defaultDedupeSize = 1 << 16
)

// fingerprintKey is a fingerprint hashed to a fixed size, so a sender's long
// fingerprint costs the cache no more than a short one.
type fingerprintKey [16]byte

func keyOf(fp string) fingerprintKey {
	var k fingerprintKey
	sum := sha256.Sum256([]byte(fp))
	copy(k[:], sum[:])
	return k
}

// delivery is what was last stored for one fingerprint, and when.
type delivery struct {
	key      fingerprintKey
	startsAt time.Time
	status   string
	at       time.Time
}

// same reports whether a says what the last stored observation said.
func (d *delivery) same(a Alert) bool {
	return d.status == a.Status && d.startsAt.Equal(a.StartsAt)
}

// deliveries remembers, per fingerprint, the last stored (startsAt, status),
// bounded in count (least recently stored evicted first) and in age
// (window). Only the last one counts: firing, resolved, then firing again
// with the same startsAt (Alertmanager resends the alert it resolved on a
// timeout once Prometheus sends it again) is a change, not a resend, and
// dropping it left the alert resolved while it fired.
type deliveries struct {
	mu     sync.Mutex
	window time.Duration
	size   int
	order  *list.List // front is the most recently stored
	index  map[fingerprintKey]*list.Element
}

func newDeliveries(size int, window time.Duration) *deliveries {
	return &deliveries{
		window: window,
		size:   size,
		order:  list.New(),
		index:  make(map[fingerprintKey]*list.Element),
	}
}

// fresh returns the alerts that are not a repeat, within the window, of
// what was last stored for their fingerprint, also collapsing repeats inside
// one batch. It does not record them: only a successful Observe does, so a
// failed store is retried in full on redelivery. Two deliveries racing each
// other can therefore both be forwarded; the store folds repeats of a
// fingerprint anyway, so this only costs an event.
func (d *deliveries) fresh(alerts []Alert, now time.Time) []Alert {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Alert, 0, len(alerts))
	// The batch's own last word per fingerprint, ahead of what is stored.
	batch := make(map[fingerprintKey]*delivery, len(alerts))
	for _, a := range alerts {
		k := keyOf(a.Fingerprint)
		if last, ok := batch[k]; ok {
			if last.same(a) {
				continue
			}
		} else if e, ok := d.index[k]; ok {
			if last := e.Value.(*delivery); now.Sub(last.at) < d.window && last.same(a) {
				continue
			}
		}
		batch[k] = &delivery{key: k, startsAt: a.StartsAt, status: a.Status}
		out = append(out, a)
	}
	return out
}

// stored records alerts the sink has made durable, in the order stored: the
// last of a fingerprint's is what it now says.
func (d *deliveries) stored(alerts []Alert, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range alerts {
		k := keyOf(a.Fingerprint)
		if e, ok := d.index[k]; ok {
			last := e.Value.(*delivery)
			last.startsAt, last.status, last.at = a.StartsAt, a.Status, now
			d.order.MoveToFront(e)
			continue
		}
		d.index[k] = d.order.PushFront(&delivery{key: k, startsAt: a.StartsAt, status: a.Status, at: now})
		for d.order.Len() > d.size {
			old := d.order.Back()
			d.order.Remove(old)
			delete(d.index, old.Value.(*delivery).key)
		}
	}
}
