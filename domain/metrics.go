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
	// Skewed are the phases reached but left out of Times: measured from
	// an event this replica flagged as skewed (Skew).
	Skewed []string `json:"skewed"`
	// Speed is a drill's recorded speed: its Times are in scenario time
	// (the wall clock times Speed). 0 for a real incident, and for a drill
	// declared before drills recorded their plan, measured by the wall clock.
	Speed float64 `json:"speed,omitempty"`
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
	// Skewed is how many times were left out for being measured from an
	// event flagged as skewed (IncidentMetrics.Skewed).
	Skewed int `json:"skewed_excluded"`
	// WallClock counts the drills measured by the wall clock: declared
	// before drills recorded their speed, so not in scenario time.
	WallClock int `json:"wall_clock,omitempty"`
}

// Summary keeps drills apart: they never count in real metrics.
type Summary struct {
	Real      Aggregate         `json:"real"`
	Drills    Aggregate         `json:"drills"`
	Incidents []IncidentMetrics `json:"per_incident"` // by declaration time, then id
}

// IncidentStart is when an incident began: the earliest first sighting of
// a linked alert it claims (claims), or its declaration when that is
// earlier or there is none (an alert linked later that first fired after
// the declaration does not move the start).
func IncidentStart(s *State, inc *Incident) int64 {
	return incidentStart(s, inc, claimsOf(s))
}

func incidentStart(s *State, inc *Incident, c claims) int64 {
	start := inc.DeclaredAt
	for _, id := range inc.Alerts {
		if al, ok := s.Alerts[id]; ok && c.owns(inc, id) && al.FirstSeen > 0 && al.FirstSeen < start {
			start = al.FirstSeen
		}
	}
	return start
}

// MetricsOf measures one incident. Time to acknowledge runs from the start
// to Incident.AckedAt, the first acknowledgement by a responder (see
// Responder and AckKinds), unless that was another incident's
// (acknowledged); an incident nobody acknowledged has none.
// Triage, containment and recovery run to their status's first arrival
// (Reached; containment also a successful Safe execution). Resolution runs
// to the resolution in force (resolution): a reopened incident has none.
// A transition stamped before the start (clock skew) counts as zero.
// A drill whose plan records its speed is measured in scenario time (the
// wall clock times the speed), as its deadlines were written; one without
// is measured by the wall clock (Speed 0).
func MetricsOf(s *State, inc *Incident) IncidentMetrics {
	return measure(s, inc, claimsOf(s), nil)
}

// MetricsOfExcluding is MetricsOf leaving out the times measured from an
// event sk flagged as skewed (MetricsExcluding), naming them in Skewed.
func MetricsOfExcluding(s *State, inc *Incident, sk *Skew) IncidentMetrics {
	return measure(s, inc, claimsOf(s), sk)
}

// measure is MetricsOf leaving out each time measured from an event sk
// flagged: all of them when the start was.
func measure(s *State, inc *Incident, c claims, sk *Skew) IncidentMetrics {
	m := IncidentMetrics{Incident: inc.ID, Title: inc.Title, Drill: inc.Drill, Start: incidentStart(s, inc, c),
		Times: map[string]time.Duration{}, Skewed: []string{}}
	if inc.Drill && inc.Plan != nil {
		m.Speed = inc.Plan.Speed
	}
	started := sk.started(s, inc, c, m.Start)
	ms := marks(s, inc, c)
	for _, phase := range Phases {
		mk, ok := ms[phase]
		if !ok {
			continue
		}
		if started || sk.made(inc, phase, mk) {
			m.Skewed = append(m.Skewed, phase)
			continue
		}
		m.Times[phase] = drillClock(inc, since(m.Start, mk.at))
	}
	return m
}

// since is the time from start to at (unix ms), zero when at is earlier.
func since(start, at int64) time.Duration {
	if at < start {
		return 0
	}
	return time.Duration(at-start) * time.Millisecond
}

// mark is when, by whom and by which signed event an incident reached a
// phase. by is "" and event zero where the state does not say (reached by
// the declaration, or a snapshot from before status histories).
type mark struct {
	at    int64
	by    string
	event ID
}

// marks are the phases the incident reached, as metrics count them.
func marks(s *State, inc *Incident, c claims) map[string]mark {
	out := map[string]mark{}
	if mk := acknowledged(s, inc, c); mk.at != 0 {
		out[PhaseAcknowledge] = mk
	}
	for _, phase := range []string{PhaseTriage, PhaseContain, PhaseRecover} {
		if mk := phaseMark(s, inc, phase); mk.at != 0 {
			out[phase] = mk
		}
	}
	if mk := resolution(s, inc); mk.at != 0 {
		out[PhaseResolve] = mk
	}
	return out
}

