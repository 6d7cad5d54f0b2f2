package workspace

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// A misspelt config key used to be dropped without a word: `listn:` left
// the node on the default address while the responder believed it moved.
// Config still loads (an older tminus reads a newer config), and says.
func TestConfigWarnsOfUnknownKeys(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string
		want  []string // in the warning; none: no warning
	}{
		{"known keys only", "theme: mono\n", nil},
		{"dropped letter", "listn: 127.0.0.1:4000\n", []string{`line 4: "listn" (did you mean listen?)`, "has no effect"}},
		{"swapped letters", "wathcers: []\n", []string{`"wathcers" (did you mean watchers?)`}},
		{"capitalised", "Theme: light\n", []string{`"Theme" (did you mean theme?)`}},
		{"nothing close", "colour_scheme: x\n", []string{`line 4: "colour_scheme" has no effect`, "newer tminus"}},
		{"two", "listn: x\nrunbok: /r\n", []string{`unknown keys line 4: "listn" (did you mean listen?), line 5: "runbok" (did you mean runbooks?) have no effect`}},
		{"many", "a1: 1\na2: 2\na3: 3\na4: 4\na5: 5\na6: 6\na7: 7\n", []string{`"a5", and 2 more have no effect`}},
		{"a control character", "\"bad\\x1b[2J\": 1\n", []string{`"bad\x1b[2J"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := newHome(t)
			h := th.open(t)
			data, err := os.ReadFile(h.ConfigPath())
			if err != nil {
				t.Fatal(err)
			}
			// newHome's config has handle, address, pubkey, listen: 4 lines.
			data = bytes.Replace(data, []byte("listen:"), []byte(tc.extra+"listen:"), 1)
			if got := bytes.Count(data[:bytes.Index(data, []byte(tc.extra))], []byte("\n")); got != 3 {
				t.Fatalf("the extra keys start on line %d, want 4:\n%s", got+1, data)
			}
			if err := os.WriteFile(h.ConfigPath(), data, 0o600); err != nil {
				t.Fatal(err)
			}
			var warn bytes.Buffer
			h.Warn = &warn
			if _, err := h.Config(); err != nil {
				t.Fatalf("a config with unknown keys does not load: %v", err)
			}
			got := warn.String()
			if tc.want == nil {
				if got != "" {
					t.Errorf("warned %q", got)
				}
				return
			}
			if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "tminus: warning: "+h.ConfigPath()+": unknown key") {
				t.Errorf("want one warning line naming config.yaml, got %q", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("warning %q lacks %q", got, w)
				}
			}
		})
	}
}

// The warning comes once per process however often the config is read,
// even when the config does not load (a misspelt address: is then the
// reason it fails).
func TestConfigWarnsOnce(t *testing.T) {
	th := newHome(t)
	h := th.open(t)
	data, _ := os.ReadFile(h.ConfigPath())
	bad := bytes.Replace(data, []byte("address:"), []byte("adress:"), 1)
	if err := os.WriteFile(h.ConfigPath(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	h.Warn = &warn
	for range 3 {
		if _, err := h.Config(); err == nil {
			t.Fatal("a config without address: loaded")
		}
	}
	if got := warn.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `"adress" (did you mean address?)`) {
		t.Errorf("warned %q, want once, naming adress", got)
	}
}
