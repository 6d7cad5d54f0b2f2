package workspace

import (
	"os"
	"strings"
	"testing"
)

// Saving over a config.yaml keeps what Config does not hold (a newer
// tminus's key, the responder's comments) and writes what it does: key
// rotate rewrote the file and dropped both.
func TestSaveConfigKeepsWhatItDoesNotKnow(t *testing.T) {
	th := newHome(t)
	h := th.open(t)
	data, err := os.ReadFile(h.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	edited := "# alice's laptop: keep the theme for the wall screen\n" + string(data) +
		"theme: light # the NOC's\nfuture_setting: 42\n"
	if err := os.WriteFile(h.ConfigPath(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	h = th.open(t)
	c, err := h.Config()
	if err != nil || c.Theme != "light" {
		t.Fatalf("the edited config: %+v, %v", c, err)
	}
	next := *c
	next.Theme, next.Listen = "dark", "127.0.0.1:30999"
	if err := h.SaveConfig(&next); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(h.ConfigPath())
	for _, want := range []string{"# alice's laptop: keep the theme for the wall screen", "future_setting: 42",
		"theme: dark # the NOC's", "listen: 127.0.0.1:30999", "address: " + c.Address} {
		if !strings.Contains(string(saved), want) {
			t.Errorf("the saved config lacks %q:\n%s", want, saved)
		}
	}
	again, err := th.open(t).Config()
	if err != nil || again.Theme != "dark" || again.Listen != "127.0.0.1:30999" || again.Address != c.Address {
		t.Fatalf("the saved config reads %+v, %v", again, err)
	}
	// A key c leaves empty goes; so does a file that is not a mapping, whole.
	next.Theme = ""
	if err := h.SaveConfig(&next); err != nil {
		t.Fatal(err)
	}
	if saved, _ := os.ReadFile(h.ConfigPath()); strings.Contains(string(saved), "theme:") || !strings.Contains(string(saved), "future_setting: 42") {
		t.Errorf("an emptied theme:\n%s", saved)
	}
	if err := os.WriteFile(h.ConfigPath(), []byte("- a list\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.SaveConfig(&next); err != nil {
		t.Fatal(err)
	}
	if again, err := th.open(t).Config(); err != nil || again.Address != c.Address {
		t.Fatalf("saved over a list: %+v, %v", again, err)
	}
}
