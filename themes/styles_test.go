package themes

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestAsciiProfileRendersPlainText(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := NewStyles(renderer(t, termenv.Ascii), mustLoad(t, name))
			for _, sev := range []string{"P1", "P2", "P3", "P4"} {
				want := "[" + sev + "]"
				if got := s.Badge(sev).Render(want); got != want {
					t.Errorf("Badge(%s) renders %q, want plain %q", sev, got, want)
				}
			}
			for field, st := range allStyles(t, s) {
				if got := st.Render("x"); strings.Contains(got, "\x1b") {
					t.Errorf("%s renders %q: escape codes in the Ascii profile", field, got)
				}
			}
		})
	}
}

func TestTrueColorProfile(t *testing.T) {
	tests := []struct {
		theme     string
		wantColor bool
	}{
		{"dark", true},
		{"light", true},
		{"high-contrast", true},
		{"mono", false},
	}
	for _, tt := range tests {
		t.Run(tt.theme, func(t *testing.T) {
			s := NewStyles(renderer(t, termenv.TrueColor), mustLoad(t, tt.theme))
			got := s.Badge("P1").Render("[P1]")
			if !strings.Contains(got, "[P1]") {
				t.Errorf("Badge(P1) renders %q, lost the text", got)
			}
			// 38;2 is the truecolour foreground sequence.
			if hasColor := strings.Contains(got, "\x1b[") && strings.Contains(got, "38;2"); hasColor != tt.wantColor {
				t.Errorf("Badge(P1) renders %q, colour = %v, want %v", got, hasColor, tt.wantColor)
			}
			for field, st := range allStyles(t, s) {
				if out := st.Render("x"); !tt.wantColor && (strings.Contains(out, "38;") || strings.Contains(out, "48;")) {
					t.Errorf("%s renders %q: colour in a no-color theme", field, out)
				}
			}
		})
	}
}

func TestBadgeAndStatusLookup(t *testing.T) {
	s := NewStyles(renderer(t, termenv.TrueColor), mustLoad(t, "dark"))
	tests := []struct {
		name string
		a, b lipgloss.Style
		same bool
	}{
		{"badge ignores case", s.Badge("p1"), s.Badge("P1"), true},
		{"P1 differs from P4", s.Badge("P1"), s.Badge("P4"), false},
		{"unknown badge is plain", s.Badge("P9"), s.plain, true},
		{"status ignores case", s.Status("CONTAINED"), s.Status("contained"), true},
		{"unknown status is plain", s.Status("paused"), s.plain, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := tt.a.Render("x") == tt.b.Render("x"); same != tt.same {
				t.Errorf("same rendering = %v, want %v", same, tt.same)
			}
		})
	}
	for _, st := range []string{"declared", "triaged", "contained", "recovered", "resolved"} {
		if s.Status(st).Render("x") == s.plain.Render("x") {
			t.Errorf("Status(%q) falls back to plain; the status map misses it", st)
		}
	}
}

// renderer returns a renderer pinned to profile, as an SSH session with that terminal would.
func renderer(t *testing.T, p termenv.Profile) *lipgloss.Renderer {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	return r
}

func mustLoad(t *testing.T, name string) Theme {
	t.Helper()
	th, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// allStyles walks the exported lipgloss.Style fields so a style added later is checked too.
func allStyles(t *testing.T, s *Styles) map[string]lipgloss.Style {
	t.Helper()
	out := map[string]lipgloss.Style{}
	v := reflect.ValueOf(*s)
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if st, ok := v.Field(i).Interface().(lipgloss.Style); ok {
			out[f.Name] = st
		}
	}
	for _, sev := range []string{"P1", "P2", "P3", "P4"} {
		out["Badge("+sev+")"] = s.Badge(sev)
	}
	for _, st := range []string{"declared", "triaged", "contained", "recovered", "resolved"} {
		out["Status("+st+")"] = s.Status(st)
	}
	return out
}
