package domain

// An alert keeps one acknowledgement per member for as long as it exists
// (Alert.Acks, checkAlertAck): the fold is shared by every replica, and
// counting a second ack after a re-fire would be a new rule old replicas
// refuse. What a responder needs to see is whether anyone acknowledged the
// alert since it last started firing: an alert acked, resolved and firing
// again is unattended. That is read here from the alert's events, in fold
// order, like a timeline (store.SubjectEvents), and never enters the state
// or its hash.

// Firing is an alert's current firing, as its events tell it.
type Firing struct {
	// Refired is when (unix ms, the observation's own time, for display) the
	// alert started firing again after a resolution; 0 in its first firing.
	Refired int64
	// Acks are the acknowledgements the fold applied since the current
	// firing began, in fold order: those that count for it.
	Acks []Ack
}

// Ackers are the handles that acknowledged this firing, in fold order.
func (f *Firing) Ackers() []string {
	if f == nil {
		return nil
	}
	out := make([]string, len(f.Acks))
	for i, a := range f.Acks {
		out[i] = a.By
	}
	return out
}

// Firings reads the current firing of every alert with events among
// events, given in fold order; events the fold did not apply are skipped,
// so callers may pass more.
//
// A firing begins at a firing observation from a member whose previous
// observation of the alert said resolved, or at a member's first
// observation of it while it stands resolved (or is new). A firing
// observation from a member whose previous one also said firing repeats
// what that member already reported: watchers repeat an alert while it
// fires, and one that is late folds after another watcher's resolution
// without the alert having resolved for it. Such a repeat flips the stored
// status back to firing but continues the firing its acknowledgements
// belong to.
func (s *State) Firings(events []*Event) map[ID]*Firing {
	type track struct {
		f      *Firing
		status string            // the stored status so far, as the fold sets it
		last   map[string]string // member -> the status of their previous observation
		fired  bool              // a firing has begun before
	}
	applied := s.appliedFilter()
	alerts := map[ID]*track{}
	get := func(id ID) *track {
		t := alerts[id]
		if t == nil {
			t = &track{f: &Firing{}, last: map[string]string{}}
			alerts[id] = t
		}
		return t
	}
	for _, e := range events {
		if e.Kind != KindAlertObserve && e.Kind != KindAlertAck || !applied(e) {
			continue
		}
		b, err := decodeBody(e.Kind, e.Body)
		if err != nil {
			continue
		}
		by := s.Handle(e.Author)
		switch b := b.(type) {
		case *AlertObserve:
			t := get(AlertID(b.Fingerprint))
			prev, seen := t.last[by]
			if b.Status == AlertFiring && prev != AlertFiring && (seen || t.status != AlertFiring) {
				if t.fired {
					t.f.Refired = int64(e.Time)
				}
				t.f.Acks, t.fired = nil, true
			}
			t.last[by], t.status = b.Status, b.Status
		case *AlertAck:
			t := get(b.Alert)
			t.f.Acks = append(t.f.Acks, Ack{By: by, At: int64(e.Time)})
		}
	}
	out := make(map[ID]*Firing, len(alerts))
	for id, t := range alerts {
		out[id] = t.f
	}
	return out
}
