package domain_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

func goodPlan() *domain.DrillPlan {
	return &domain.DrillPlan{Scenario: "oracle-manipulation", Speed: 10, Expect: []domain.DrillExpect{
		{What: domain.DrillAcknowledged, WithinMs: 5 * 60_000}, {What: domain.DrillContained, WithinMs: 30 * 60_000}}}
}

// TestDrillPlanValidate: a declaration carries a plan only on a drill, and
// only one drill run could have made; each refusal names what is wrong.
func TestDrillPlanValidate(t *testing.T) {
	with := func(f func(p *domain.DrillPlan)) *domain.DrillPlan { p := goodPlan(); f(p); return p }
	six := with(func(p *domain.DrillPlan) {
		for _, m := range domain.DrillMilestones {
			p.Expect = append(p.Expect, domain.DrillExpect{What: m, WithinMs: 1000})
		}
	})
	cases := []struct {
		name  string
		drill bool
		plan  *domain.DrillPlan
		want  string // "" for valid
	}{
		{"a drill with a plan", true, goodPlan(), ""},
		{"a drill without one (declared before plans)", true, nil, ""},
		{"every milestone, slowest and fastest speeds", true, with(func(p *domain.DrillPlan) {
			p.Expect = nil
			for _, m := range domain.DrillMilestones {
				p.Expect = append(p.Expect, domain.DrillExpect{What: m, WithinMs: domain.MaxDrillLength.Milliseconds()})
			}
			p.Speed = domain.MaxDrillSpeed
		}), ""},
		{"the slowest speed", true, with(func(p *domain.DrillPlan) { p.Speed = domain.MinDrillSpeed }), ""},
		{"a speed near zero", true, with(func(p *domain.DrillPlan) { p.Speed = 1e-300 }), "at least 0.001"},
		{"plan on a real incident", false, goodPlan(), "not a drill"},
		{"no scenario", true, with(func(p *domain.DrillPlan) { p.Scenario = " " }), "plan scenario is required"},
		{"oversized scenario", true, with(func(p *domain.DrillPlan) { p.Scenario = strings.Repeat("s", 201) }), "limit 200"},
		{"scenario not UTF-8", true, with(func(p *domain.DrillPlan) { p.Scenario = "\xff" }), "not valid UTF-8"},
		{"zero speed", true, with(func(p *domain.DrillPlan) { p.Speed = 0 }), "speed 0"},
		{"negative speed", true, with(func(p *domain.DrillPlan) { p.Speed = -2 }), "speed -2"},
		{"huge speed", true, with(func(p *domain.DrillPlan) { p.Speed = 1e300 }), "at most 3600"},
		{"just over the limit", true, with(func(p *domain.DrillPlan) { p.Speed = 3600.5 }), "at most 3600"},
		{"NaN speed", true, with(func(p *domain.DrillPlan) { p.Speed = math.NaN() }), "speed NaN"},
		{"infinite speed", true, with(func(p *domain.DrillPlan) { p.Speed = math.Inf(1) }), "speed +Inf"},
		{"no expectations", true, with(func(p *domain.DrillPlan) { p.Expect = nil }), "0 expectations"},
		{"more expectations than milestones", true, six, "7 expectations, want 1 to 5"},
		{"unknown milestone", true, with(func(p *domain.DrillPlan) { p.Expect[1].What = "declared" }), `unknown milestone "declared"`},
		{"a milestone twice", true, with(func(p *domain.DrillPlan) { p.Expect[1].What = domain.DrillAcknowledged }), "acknowledged expected twice"},
		{"zero deadline", true, with(func(p *domain.DrillPlan) { p.Expect[0].WithinMs = 0 }), "within 0 ms"},
		{"negative deadline", true, with(func(p *domain.DrillPlan) { p.Expect[0].WithinMs = -1 }), "within -1 ms"},
		{"deadline past a week", true, with(func(p *domain.DrillPlan) { p.Expect[0].WithinMs = domain.MaxDrillLength.Milliseconds() + 1 }), "at most 168h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: c.drill, Plan: c.plan}
			data, err := domain.EncodeBody(b)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("encode: %v, want %q", err, c.want)
			case c.want != "":
				return
			}
			got, err := domain.DecodeBody(domain.KindIncidentDeclare, data)
			if err != nil {
				t.Fatalf("decode %s: %v", data, err)
			}
			if again, _ := json.Marshal(got); !bytes.Equal(again, data) {
				t.Fatalf("round trip: %s, then %s", data, again)
			}
		})
	}
}

