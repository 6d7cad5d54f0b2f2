package suggest

import (
	"strings"
	"testing"
)

func TestNearestConfigKey(t *testing.T) {
	known := []string{"handle", "address", "pubkey", "listen", "runbooks", "theme", "severities", "watchers"}
	for _, tc := range []struct{ in, want string }{
		{"listn", "listen"}, {"lsiten", "listen"}, {"listenn", "listen"}, {"severites", "severities"},
		{"thme", "theme"}, {"handel", "handle"}, {"listen_addr", ""}, {"x", ""}, {"", ""},
		{strings.Repeat("a", 100), ""},
	} {
		if got := Nearest(tc.in, known); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Watcher event names: case is ignored, and the name is given as known.
func TestNearestEvent(t *testing.T) {
	known := []string{"ChangedThreshold", "OwnershipTransferred", "Paused", "Transfer", "Unpaused", "Upgraded"}
	for _, tc := range []struct{ in, want string }{
		{"Pausd", "Paused"}, {"paused", "Paused"}, {"PAUSED", "Paused"}, {"Pasued", "Paused"},
		{"Upgrade", "Upgraded"}, {"Transfered", "Transfer"}, {"Approval", ""},
	} {
		if got := Nearest(tc.in, known); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
