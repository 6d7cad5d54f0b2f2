package runbooks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

const goodScenario = `name: Oracle manipulation
description: A feed is pushed off.
severity: P1
injects:
  - at: 0s
    alert: {title: "Oracle deviation", severity: P1, source: chain, fingerprint: drill-oracle-1, labels: {feed: ETH/USD}}
  - at: 2m
    note: "Attacker funded through a mixer"
expect:
  - what: acknowledged
    within: 5m
  - what: contained
    within: 30m
`

func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario("good.yaml", []byte(goodScenario))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "Oracle manipulation" || sc.Severity != "P1" || len(sc.Injects) != 2 || len(sc.Expect) != 2 {
		t.Fatalf("parsed %+v", sc)
	}
	a := sc.Injects[0].Alert
	if a == nil || a.Fingerprint != "drill-oracle-1" || a.Source != "chain" || a.Labels["feed"] != "ETH/USD" {
		t.Errorf("alert inject %+v", a)
	}
	if sc.Injects[1].At != 2*time.Minute || sc.Injects[1].Note == "" || sc.Injects[1].Line != 7 {
		t.Errorf("note inject %+v", sc.Injects[1])
	}
	if sc.Expect[1] != (Expectation{What: "contained", Within: 30 * time.Minute, Line: 12}) {
		t.Errorf("expectation %+v", sc.Expect[1])
	}
	// The plan a drill of it signs: its expectations in scenario ms, and a
	// body the domain accepts.
	p := sc.Plan("oracle.yaml", 60)
	if p.Scenario != "oracle.yaml" || p.Speed != 60 || len(p.Expect) != 2 ||
		p.Expect[0] != (domain.DrillExpect{What: "acknowledged", WithinMs: 300_000}) || p.Expect[1].WithinMs != 1_800_000 {
		t.Errorf("plan %+v", p)
	}
	if _, err := domain.EncodeBody(&domain.IncidentDeclare{Title: sc.Name, Severity: sc.Severity, Drill: true, Plan: p}); err != nil {
		t.Errorf("the domain refuses the plan: %v", err)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown inject kind", strings.Replace(goodScenario, "    note:", "    tweet:", 1), 8, `unknown inject kind "tweet"`},
		{"out of order", strings.Replace(goodScenario, "at: 2m", "at: -1s", 1), 7, "negative"},
		{"offsets out of order", strings.Replace(goodScenario, "at: 0s", "at: 3m", 1), 7, "out of order"},
		{"missing name", strings.Replace(goodScenario, "name: Oracle manipulation\n", "", 1), 1, `missing field "name"`},
		{"missing at", strings.Replace(goodScenario, "  - at: 2m\n    note:", "  - note:", 1), 7, `missing field "at"`},
		{"missing within", strings.Replace(goodScenario, "    within: 30m\n", "", 1), 12, `missing field "within"`},
		{"bad within", strings.Replace(goodScenario, "within: 5m", "within: soon", 1), 11, "not a duration"},
		{"zero within", strings.Replace(goodScenario, "within: 5m", "within: 0s", 1), 11, "more than zero"},
		{"sub-millisecond within", strings.Replace(goodScenario, "within: 5m", "within: 5m1us", 1), 11, "finer than a millisecond"},
		{"unknown what", strings.Replace(goodScenario, "what: contained", "what: vibes", 1), 12, `unknown what "vibes"`},
		{"bad severity", strings.Replace(goodScenario, "severity: P1\n", "severity: high\n", 1), 3, "not a severity"},
		{"unknown field", goodScenario + "extra: 1\n", 14, `unknown field "extra"`},
		{"alert and note", strings.Replace(goodScenario, "    note: \"Attacker", "    alert: {title: x}\n    note: \"Attacker", 1), 9, "not alert and note"},
		{"alert without title", strings.Replace(goodScenario, `title: "Oracle deviation", `, "", 1), 6, `missing field "title"`},
		{"no injects", "name: n\nseverity: P2\ninjects: []\nexpect: [{what: triaged, within: 1m}]\n", 3, "at least one inject"},
		{"absurd offset", strings.Replace(goodScenario, "at: 2m", "at: 9999h", 1), 7, "longer than a drill"},
		{"duplicate expectation", strings.Replace(goodScenario, "what: contained", "what: acknowledged", 1), 12, "already expected on line 10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario("s.yaml", []byte(c.src))
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("want a ScenarioError, got %v", err)
			}
			if !strings.Contains(se.Msg, c.msg) || se.Line != c.line {
				t.Errorf("got %q, want line %d and %q", err, c.line, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "s.yaml:") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
	if _, err := ParseScenario("bad.yaml", []byte("name: [unclosed")); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("broken YAML: %v", err)
	}
}

