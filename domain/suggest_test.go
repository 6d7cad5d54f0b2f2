package domain_test

import (
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

func TestSuggestion(t *testing.T) {
	firing := func(sev string, observers ...string) *domain.Alert {
		return &domain.Alert{Status: domain.AlertFiring, Severity: sev, Observers: observers}
	}
	p1 := &domain.Incident{ID: domain.ID{7}, Severity: "P1"}
	p3 := &domain.Incident{ID: domain.ID{8}, Severity: "P3"}
	linked := func(al *domain.Alert, inc *domain.Incident) *domain.Alert { al.Incident = inc.ID; return al }
	resolved := firing("P3", "a", "b", "c")
	resolved.Status = domain.AlertResolved
	for _, c := range []struct {
		name string
		at   int
		al   *domain.Alert
		want string
	}{
		{"no policy", 0, firing("P3", "a", "b", "c"), ""},
		{"below the threshold", 3, firing("P3", "a", "b"), ""},
		{"at the threshold", 3, firing("P3", "a", "b", "c"), "P1"},
		{"already P1", 3, firing("P1", "a", "b", "c"), ""},
		{"resolved", 3, resolved, ""},
		{"linked to a P1 incident", 2, linked(firing("P2", "a", "b"), p1), ""},
		{"linked to a P3 incident", 2, linked(firing("P2", "a", "b"), p3), "P1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := domain.NewState()
			s.Policy.SuggestP1At = c.at
			s.Incidents[p1.ID], s.Incidents[p3.ID] = p1, p3
			if got := s.Suggestion(c.al); got != c.want {
				t.Errorf("Suggestion = %q, want %q", got, c.want)
			}
		})
	}
}

func TestGenesisSuggestThresholdRange(t *testing.T) {
	for _, k := range []int{-1, 1001} {
		g := &domain.Genesis{Name: "acme", Policy: domain.Policy{SuggestP1At: k},
			Founder: domain.MemberSpec{Handle: "alice", Roles: []string{"triage"}, Address: [20]byte{1}}}
		if err := g.Validate(); err == nil {
			t.Errorf("threshold %d accepted", k)
		}
	}
}
