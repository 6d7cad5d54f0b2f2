package themes

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEveryThemeLoads(t *testing.T) {
	names := Names()
	for _, want := range []string{"dark", "high-contrast", "light", "mono"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %q", names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			th, err := Load(name)
			if err != nil {
				t.Fatalf("Load(%q): %v", name, err)
			}
			if th.Name != name {
				t.Errorf("Name = %q, want %q", th.Name, name)
			}
			if th.NoColor != (name == "mono") {
				t.Errorf("NoColor = %v, want it only for mono", th.NoColor)
			}
			for _, nc := range th.Palette.colors() {
				if th.NoColor && nc.c != "" {
					t.Errorf("palette.%s = %q, want no colour in a no-color theme", nc.key, nc.c)
				}
				if !th.NoColor && nc.c == "" {
					t.Errorf("palette.%s is unset", nc.key)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"default", "", nil, "dark"},
		{"env", "", map[string]string{"TMINUS_THEME": "light"}, "light"},
		{"flag beats env", "high-contrast", map[string]string{"TMINUS_THEME": "light"}, "high-contrast"},
		{"NO_COLOR beats flag", "dark", map[string]string{"NO_COLOR": "1", "TMINUS_THEME": "light"}, "mono"},
		{"NO_COLOR beats env", "", map[string]string{"NO_COLOR": "yes", "TMINUS_THEME": "light"}, "mono"},
		{"empty NO_COLOR is unset", "light", map[string]string{"NO_COLOR": ""}, "light"},
		{"unknown passes through for Load to reject", "neon", nil, "neon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			if got := Resolve(tt.flag, getenv); got != tt.want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.flag, got, tt.want)
			}
		})
	}
}

func TestLoadUnknown(t *testing.T) {
	for _, name := range []string{"neon", "", "../dark", "files/dark", "DARK"} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(name)
			if !errors.Is(err, ErrUnknownTheme) {
				t.Fatalf("Load(%q) error = %v, want ErrUnknownTheme", name, err)
			}
			for _, valid := range Names() {
				if !strings.Contains(err.Error(), valid) {
					t.Errorf("error %q does not list valid theme %q", err, valid)
				}
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr string // a fragment a reader needs to fix the file
	}{
		{"empty", "", "file is empty"},
		{"not yaml", "palette: [", "theme bad:"},
		{"palette is a list", "palette: [1, 2]", "theme bad:"},
		{"misspelt key", "palete:\n  foreground: \"#ffffff\"", "palete"},
		{"partial palette", "palette:\n  foreground: \"#ffffff\"", "palette misses muted"},
		{"bad hex", fullPalette(t, "accent", `"#12"`), `palette.accent: "#12" is not a colour`},
		{"colour name", fullPalette(t, "severity.P1", "red"), `palette.severity.P1: "red"`},
		{"ansi out of range", fullPalette(t, "ok", "256"), `palette.ok: "256"`},
		{"ansi with sign", fullPalette(t, "ok", "+9"), `palette.ok: "+9"`},
		{"no-color with palette", "no-color: true\npalette:\n  accent: \"#ffffff\"", "palette sets accent"},
		{"two documents", "no-color: true\n---\nno-color: true\n", "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("bad", []byte(tt.data))
			if err == nil {
				t.Fatalf("parse(%q) succeeded, want error containing %q", tt.data, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseAcceptsANSINumbers(t *testing.T) {
	// Unquoted numbers are YAML ints; they must still land in the string colour fields.
	th, err := parse("ansi", []byte(fullPalette(t, "severity.P1", "9")))
	if err != nil {
		t.Fatal(err)
	}
	if th.Palette.Severity.P1 != "9" {
		t.Errorf("severity.P1 = %q, want \"9\"", th.Palette.Severity.P1)
	}
}

// fullPalette returns the dark theme's file with one key's value replaced, so a test can
// break exactly one colour.
func fullPalette(t *testing.T, key, value string) string {
	t.Helper()
	data, err := files.ReadFile("files/dark.yaml")
	if err != nil {
		t.Fatal(err)
	}
	leaf := key[strings.LastIndex(key, ".")+1:]
	var out []string
	replaced := false
	for _, line := range strings.Split(string(data), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == leaf && !replaced {
			indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
			line = indent + leaf + ": " + value
			replaced = true
		}
		out = append(out, line)
	}
	if !replaced {
		t.Fatalf("dark.yaml has no key %q", key)
	}
	return strings.Join(out, "\n")
}