const peerScenario = `name: Peers
severity: P2
injects:
  - at: 0s
    alert: {title: "Bridge paused", fingerprint: drill-bridge-1}
  - at: 1m
    peer: {as: sim-bridge-ops, action: note, text: "We paused our side"}
  - at: 2m
    peer: {as: sim-bridge-ops, action: severity, severity: P1}
  - at: 3m
    peer: {as: sim-exchange, action: task, title: "Freeze the attacker's deposits"}
  - at: 4m
    peer: {as: sim-exchange, action: ack}
expect:
  - what: acknowledged
    within: 5m
`

func TestParsePeerInjects(t *testing.T) {
	sc, err := ParseScenario("peers.yaml", []byte(peerScenario))
	if err != nil {
		t.Fatal(err)
	}
	want := []PeerAction{
		{As: "sim-bridge-ops", Action: PeerNote, Text: "We paused our side"},
		{As: "sim-bridge-ops", Action: PeerSeverity, Severity: "P1"},
		{As: "sim-exchange", Action: PeerTask, Title: "Freeze the attacker's deposits"},
		{As: "sim-exchange", Action: PeerAck},
	}
	for i, w := range want {
		in := sc.Injects[i+1]
		if in.Peer == nil || *in.Peer != w || in.Alert != nil || in.Note != "" {
			t.Errorf("inject %d: %+v, want peer %+v", i+2, in, w)
		}
	}
	if got := sc.Peers(); strings.Join(got, ",") != "sim-bridge-ops,sim-exchange" {
		t.Errorf("peers %v", got)
	}

	cases := []struct {
		name, from, to string
		line           int
		msg            string
	}{
		{"unknown action", "action: ack", "action: pause", 13, `unknown action "pause" (want note, severity, task, ack)`},
		{"status is not a peer action", "action: ack", "action: status", 13, `unknown action "status"`},
		{"missing as", "as: sim-exchange, action: ack", "action: ack", 13, `missing field "as"`},
		{"missing action", "{as: sim-exchange, action: ack}", "{as: sim-exchange}", 13, `missing field "action"`},
		{"not simulated", "as: sim-exchange, action: ack", "as: bob, action: ack", 13, `as "bob": a simulated peer's handle starts with "sim-"`},
		{"bad handle", "as: sim-exchange, action: ack", "as: sim-Exchange, action: ack", 13, `as "sim-Exchange"`},
		{"note without text", "action: note, text: \"We paused our side\"", "action: note", 7, "action note needs text:"},
		{"bad severity", "severity: P1}", "severity: P7}", 9, `"P7" is not a severity`},
		{"field of another action", "action: ack}", "action: ack, title: x}", 13, `"title" does not go with action ack`},
		{"unknown field", "action: ack}", "action: ack, pause: true}", 13, `unknown field "pause"`},
		{"peer and note", "    peer: {as: sim-exchange, action: ack}", "    peer: {as: sim-exchange, action: ack}\n    note: x", 14, "not note and peer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(peerScenario, c.from, c.to, 1)
			if src == peerScenario {
				t.Fatalf("%q not in the scenario", c.from)
			}
			_, err := ParseScenario("p.yaml", []byte(src))
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("want a ScenarioError, got %v", err)
			}
			if !strings.Contains(se.Msg, c.msg) || se.Line != c.line {
				t.Errorf("got %q, want line %d and %q", err, c.line, c.msg)
			}
		})
	}
}

func TestShippedScenarios(t *testing.T) {
	names := ShippedScenarios()
	if len(names) < 3 {
		t.Fatalf("shipped scenarios: %v", names)
	}
	for _, n := range names {
		sc, ok, err := ShippedScenario(n)
		if !ok || err != nil || sc.Name == "" {
			t.Errorf("%s: ok %v, err %v", n, ok, err)
		}
	}
	if _, ok, _ := ShippedScenario("no-such-scenario"); ok {
		t.Error("found a scenario that does not exist")
	}
	if _, ok, _ := ShippedScenario("../templates/retro-form"); ok {
		t.Error("a path escaped the scenarios directory")
	}
}

// Every shipped scenario makes a plan the domain accepts at either end of
// the speeds drill run takes.
func TestShippedScenarioPlans(t *testing.T) {
	for _, name := range ShippedScenarios() {
		sc, ok, err := ShippedScenario(name)
		if !ok || err != nil {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
		for _, speed := range []float64{domain.MinDrillSpeed, 1, domain.MaxDrillSpeed} {
			b := &domain.IncidentDeclare{Title: sc.Name, Severity: sc.Severity, Drill: true, Plan: sc.Plan(name, speed)}
			if _, err := domain.EncodeBody(b); err != nil {
				t.Errorf("%s at %gx: %v", name, speed, err)
			}
		}
	}
}
