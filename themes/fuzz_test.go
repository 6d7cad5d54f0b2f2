package themes

import (
	"testing"

	"github.com/muesli/termenv"
)

func FuzzParseTheme(f *testing.F) {
	for _, name := range Names() {
		data, err := files.ReadFile("files/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{"", "palette: [", "no-color: true\n---\n", "palette: {severity: {P1: 300}}", "&a [*a]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := parse("fuzz", data)
		if err != nil {
			return
		}
		// Whatever parse accepts, NewStyles must be able to draw with.
		for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.TrueColor} {
			s := NewStyles(renderer(t, p), th)
			if got := s.Badge("P1").Render("[P1]"); p == termenv.Ascii && got != "[P1]" {
				t.Fatalf("Ascii Badge(P1) = %q", got)
			}
		}
	})
}
