package watch

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// Alertmanager delivers at least once: a timeout or a 5xx makes it resend the
// same notification. The window drops those resends, while a repeat after
// the window (Alertmanager's repeat_interval defaults to 4h) is forwarded so
// the store can update last-seen.
const (
	defaultDedupeWindow = 5 * time.Minute
	// 65,536 keys of 16 bytes plus list and map overhead is about 8 MiB.
	defaultDedupeSize = 1 << 16
)

// deliveryKey is (fingerprint, startsAt, status) hashed to a fixed size, so
// a sender's long fingerprint costs the cache no more than a short one.
type deliveryKey [16]byte

func keyOf(a Alert) deliveryKey {
	h := sha256.New()
	h.Write([]byte(a.Fingerprint))
	var buf [1 + 8 + 4]byte
	buf[0] = 0 // ends the fingerprint: it may contain any other byte
	binary.BigEndian.PutUint64(buf[1:], uint64(a.StartsAt.Unix()))
	binary.BigEndian.PutUint32(buf[9:], uint32(a.StartsAt.Nanosecond()))
	h.Write(buf[:])
	h.Write([]byte(a.Status))
	var k deliveryKey
	copy(k[:], h.Sum(nil))
	return k
}

type delivery struct {
	key deliveryKey
	at  time.Time
}

// deliveries remembers recently stored alerts, bounded in count (least
// recently stored evicted first) and in age (window).
type deliveries struct {
	mu     sync.Mutex
	window time.Duration
	size   int
	order  *list.List // front is the most recently stored
	index  map[deliveryKey]*list.Element
}

func newDeliveries(size int, window time.Duration) *deliveries {
	return &deliveries{
		window: window,
		size:   size,
		order:  list.New(),
		index:  make(map[deliveryKey]*list.Element),
	}
}

// fresh returns the alerts not stored within the window, also collapsing
// repeats inside one batch. It does not record them: only a successful
// Observe does, so a failed store is retried in full on redelivery. Two
// deliveries racing each other can therefore both be forwarded; the store
// folds repeats of a fingerprint anyway, so this only costs an event.
func (d *deliveries) fresh(alerts []Alert, now time.Time) []Alert {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Alert, 0, len(alerts))
	batch := make(map[deliveryKey]struct{}, len(alerts))
	for _, a := range alerts {
		k := keyOf(a)
		if _, dup := batch[k]; dup {
			continue
		}
		batch[k] = struct{}{}
		if e, ok := d.index[k]; ok && now.Sub(e.Value.(*delivery).at) < d.window {
			continue
		}
		out = append(out, a)
	}
	return out
}

// stored records alerts the sink has made durable.
func (d *deliveries) stored(alerts []Alert, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range alerts {
		k := keyOf(a)
		if e, ok := d.index[k]; ok {
			e.Value.(*delivery).at = now
			d.order.MoveToFront(e)
			continue
		}
		d.index[k] = d.order.PushFront(&delivery{key: k, at: now})
		for d.order.Len() > d.size {
			old := d.order.Back()
			d.order.Remove(old)
			delete(d.index, old.Value.(*delivery).key)
		}
	}
}
