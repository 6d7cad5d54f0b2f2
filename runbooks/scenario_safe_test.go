package runbooks

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Safe pause rehearsal tells the team, in a note, which runbook to
// propose with which params. Its note must name a shipped runbook with a
// safe: block and exactly the params that block needs, or the facilitator
// reads out a command that fails mid-drill.
func TestSafePauseRehearsalNamesARealSafeStep(t *testing.T) {
	sc, ok, err := ShippedScenario("safe-pause-rehearsal")
	if !ok || err != nil {
		t.Fatalf("safe-pause-rehearsal: ok %v, err %v", ok, err)
	}
	var propose string
	for _, in := range sc.Injects {
		if strings.Contains(in.Note, "tminus safe propose") {
			propose = in.Note
		}
	}
	if propose == "" {
		t.Fatal("no note names tminus safe propose")
	}
	m := regexp.MustCompile(`--runbook (\S+)`).FindStringSubmatch(propose)
	if m == nil {
		t.Fatalf("the propose note names no --runbook: %q", propose)
	}
	lib, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	rb, ok := lib.Get(m[1])
	if !ok || rb.Safe == nil {
		t.Fatalf("runbook %s: found %v; want a shipped runbook with a safe: block", m[1], ok)
	}
	var named []string
	for _, p := range regexp.MustCompile(`--param (\w+)=`).FindAllStringSubmatch(propose, -1) {
		named = append(named, p[1])
	}
	slices.Sort(named)
	if want := rb.Safe.Params(); !slices.Equal(named, want) {
		t.Errorf("the note names params %v, runbook %s's safe step needs %v", named, rb.ID, want)
	}
	for _, want := range []string{"--rpc", "devchain.json"} {
		if !strings.Contains(propose, want) {
			t.Errorf("the propose note lacks %q: %q", want, propose)
		}
	}
	signed := false
	for _, in := range sc.Injects {
		signed = signed || strings.Contains(in.Note, "tminus safe sign") && strings.Contains(in.Note, "tminus safe exec")
	}
	if !signed {
		t.Error("no note tells the owners how to sign and the containment lead how to exec")
	}
	var whats []string
	for _, e := range sc.Expect {
		whats = append(whats, e.What)
	}
	if !slices.Contains(whats, ExpectContained) {
		t.Errorf("expectations %v: the rehearsal is about containing", whats)
	}
}
