package domain

import "slices"

// Which incident an alert's history belongs to, for the metrics, when more
// than one lists the alert (docs/design.md, "One alert, one open incident").

// claims maps each alert linked to an incident to the incident that
// claimed it first: of those listing it, the earliest declared (then the
// lowest id). The state keeps no link times, and an alert whose link moved
// (declared from again, linked again) stays listed by both incidents; its
// first sighting and the acknowledgements made before a later incident
// existed belong to the earlier one, never to both.
type claims map[ID]*Incident

func claimsOf(s *State) claims {
	c := claims{}
	for _, inc := range s.Incidents {
		for _, id := range inc.Alerts {
			if o := c[id]; o == nil || before(inc, o) {
				c[id] = inc
			}
		}
	}
	return c
}

// before orders incidents by declaration time, then id.
func before(a, b *Incident) bool {
	if a.DeclaredAt != b.DeclaredAt {
		return a.DeclaredAt < b.DeclaredAt
	}
	return a.ID.String() < b.ID.String()
}

// owns reports whether inc claimed alert id first (or no incident did).
func (c claims) owns(inc *Incident, id ID) bool {
	o := c[id]
	return o == nil || o.ID == inc.ID
}

// acknowledged is the incident's acknowledgement as metrics count it:
// Incident.AckedAt and AckedBy, unless that is an ack of an alert made
// before the incident existed, of an alert an earlier incident claimed
// (claims): that ack was the earlier incident's. The first acknowledgement
// the state then keeps of this incident counts instead: a responder's ack
// of an alert it claims or made since its declaration, or a severity or
// status change on it. (An assign leaves no time in the state; it is
// missed here.)
func acknowledged(s *State, inc *Incident, c claims) mark {
	if inc.AckedAt == 0 {
		return mark{}
	}
	fold := mark{at: inc.AckedAt, by: inc.AckedBy}
	if inc.AckedAt >= inc.DeclaredAt {
		return fold
	}
	credited, fromAlert := false, false
	for _, id := range inc.Alerts {
		al, ok := s.Alerts[id]
		if !ok || !slices.Contains(al.Acks, Ack{By: inc.AckedBy, At: inc.AckedAt}) {
			continue
		}
		fromAlert = true
		credited = credited || c.owns(inc, id)
	}
	if credited || !fromAlert { // !fromAlert: a triage action signed before the declaration (clock skew)
		return fold
	}
	var first mark
	consider := func(at int64, by string) {
		if m := s.Members[by]; m != nil && Responder(inc, m) && (first.at == 0 || at < first.at) {
			first = mark{at: at, by: by}
		}
	}
	for _, id := range inc.Alerts {
		if al, ok := s.Alerts[id]; ok {
			for _, a := range al.Acks {
				if c.owns(inc, id) || a.At >= inc.DeclaredAt {
					consider(a.At, a.By)
				}
			}
		}
	}
	for i, ch := range inc.SevHistory {
		if i > 0 { // the first is the declaration's
			consider(ch.At, ch.By)
		}
	}
	for _, ch := range inc.StatusHistory {
		consider(ch.At, ch.By)
	}
	return first
}
