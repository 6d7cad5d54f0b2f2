package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/themes"
	"github.com/tminus-ir/tminus/workspace"
)

// A theme name from the environment or config.yaml that is no theme opens
// the cockpit in the default theme with a warning; --theme's own mistakes
// stop at the command line (exit 2, TestContractExitCodes).
func TestCockpitThemeFallsBack(t *testing.T) {
	dark, _ := themes.Load("dark")
	light, _ := themes.Load("light")
	for _, tc := range []struct {
		name, flag, env, config string
		want                    themes.Theme
		warn                    bool
	}{
		{"config", "", "", "light", light, false},
		{"env over config", "", "light", "bogus", light, false},
		{"unknown in the env", "", "bogus", "", dark, true},
		{"unknown in config", "", "", "bogus", dark, true},
		{"flag over a bad env", "light", "bogus", "", light, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			a := &app{home: &workspace.Home{}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, theme: tc.flag}
			env := map[string]string{"TMINUS_THEME": tc.env}
			th, err := a.cockpitTheme(tc.config, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if th.Name != tc.want.Name {
				t.Errorf("theme %q, want %q", th.Name, tc.want.Name)
			}
			if warned := strings.Contains(errb.String(), "warning"); warned != tc.warn || (tc.warn && !strings.Contains(errb.String(), "bogus")) {
				t.Errorf("stderr %q, want a warning naming bogus: %v", errb.String(), tc.warn)
			}
		})
	}
}
