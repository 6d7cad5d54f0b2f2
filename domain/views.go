package domain

import (
	"sort"
	"strconv"
)

// Corroboration is "k/n": distinct members whose nodes saw the alert over
// the members who run a watcher or webhook (have ever observed an alert).
func (s *State) Corroboration(al *Alert) string {
	n := 0 // the watchers still on the roster: a removed member's node no longer reports
	for h := range s.Watchers {
		if m := s.Members[h]; m != nil && m.Active {
			n++
		}
	}
	if n < len(al.Observers) {
		n = len(al.Observers)
	}
	return strconv.Itoa(len(al.Observers)) + "/" + strconv.Itoa(n)
}

// Suggestion is the severity the workspace's policy suggests for a firing
// alert ("P1" once Policy.SuggestP1At members' watchers observed it), or ""
// when it suggests nothing beyond the alert's own severity. It only
// suggests: severity changes stay signed decisions of people.
func (s *State) Suggestion(al *Alert) string {
	k := s.Policy.SuggestP1At
	if k <= 0 || al.Status != AlertFiring || al.Severity == "P1" || len(al.Observers) < k {
		return ""
	}
	if inc := s.Incidents[al.Incident]; inc != nil && inc.Severity == "P1" {
		return ""
	}
	return "P1"
}

// Open reports whether an incident still needs work.
func (inc *Incident) Open() bool { return inc.Status != StatusResolved }

// SortedIncidents lists open incidents first, then by severity, newest first.
func (s *State) SortedIncidents() []*Incident {
	out := make([]*Incident, 0, len(s.Incidents))
	for _, inc := range s.Incidents {
		out = append(out, inc)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Open() != b.Open() {
			return a.Open()
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.DeclaredAt != b.DeclaredAt {
			return a.DeclaredAt > b.DeclaredAt
		}
		return string(a.ID[:]) < string(b.ID[:])
	})
	return out
}

// SortedAlerts lists alerts newest first.
func (s *State) SortedAlerts() []*Alert {
	out := make([]*Alert, 0, len(s.Alerts))
	for _, al := range s.Alerts {
		out = append(out, al)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].LastSeen != out[j].LastSeen {
			return out[i].LastSeen > out[j].LastSeen
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}
