package domain

import (
	"sort"
	"time"
)

// Phases an incident is measured to, each a duration from its start.
const (
	PhaseAcknowledge = "acknowledge"
	PhaseTriage      = "triage"
	PhaseContain     = "contain"
	PhaseRecover     = "recover"
	PhaseResolve     = "resolve"
)

// Phases in their usual order.
var Phases = []string{PhaseAcknowledge, PhaseTriage, PhaseContain, PhaseRecover, PhaseResolve}

// phaseStatus is the status whose first arrival ends a phase.
var phaseStatus = map[string]string{
	PhaseTriage:  StatusTriaged,
	PhaseContain: StatusContained,
	PhaseRecover: StatusRecovered,
	PhaseResolve: StatusResolved,
}

// IncidentMetrics are one incident's times, from the signed transition
// times. Times holds only the phases the incident has reached.
type IncidentMetrics struct {
	Incident ID                       `json:"incident"`
	Title    string                   `json:"title"`
	Drill    bool                     `json:"drill"`
	Start    int64                    `json:"start"` // unix ms
	Times    map[string]time.Duration `json:"times"` // Phase* -> duration
}

// Stat is a mean and a median over the incidents that reached a phase.
type Stat struct {
	N      int           `json:"n"`
	Mean   time.Duration `json:"mean"`
	Median time.Duration `json:"median"`
}

// Aggregate is the statistics of one population: real incidents or drills.
type Aggregate struct {
	Incidents int             `json:"incidents"`
	Phases    map[string]Stat `json:"phases"` // only phases some incident reached
}

// Summary keeps drills apart: they never count in real metrics.
type Summary struct {
	Real      Aggregate         `json:"real"`
	Drills    Aggregate         `json:"drills"`
	Incidents []IncidentMetrics `json:"per_incident"` // by declaration time, then id
}

// IncidentStart is when an incident began: the earliest first sighting of
// a linked alert, or its declaration when that is earlier or there is none
// (an alert linked later that first fired after the declaration does not
// move the start).
func IncidentStart(s *State, inc *Incident) int64 {
	start := inc.DeclaredAt
	for _, id := range inc.Alerts {
		if al, ok := s.Alerts[id]; ok && al.FirstSeen > 0 && al.FirstSeen < start {
			start = al.FirstSeen
		}
	}
	return start
}

// MetricsOf measures one incident. Time to acknowledge runs from the start
// to Incident.AckedAt, the first acknowledgement by a responder (see
// Responder and AckKinds); an incident nobody acknowledged has none.
// A transition stamped before the start (clock skew) counts as zero.
func MetricsOf(s *State, inc *Incident) IncidentMetrics {
	m := IncidentMetrics{Incident: inc.ID, Title: inc.Title, Drill: inc.Drill, Start: IncidentStart(s, inc),
		Times: map[string]time.Duration{}}
	since := func(at int64) time.Duration {
		if at < m.Start {
			return 0
		}
		return time.Duration(at-m.Start) * time.Millisecond
	}
	if inc.AckedAt != 0 {
		m.Times[PhaseAcknowledge] = since(inc.AckedAt)
	}
	for phase := range phaseStatus {
		if at, _ := reachedPhase(s, inc, phase); at != 0 {
			m.Times[phase] = since(at)
		}
	}
	return m
}

// Reached is when (unix ms) and by whom a responder first moved the
// incident to status, in fold order; 0 and "" if none did. Every member
// who can set a status is a responder on a real incident, so this is
// Incident.Reached there; on a drill the facilitator's own status changes
// do not count, as for acknowledgement (Responder).
func Reached(s *State, inc *Incident, status string) (int64, string) {
	if !inc.Drill {
		at, ok := inc.Reached[status]
		if !ok {
			return 0, ""
		}
		for _, c := range inc.StatusHistory {
			if c.Status == status {
				return at, c.By
			}
		}
		return at, "" // "declared": reached by the declaration
	}
	for _, c := range inc.StatusHistory {
		if c.Status != status {
			continue
		}
		if m := s.Members[c.By]; m != nil && Responder(inc, m) {
			return c.At, c.By
		}
	}
	return 0, ""
}

// Milestone is when and by whom an incident first reached a phase.
type Milestone struct {
	Phase string        `json:"phase"`
	At    int64         `json:"at"` // unix ms, the signer's clock
	By    string        `json:"by"` // handle; "" when the log does not say
	After time.Duration `json:"after"`
}

// Milestones lists the phases an incident reached, in Phases order: the
// acknowledgement (Incident.AckedAt and AckedBy) and each status's first arrival,
// with the member whose signed event made it.
func Milestones(s *State, inc *Incident) []Milestone {
	m := MetricsOf(s, inc)
	var out []Milestone
	for _, phase := range Phases {
		d, ok := m.Times[phase]
		if !ok {
			continue
		}
		ms := Milestone{Phase: phase, After: d}
		if phase == PhaseAcknowledge {
			ms.At, ms.By = inc.AckedAt, inc.AckedBy
		} else {
			ms.At, ms.By = reachedPhase(s, inc, phase)
		}
		out = append(out, ms)
	}
	return out
}

// Metrics measures every incident and aggregates real incidents and drills
// apart.
func Metrics(s *State) Summary {
	sum := Summary{Incidents: []IncidentMetrics{}}
	incs := make([]*Incident, 0, len(s.Incidents))
	for _, inc := range s.Incidents {
		incs = append(incs, inc)
	}
	sort.Slice(incs, func(i, j int) bool {
		if incs[i].DeclaredAt != incs[j].DeclaredAt {
			return incs[i].DeclaredAt < incs[j].DeclaredAt
		}
		return incs[i].ID.String() < incs[j].ID.String()
	})
	var real, drills []IncidentMetrics
	for _, inc := range incs {
		m := MetricsOf(s, inc)
		sum.Incidents = append(sum.Incidents, m)
		if inc.Drill {
			drills = append(drills, m)
		} else {
			real = append(real, m)
		}
	}
	sum.Real, sum.Drills = aggregate(real), aggregate(drills)
	return sum
}

func aggregate(ms []IncidentMetrics) Aggregate {
	ag := Aggregate{Incidents: len(ms), Phases: map[string]Stat{}}
	for _, phase := range Phases {
		var ds []time.Duration
		for _, m := range ms {
			if d, ok := m.Times[phase]; ok {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			ag.Phases[phase] = stat(ds)
		}
	}
	return ag
}

func stat(ds []time.Duration) Stat {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	n := len(ds)
	median := ds[n/2]
	if n%2 == 0 {
		median = (ds[n/2-1] + ds[n/2]) / 2
	}
	return Stat{N: n, Mean: total / time.Duration(n), Median: median}
}
