package domain

import "slices"

// Skew is the events one replica's store flagged as skewed: dated more
// than the store's allowed skew ahead of its clock when they arrived. It
// is a fact about that replica's arrivals, not about the event set, so it
// is never part of the state (whose hash must be equal on every replica):
// metrics take it beside the state and leave out any time measured from
// such an event (MetricsExcluding).
//
// The state names the event behind each status and severity change and
// each Safe execution, but keeps only the time and the member of an
// incident's acknowledgement and of an alert's first sighting. Those are
// matched to the flagged events by author, signed time and subject: an
// acknowledgement at that millisecond by that member, about the incident
// or one of its alerts, or an observation of the alert then.
type Skew struct {
	ids    map[ID]bool
	acks   map[skewedAt]bool // AckKinds events
	sights map[skewedAt]bool // alert.observe events, subject the alert
}

// skewedAt is a flagged event's handle, signed time and subject.
type skewedAt struct {
	by      string
	at      int64
	subject ID
}

// NewSkew indexes the flagged events; s names their authors. An event
// whose body does not decode is kept by id only.
func NewSkew(s *State, flagged []*Event) *Skew {
	sk := &Skew{ids: map[ID]bool{}, acks: map[skewedAt]bool{}, sights: map[skewedAt]bool{}}
	for _, e := range flagged {
		sk.ids[e.ID] = true
		subj, err := e.Subject()
		if err != nil {
			continue
		}
		k := skewedAt{by: s.Keys[e.Author], at: int64(e.Time), subject: subj}
		if e.Kind == KindAlertObserve {
			sk.sights[k] = true
		} else if contains(AckKinds, e.Kind) {
			sk.acks[k] = true
		}
	}
	return sk
}

// Len is the number of flagged events.
func (sk *Skew) Len() int {
	if sk == nil {
		return 0
	}
	return len(sk.ids)
}

// started reports whether the incident's start was measured from a flagged
// event: its declaration, or a flagged observation of each alert it claims
// that was first seen at the start.
func (sk *Skew) started(s *State, inc *Incident, c claims, start int64) bool {
	if sk.Len() == 0 {
		return false
	}
	if start == inc.DeclaredAt {
		return sk.ids[inc.ID]
	}
	found := false
	for _, id := range inc.Alerts {
		al, ok := s.Alerts[id]
		if !ok || !c.owns(inc, id) || al.FirstSeen != start {
			continue
		}
		if !slices.ContainsFunc(al.Observers, func(h string) bool { return sk.sights[skewedAt{by: h, at: start, subject: id}] }) {
			return false // first seen then by an unflagged observation
		}
		found = true
	}
	return found
}

// made reports whether a flagged event made the incident reach phase at mk.
func (sk *Skew) made(inc *Incident, phase string, mk mark) bool {
	if sk.Len() == 0 {
		return false
	}
	if phase != PhaseAcknowledge {
		return mk.event != (ID{}) && sk.ids[mk.event]
	}
	if sk.acks[skewedAt{by: mk.by, at: mk.at, subject: inc.ID}] {
		return true
	}
	for _, id := range inc.Alerts {
		if sk.acks[skewedAt{by: mk.by, at: mk.at, subject: id}] {
			return true
		}
	}
	return false
}