// A declaration without a plan encodes as it did before plans existed, so
// old events keep their bytes, ids and signatures; a plan that is not in
// canonical form, or carries a field of its own, is refused on decode.
func TestDrillPlanEncoding(t *testing.T) {
	data, err := domain.EncodeBody(&domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true})
	if err != nil || string(data) != `{"title":"Gameday","severity":"P2","drill":true}` {
		t.Fatalf("no plan: %s, %v", data, err)
	}
	data, err = domain.EncodeBody(&domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true, Plan: goodPlan()})
	const want = `{"title":"Gameday","severity":"P2","drill":true,"plan":{"scenario":"oracle-manipulation","speed":10,` +
		`"expect":[{"what":"acknowledged","within_ms":300000},{"what":"contained","within_ms":1800000}]}}`
	if err != nil || string(data) != want {
		t.Fatalf("plan: %s, %v\nwant %s", data, err, want)
	}
	for name, body := range map[string]string{
		"speed not canonical": strings.Replace(want, `"speed":10`, `"speed":10.0`, 1),
		"speed as exponent":   strings.Replace(want, `"speed":10`, `"speed":1e1`, 1),
		"fields reordered":    strings.Replace(want, `"scenario":"oracle-manipulation","speed":10`, `"speed":10,"scenario":"oracle-manipulation"`, 1),
		"unknown plan field":  strings.Replace(want, `"speed":10`, `"speed":10,"grace":5`, 1),
		"null plan":           `{"title":"Gameday","severity":"P2","drill":true,"plan":null}`,
		"plan on a real one":  strings.Replace(want, `"drill":true,`, ``, 1),
		"speed as a string":   strings.Replace(want, `"speed":10`, `"speed":"10"`, 1),
		"within as a float":   strings.Replace(want, `300000`, `300000.5`, 1),
	} {
		if _, err := domain.DecodeBody(domain.KindIncidentDeclare, []byte(body)); err == nil {
			t.Errorf("%s: accepted %s", name, body)
		}
	}
}

