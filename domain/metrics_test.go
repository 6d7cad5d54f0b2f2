package domain

import (
	"testing"
	"time"
)

func mid(b byte) ID {
	var id ID
	id[0] = b
	return id
}

func TestMetricsOf(t *testing.T) {
	const t0 = int64(1_700_000_000_000)
	min := func(n int64) int64 { return t0 + n*60_000 }
	alertA := &Alert{ID: mid(0xa1), FirstSeen: min(-5)}
	alertLate := &Alert{ID: mid(0xa2), FirstSeen: min(10)}
	cases := []struct {
		name  string
		inc   Incident
		start int64
		want  map[string]time.Duration
	}{
		{"declared only", Incident{ID: mid(1), DeclaredAt: t0, Reached: map[string]int64{StatusDeclared: t0}},
			t0, map[string]time.Duration{}},
		{"acked and contained", Incident{ID: mid(2), DeclaredAt: t0, AckedAt: min(2),
			Reached: map[string]int64{StatusDeclared: t0, StatusTriaged: min(3), StatusContained: min(20)}},
			t0, map[string]time.Duration{PhaseAcknowledge: 2 * time.Minute, PhaseTriage: 3 * time.Minute, PhaseContain: 20 * time.Minute}},
		{"alert starts the clock", Incident{ID: mid(3), DeclaredAt: t0, AckedAt: t0, Alerts: []ID{alertA.ID}, Status: StatusResolved,
			Reached: map[string]int64{StatusDeclared: t0, StatusResolved: min(55)}},
			min(-5), map[string]time.Duration{PhaseAcknowledge: 5 * time.Minute, PhaseResolve: time.Hour}},
		{"declared from an alert, nobody acknowledged", Incident{ID: mid(4), DeclaredAt: t0, Alerts: []ID{alertA.ID},
			Reached: map[string]int64{StatusDeclared: t0}},
			min(-5), map[string]time.Duration{}},
		{"later alert does not move the start", Incident{ID: mid(5), DeclaredAt: t0, AckedAt: min(10), Alerts: []ID{alertLate.ID},
			Reached: map[string]int64{StatusDeclared: t0, StatusRecovered: min(30)}},
			t0, map[string]time.Duration{PhaseAcknowledge: 10 * time.Minute, PhaseRecover: 30 * time.Minute}},
		{"reopened: resolved once, not now", Incident{ID: mid(7), DeclaredAt: t0, Status: StatusTriaged,
			Reached: map[string]int64{StatusDeclared: t0, StatusTriaged: min(1), StatusResolved: min(9)}},
			t0, map[string]time.Duration{PhaseTriage: time.Minute}},
		{"skewed transition counts as zero", Incident{ID: mid(6), DeclaredAt: t0,
			Reached: map[string]int64{StatusDeclared: t0, StatusTriaged: min(-1)}},
			t0, map[string]time.Duration{PhaseTriage: 0}},
	}
	s := NewState()
	s.Alerts[alertA.ID], s.Alerts[alertLate.ID] = alertA, alertLate
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inc := c.inc
			m := MetricsOf(s, &inc)
			if m.Start != c.start {
				t.Errorf("start %d, want %d", m.Start, c.start)
			}
			if len(m.Times) != len(c.want) {
				t.Errorf("times %v, want %v", m.Times, c.want)
			}
			for k, v := range c.want {
				if got, ok := m.Times[k]; !ok || got != v {
					t.Errorf("%s: %v (present %v), want %v", k, got, ok, v)
				}
			}
		})
	}
}

func TestMetricsSummary(t *testing.T) {
	const t0 = int64(1_700_000_000_000)
	min := func(n int64) int64 { return t0 + n*60_000 }
	s := NewState()
	add := func(b byte, drill bool, ack, contain, resolve int64) {
		inc := &Incident{ID: mid(b), Drill: drill, DeclaredAt: t0, Reached: map[string]int64{StatusDeclared: t0}}
		if ack > 0 {
			inc.AckedAt = min(ack)
		}
		if contain > 0 {
			inc.Reached[StatusContained] = min(contain)
		}
		if resolve > 0 {
			inc.Reached[StatusResolved] = min(resolve)
			inc.Status = StatusResolved
		}
		s.Incidents[inc.ID] = inc
	}
	add(1, false, 1, 10, 60)
	add(2, false, 3, 20, 0)
	add(3, false, 8, 0, 0)
	add(4, true, 100, 100, 100) // a drill: must not move the real numbers
	sum := Metrics(s)

	cases := []struct {
		name   string
		ag     Aggregate
		phase  string
		n      int
		mean   time.Duration
		median time.Duration
	}{
		{"real ack", sum.Real, PhaseAcknowledge, 3, 4 * time.Minute, 3 * time.Minute},
		{"real contain (even count)", sum.Real, PhaseContain, 2, 15 * time.Minute, 15 * time.Minute},
		{"real resolve", sum.Real, PhaseResolve, 1, time.Hour, time.Hour},
		{"drill ack", sum.Drills, PhaseAcknowledge, 1, 100 * time.Minute, 100 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, ok := c.ag.Phases[c.phase]
			if !ok {
				t.Fatalf("no %s in %+v", c.phase, c.ag)
			}
			if st.N != c.n || st.Mean != c.mean || st.Median != c.median {
				t.Errorf("got %+v, want n=%d mean=%v median=%v", st, c.n, c.mean, c.median)
			}
		})
	}
	if sum.Real.Incidents != 3 || sum.Drills.Incidents != 1 || len(sum.Incidents) != 4 {
		t.Errorf("counts: real %d drills %d all %d", sum.Real.Incidents, sum.Drills.Incidents, len(sum.Incidents))
	}
	if _, ok := sum.Real.Phases[PhaseTriage]; ok {
		t.Errorf("no real incident was triaged, yet a triage stat: %+v", sum.Real.Phases)
	}
	if empty := Metrics(NewState()); empty.Real.Incidents != 0 || len(empty.Real.Phases) != 0 {
		t.Errorf("empty state: %+v", empty)
	}
}