// phaseMark is the first arrival of the phase's status (statusMark), or for
// containment a successful Safe execution when that came first
// (reachedPhase).
func phaseMark(s *State, inc *Incident, phase string) mark {
	mk := statusMark(s, inc, phaseStatus[phase])
	if phase != PhaseContain {
		return mk
	}
	at, by := reachedPhase(s, inc, phase)
	if at == mk.at && by == mk.by {
		return mk
	}
	for _, id := range inc.SafeTxs {
		if p := s.Safe[id]; p != nil && p.Exec != nil && p.Exec.At == at && p.Exec.By == by {
			return mark{at: at, by: by, event: p.Exec.Event}
		}
	}
	return mark{at: at, by: by}
}

// resolution is the resolution in force: the last move to resolved, while
// the incident stands resolved. A reopened incident (moved on from
// resolved) is open and has none; resolved again, it is measured to that
// later resolution, since the first was premature. On a drill the
// resolution in force counts only when a responder made it (Responder).
func resolution(s *State, inc *Incident) mark {
	if inc.Status != StatusResolved {
		return mark{}
	}
	for i := len(inc.StatusHistory) - 1; i >= 0; i-- {
		c := inc.StatusHistory[i]
		if c.Status != StatusResolved {
			continue
		}
		if inc.Drill {
			if m := s.Members[c.By]; m == nil || !Responder(inc, m) {
				return mark{}
			}
		}
		return mark{at: c.At, by: c.By, event: c.Event}
	}
	if at, ok := inc.Reached[StatusResolved]; ok && !inc.Drill {
		return mark{at: at}
	}
	return mark{}
}

// Reached is when (unix ms) and by whom a responder first moved the
// incident to status, in fold order; 0 and "" if none did. Every member
// who can set a status is a responder on a real incident, so this is
// Incident.Reached there; on a drill the facilitator's own status changes
// do not count, as for acknowledgement (Responder).
func Reached(s *State, inc *Incident, status string) (int64, string) {
	mk := statusMark(s, inc, status)
	return mk.at, mk.by
}

// statusMark is Reached with the event that made it.
func statusMark(s *State, inc *Incident, status string) mark {
	if !inc.Drill {
		at, ok := inc.Reached[status]
		if !ok {
			return mark{}
		}
		for _, c := range inc.StatusHistory {
			if c.Status == status {
				return mark{at: at, by: c.By, event: c.Event}
			}
		}
		return mark{at: at} // "declared": reached by the declaration
	}
	for _, c := range inc.StatusHistory {
		if c.Status != status {
			continue
		}
		if m := s.Members[c.By]; m != nil && Responder(inc, m) {
			return mark{at: c.At, by: c.By, event: c.Event}
		}
	}
	return mark{}
}

// Milestone is when and by whom an incident first reached a phase.
type Milestone struct {
	Phase string        `json:"phase"`
	At    int64         `json:"at"` // unix ms, the signer's clock
	By    string        `json:"by"` // handle; "" when the log does not say
	After time.Duration `json:"after"`
}

// Milestones lists the phases an incident reached, in Phases order, as
// MetricsOf measures them (a drill's After in scenario time when its plan
// says its speed): the acknowledgement (Incident.AckedAt and
// AckedBy), each status's first arrival and the resolution in force, with
// the member whose signed event made it.
func Milestones(s *State, inc *Incident) []Milestone {
	c := claimsOf(s)
	start := incidentStart(s, inc, c)
	ms := marks(s, inc, c)
	var out []Milestone
	for _, phase := range Phases {
		if mk, ok := ms[phase]; ok {
			out = append(out, Milestone{Phase: phase, At: mk.at, By: mk.by, After: drillClock(inc, since(start, mk.at))})
		}
	}
	return out
}

// Metrics measures every incident and aggregates real incidents and drills
// apart.
func Metrics(s *State) Summary { return MetricsExcluding(s, nil) }

// MetricsExcluding is Metrics leaving out every time measured from an
// event sk flagged as skewed, and counting them: a clock hours ahead would
// otherwise put hours into the means. nil leaves nothing out.
func MetricsExcluding(s *State, sk *Skew) Summary {
	sum := Summary{Incidents: []IncidentMetrics{}}
	incs := make([]*Incident, 0, len(s.Incidents))
	for _, inc := range s.Incidents {
		incs = append(incs, inc)
	}
	sort.Slice(incs, func(i, j int) bool { return before(incs[i], incs[j]) })
	var real, drills []IncidentMetrics
	c := claimsOf(s)
	for _, inc := range incs {
		m := measure(s, inc, c, sk)
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
	for _, m := range ms {
		ag.Skewed += len(m.Skewed)
		if m.Drill && m.Speed == 0 {
			ag.WallClock++
		}
	}
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
