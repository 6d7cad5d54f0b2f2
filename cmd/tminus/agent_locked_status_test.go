package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A locked agent holds no key, so it has no expiry to show: status used to
// print the last unlock's future expiry beside "locked", which reads as a
// key held until then.
func TestAgentStatusLockedShowsNoExpiry(t *testing.T) {
	home, _ := newWorkspace(t)
	startAgentWith(t, binary(t), home, "correct horse")
	var st struct {
		Locked  bool
		Expires *string
	}
	if err := json.Unmarshal([]byte(must(t, home, "agent", "status", "--json")), &st); err != nil || st.Locked || st.Expires == nil {
		t.Fatalf("unlocked agent: %+v %v, want an expiry", st, err)
	}
	must(t, home, "agent", "lock")
	st.Expires = nil
	if err := json.Unmarshal([]byte(must(t, home, "agent", "status", "--json")), &st); err != nil || !st.Locked || st.Expires != nil {
		t.Errorf("locked agent: locked %v, expires %v (%v), want null", st.Locked, st.Expires != nil, err)
	}
	if out := must(t, home, "agent", "status"); !strings.Contains(out, "expires  - (locked") {
		t.Errorf("locked agent's status:\n%s", out)
	}
}