// TestJudgeDrill walks JudgeDrill's numbered rules with a plan at speed 10:
// acknowledged within 60 s (6 s of wall clock), contained within 300 s
// (30 s). Times are ms after the start.
func TestJudgeDrill(t *testing.T) {
	const start = int64(1_700_000_000_000)
	plan := &domain.DrillPlan{Scenario: "s", Speed: 10, Expect: []domain.DrillExpect{
		{What: domain.DrillAcknowledged, WithinMs: 60_000}, {What: domain.DrillContained, WithinMs: 300_000}}}
	cases := []struct {
		name        string
		ack, contai int64 // ms after start; -1 not reached
		now         int64
		want        [2]string
		over        bool
		end         int64
	}{
		{"1 both met by their deadlines; over at the last", 2_000, 30_000, 40_000, [2]string{"met", "met"}, true, 30_000},
		{"1 met exactly at the deadline", 6_000, 30_000, 40_000, [2]string{"met", "met"}, true, 30_000},
		{"5 nothing yet", -1, -1, 1_000, [2]string{"pending", "pending"}, false, 30_000},
		{"4 ack overdue while the drill runs: missed for now", -1, -1, 7_000, [2]string{"missed", "pending"}, false, 30_000},
		{"3 acked late, before the drill ended", 10_000, -1, 12_000, [2]string{"late", "pending"}, false, 30_000},
		{"3 late stays late once over", 10_000, 20_000, 40_000, [2]string{"late", "met"}, true, 20_000},
		{"2 over when the last met comes before a late one", 10_000, 5_000, 40_000, [2]string{"missed", "met"}, true, 6_000},
		{"4 reached after the end is missed", 31_000, -1, 40_000, [2]string{"missed", "missed"}, true, 30_000},
		{"4 not reached, all deadlines past", -1, -1, 30_001, [2]string{"missed", "missed"}, true, 30_000},
		{"5 not over at the deadline itself", -1, -1, 30_000, [2]string{"missed", "pending"}, false, 30_000},
		{"2 a reach before the start (skew) still meets", -500, 1_000, 40_000, [2]string{"met", "met"}, true, 1_000},
	}
	at := func(d int64) domain.DrillReach {
		if d == -1 {
			return domain.DrillReach{}
		}
		return domain.DrillReach{At: start + d, By: "bob"}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := domain.JudgeDrill(plan, start, []domain.DrillReach{at(c.ack), at(c.contai)}, start+c.now)
			got := [2]string{sc.Results[0].Verdict, sc.Results[1].Verdict}
			if got != c.want || sc.Over != c.over || sc.End != start+c.end {
				t.Errorf("verdicts %v over %v end +%d, want %v over %v end +%d", got, sc.Over, sc.End-start, c.want, c.over, c.end)
			}
			if sc.Results[0].Deadline != start+6_000 || sc.Results[1].Deadline != start+30_000 {
				t.Errorf("deadlines +%d, +%d", sc.Results[0].Deadline-start, sc.Results[1].Deadline-start)
			}
			met := 0
			for _, v := range c.want {
				if v == domain.DrillMet {
					met++
				}
			}
			if sc.Met() != met {
				t.Errorf("met %d, want %d", sc.Met(), met)
			}
		})
	}
	// Once over, the verdicts no longer depend on when they are asked.
	r := []domain.DrillReach{at(10_000), at(20_000)}
	a, b := domain.JudgeDrill(plan, start, r, start+20_001), domain.JudgeDrill(plan, start, r, start+1e9)
	if a.Results[0].Verdict != b.Results[0].Verdict || a.Results[1].Verdict != b.Results[1].Verdict || !a.Over || a.End != b.End {
		t.Errorf("over at the end: %+v; much later: %+v", a, b)
	}
}

// A deadline falls where drill run scheduled it before plans existed: the
// start plus the scenario's deadline divided by the speed, on the ms.
func TestDrillDeadlineAsScheduled(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		start := domaintest.Epoch + rng.Int63n(1e9)
		within := 1 + rng.Int63n(domain.MaxDrillLength.Milliseconds())
		speed := []float64{1, 3, 10, 600, 3600, 0.5, 7.3, domain.MinDrillSpeed}[i%8] + float64(i%3)*rng.Float64()
		speed = math.Min(speed, domain.MaxDrillSpeed)
		p := &domain.DrillPlan{Speed: speed}
		e := domain.DrillExpect{WithinMs: within}
		old := time.UnixMilli(start).Add(time.Duration(float64(time.Duration(within)*time.Millisecond) / speed)).UnixMilli()
		if got := p.Deadline(start, e); got != old {
			t.Fatalf("start %d within %d ms speed %v: deadline %d, drill run scheduled %d", start, within, speed, got, old)
		}
	}
}

// planTeam is a team with a drill declared with plan by alice, its
// facilitator; bob is a triage responder.
func planTeam(t *testing.T, plan *domain.DrillPlan) (*domaintest.Team, *domain.Event) {
	t.Helper()
	tm := domaintest.NewTeam(21, 2)
	found(t, tm, quorum1, domain.RoleTriage, domain.RoleContainment)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage, domain.RoleContainment))
	return tm, do(t, tm, 0, &domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true, Plan: plan})
}

