package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const listScenario = `name: List drill
severity: P2
injects:
  - at: 0s
    alert: {title: "List alert", fingerprint: list-1}
expect:
  - what: resolved
    within: 1m
`

type listedDrill struct {
	ID, Title, Status string
	DeclaredAt        string `json:"declared_at"`
	DeclaredBy        string `json:"declared_by"`
	DeclaredByHandle  string `json:"declared_by_handle"`
	Milestones        []struct {
		What, By string
		Reached  bool
		At       *string
		AfterS   *float64 `json:"after_s"`
	}
}

func drillList(t *testing.T, home string) []listedDrill {
	t.Helper()
	out := must(t, home, "drill", "list", "--json")
	var l []listedDrill
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("drill list --json: %v\n%s", err, out)
	}
	return l
}

// drill list shows past drills, not real incidents, with when a responder
// (not the facilitator) reached each milestone, as drill run judges it.
func TestDrillList(t *testing.T) {
	dir := t.TempDir()
	alice := founder(t, dir, 1)
	if out := must(t, alice, "drill", "list", "--json"); out != "[]" {
		t.Errorf("drill list --json with no drills: %q, want []", out)
	}
	if out := must(t, alice, "drill", "list"); !strings.Contains(out, "no drills yet") {
		t.Errorf("drill list with no drills: %q", out)
	}
	must(t, alice, "incident", "declare", "--title", "Real drain", "--severity", "P1")
	bob, bobAddr := joinHome(t, dir, "bob")
	must(t, alice, "member", "add", bobAddr, "--handle", "bob", "--role", "triage")
	scenario := writeFile(t, filepath.Join(dir, "list.yaml"), listScenario)
	var card struct{ Incident string }
	if err := json.Unmarshal([]byte(must(t, alice, "drill", "run", scenario, "--speed", "3600", "--json")), &card); err != nil {
		t.Fatal(err)
	}

	// bob acknowledges the drill's alert and contains the drill.
	carry(t, alice, bob)
	var alerts []struct{ ID, Incident string }
	if err := json.Unmarshal([]byte(must(t, bob, "alert", "list", "--json")), &alerts); err != nil || len(alerts) != 1 {
		t.Fatalf("alerts on bob: %+v %v", alerts, err)
	}
	must(t, bob, "alert", "ack", alerts[0].ID)
	must(t, bob, "incident", "status", card.Incident[:8], "contained")
	carry(t, bob, alice)

	l := drillList(t, alice)
	if len(l) != 1 || l[0].ID != card.Incident || l[0].Title != "List drill" || l[0].Status != "contained" || l[0].DeclaredAt == "" {
		t.Fatalf("drill list: %+v", l)
	}
	want := map[string]bool{"acknowledged": true, "triaged": true, "contained": true, "recovered": false, "resolved": false}
	if len(l[0].Milestones) != len(want) {
		t.Fatalf("milestones: %+v", l[0].Milestones)
	}
	for _, m := range l[0].Milestones {
		reached := m.Reached && m.By == "bob" && m.At != nil && m.AfterS != nil && *m.AfterS >= 0
		unreached := !m.Reached && m.By == "" && m.At == nil && m.AfterS == nil
		if r, ok := want[m.What]; !ok || (r && !reached) || (!r && !unreached) {
			t.Errorf("%s: %+v, want reached by bob %v", m.What, m, r)
		}
	}
	out := must(t, alice, "drill", "list")
	if !strings.Contains(out, card.Incident[:10]) || !strings.Contains(out, "List drill") || strings.Contains(out, "Real drain") {
		t.Errorf("drill list:\n%s", out)
	}

	// The facilitator is named by handle, as the incident views name the
	// one who declared; declared_by keeps its meaning, the address.
	var shown struct {
		DeclaredBy string `json:"declared_by"`
	}
	if err := json.Unmarshal([]byte(must(t, alice, "incident", "show", card.Incident[:8], "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, alice, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	if l[0].DeclaredByHandle != "alice" || l[0].DeclaredByHandle != shown.DeclaredBy || l[0].DeclaredBy != id.Address {
		t.Errorf("drill list --json: declared_by %q, declared_by_handle %q; want %s and incident show's %q",
			l[0].DeclaredBy, l[0].DeclaredByHandle, id.Address, shown.DeclaredBy)
	}
	if !strings.Contains(out, "List drill, declared by alice\n") || strings.Contains(strings.ToLower(out), strings.ToLower(id.Address)) {
		t.Errorf("drill list does not name the facilitator by handle alone:\n%s", out)
	}
}

func TestDrillListBadInput(t *testing.T) {
	home, _ := newWorkspace(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"drill", "list", "extra"}, "no arguments"},
		{[]string{"drill", "list", "--speed", "2"}, "unknown flag"},
	} {
		_, errs, code := tminus(t, home, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
}
