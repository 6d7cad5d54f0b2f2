package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// init --suggest-p1-at K: a firing alert seen by K members' watchers carries
// the policy's suggestion in alert list --json; below K, or without the
// policy, none.
func TestSuggestP1Policy(t *testing.T) {
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	for _, c := range []struct {
		at   string
		want string
	}{{"0", ""}, {"1", "P1"}, {"2", ""}} {
		home := filepath.Join(t.TempDir(), "alice")
		must(t, home, "init", "--name", "acme", "--handle", "alice", "--light-kdf", "--suggest-p1-at", c.at)
		must(t, home, "alert", "raise", "--title", "Paused() on the bridge", "--severity", "P3", "--source", "chain")
		var alerts []struct {
			Suggested string `json:"suggested_severity"`
		}
		if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &alerts); err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 1 || alerts[0].Suggested != c.want {
			t.Errorf("--suggest-p1-at %s: %+v, want suggestion %q", c.at, alerts, c.want)
		}
	}
	if _, errs, code := tminus(t, filepath.Join(t.TempDir(), "x"), "init", "--name", "a", "--handle", "a", "--light-kdf", "--suggest-p1-at", "-1"); code != 2 {
		t.Errorf("a negative threshold: exit %d: %s", code, errs)
	}
}