// The fold keeps the plan on the incident; ScoreDrill judges it from the
// state as JudgeDrill does; a drill's metrics and milestones are in
// scenario time when the plan says its speed, by the wall clock when not.
func TestDrillPlanFold(t *testing.T) {
	plan := goodPlan() // speed 10: acknowledged within 30 s, contained within 180 s of wall clock
	tm, decl := planTeam(t, plan)
	fp := "fp-drill"
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "Oracle", Status: domain.AlertFiring}) // +1 s
	do(t, tm, 0, &domain.IncidentLink{Incident: decl.ID, Alert: domain.AlertID(fp)})                 // +2 s
	ack := do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID(fp)})                                 // +3 s
	st := tm.Fold(nil)
	accepted(t, st, tm.Events...)
	inc := st.Incidents[decl.ID]
	if inc.Plan == nil || inc.Plan.Speed != 10 || len(inc.Plan.Expect) != 2 || inc.Plan.Scenario != "oracle-manipulation" {
		t.Fatalf("folded plan %+v", inc.Plan)
	}
	plan.Expect[0].What = domain.DrillResolved // the fold holds its own copy
	if inc.Plan.Expect[0].What != domain.DrillAcknowledged {
		t.Fatal("the folded plan shares the body's expectations")
	}
	sc, ok := domain.ScoreDrill(st, inc, int64(ack.Time)+1)
	if !ok || sc.Results[0].Verdict != domain.DrillMet || sc.Results[0].By != "bob" || sc.Results[0].At != int64(ack.Time) ||
		sc.Results[1].Verdict != domain.DrillPending || sc.Over {
		t.Fatalf("score %+v %v", sc, ok)
	}
	sc, _ = domain.ScoreDrill(st, inc, inc.DeclaredAt+180_001)
	if sc.Results[1].Verdict != domain.DrillMissed || !sc.Over || sc.Met() != 1 {
		t.Fatalf("score after the last deadline %+v", sc)
	}
	wall := time.Duration(int64(ack.Time)-inc.DeclaredAt) * time.Millisecond
	m := domain.MetricsOf(st, inc)
	if m.Speed != 10 || m.Times[domain.PhaseAcknowledge] != 10*wall {
		t.Errorf("metrics %+v, want speed 10 and acknowledge %s (10 x %s)", m, 10*wall, wall)
	}
	if ms := domain.Milestones(st, inc); len(ms) != 1 || ms[0].After != 10*wall {
		t.Errorf("milestones %+v, want acknowledged after %s", ms, 10*wall)
	}
	sum := domain.Metrics(st)
	if sum.Drills.Incidents != 1 || sum.Drills.WallClock != 0 || sum.Drills.Phases[domain.PhaseAcknowledge].Mean != 10*wall || sum.Real.Incidents != 0 {
		t.Errorf("summary %+v", sum)
	}

	// A drill declared without a plan: no score, wall-clock times.
	tm, decl = planTeam(t, nil)
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "Oracle", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: decl.ID, Alert: domain.AlertID(fp)})
	ack = do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID(fp)})
	st = tm.Fold(nil)
	inc = st.Incidents[decl.ID]
	if _, ok := domain.ScoreDrill(st, inc, int64(ack.Time)); ok || inc.Plan != nil {
		t.Errorf("a drill without a plan scored: %+v", inc.Plan)
	}
	wall = time.Duration(int64(ack.Time)-inc.DeclaredAt) * time.Millisecond
	if m := domain.MetricsOf(st, inc); m.Speed != 0 || m.Times[domain.PhaseAcknowledge] != wall {
		t.Errorf("metrics without a plan %+v, want %s", m, wall)
	}
	if sum := domain.Metrics(st); sum.Drills.WallClock != 1 {
		t.Errorf("wall-clock drills %d, want 1", sum.Drills.WallClock)
	}
	raw, _ := json.Marshal(inc)
	if strings.Contains(string(raw), `"plan"`) {
		t.Errorf("an incident without a plan encodes one, changing old state hashes: %s", raw)
	}
}

