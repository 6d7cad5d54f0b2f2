package tui

import (
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// A lead removed from the roster still stands on the incident; the header said "rec dave"
// as if nothing had happened. It now says so on line 3's right, which is kept whole at
// every width, so someone assigns the role again.
func TestHeaderSaysALeadWasRemoved(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "dave"},
		Cuts: []domain.KeyCut{{Key: s.addr("dave"), Seq: 1}}}, s.now())
	if s.st.Members["dave"].Active {
		t.Fatalf("dave was not removed: %+v", s.st.Rejected)
	}
	for _, w := range []int{60, 80, 160} {
		h := newHarness(t, s.fake, w, 24)
		if lead := strings.Split(h.screen(), "\n")[2]; !strings.Contains(lead, "REMOVED LEAD: rec dave · alerts") {
			t.Errorf("at %d columns line 3 reads %q", w, lead)
		}
	}
	// Reassigned, the warning goes.
	s.apply("alice", &domain.IncidentAssign{Incident: s.p1, Role: domain.RoleRecorder, Member: "alice"}, s.now())
	h := newHarness(t, s.fake, 80, 24)
	h.lacks("REMOVED LEAD")
}