// Replicas that receive a drill's events in any order fold the same plan,
// the same score and the same state hash.
func TestDrillPlanConverges(t *testing.T) {
	tm, decl := planTeam(t, goodPlan())
	fp := "fp-conv"
	do(t, tm, 0, &domain.AlertObserve{Fingerprint: fp, Title: "Oracle", Status: domain.AlertFiring})
	do(t, tm, 0, &domain.IncidentLink{Incident: decl.ID, Alert: domain.AlertID(fp)})
	do(t, tm, 1, &domain.AlertAck{Alert: domain.AlertID(fp)})
	do(t, tm, 1, &domain.IncidentStatus{Incident: decl.ID, Status: domain.StatusContained})
	do(t, tm, 0, &domain.IncidentDeclare{Title: "Second", Severity: "P3", Drill: true, Plan: &domain.DrillPlan{
		Scenario: "tiny.yaml", Speed: 0.5, Expect: []domain.DrillExpect{{What: domain.DrillResolved, WithinMs: 1000}}}})
	want := tm.Fold(nil)
	wantHash := stateHash(t, want)
	wantScore, _ := domain.ScoreDrill(want, want.Incidents[decl.ID], domaintest.Epoch+1e7)
	if wantScore.Met() != 2 {
		t.Fatalf("score %+v", wantScore)
	}
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 50; i++ {
		st := fold(shuffled(rng, tm.Events))
		if h := stateHash(t, st); h != wantHash {
			t.Fatalf("shuffle %d: state hash %s, want %s", i, h, wantHash)
		}
		sc, _ := domain.ScoreDrill(st, st.Incidents[decl.ID], domaintest.Epoch+1e7)
		for j, r := range sc.Results {
			if r != wantScore.Results[j] {
				t.Fatalf("shuffle %d: %+v, want %+v", i, r, wantScore.Results[j])
			}
		}
	}
}

// FuzzDrillPlan: a declaration body with a plan decodes only when valid
// and canonical, re-encodes to the same bytes, carries a plan only on a
// drill, and judging what it holds never panics.
func FuzzDrillPlan(f *testing.F) {
	for _, p := range []*domain.DrillPlan{goodPlan(), {Scenario: "x", Speed: domain.MinDrillSpeed, Expect: []domain.DrillExpect{{What: "resolved", WithinMs: 1}}}} {
		data, err := domain.EncodeBody(&domain.IncidentDeclare{Title: "Gameday", Severity: "P2", Drill: true, Plan: p})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, int64(5000))
	}
	f.Add([]byte(`{"title":"t","severity":"P1","drill":true,"plan":{"scenario":"s","speed":1e-300,"expect":[{"what":"triaged","within_ms":604800000}]}}`), int64(-1))
	f.Add([]byte(`{"title":"t","severity":"P1","plan":{}}`), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, now int64) {
		b, err := domain.DecodeBody(domain.KindIncidentDeclare, data)
		if err != nil {
			return
		}
		again, err := json.Marshal(b)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted %s, re-encodes as %s (%v)", data, again, err)
		}
		d := b.(*domain.IncidentDeclare)
		if d.Plan == nil {
			return
		}
		if !d.Drill {
			t.Fatalf("a plan on a real incident: %s", data)
		}
		reached := make([]domain.DrillReach, len(d.Plan.Expect))
		for i := range reached {
			reached[i].At = now + int64(i)*1000
		}
		sc := domain.JudgeDrill(d.Plan, domaintest.Epoch, reached, now)
		if len(sc.Results) != len(d.Plan.Expect) {
			t.Fatalf("%d results for %d expectations", len(sc.Results), len(d.Plan.Expect))
		}
		for _, r := range sc.Results {
			if r.Deadline < domaintest.Epoch {
				t.Fatalf("deadline before the start: %+v", r)
			}
		}
	})
}
