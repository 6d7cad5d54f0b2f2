package runbooks

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: arbitrary bytes never panic, every error is a *ParseError, and whatever parses
// renders without panicking.
func FuzzParse(f *testing.F) {
	names, _ := fs.Glob(embedded, "library/*.md")
	for _, name := range names {
		data, _ := embedded.ReadFile(name)
		f.Add(data)
	}
	for _, s := range []string{cliExample, withCommand("echo \"$(printf %s {{v}})\" '#' ${X} `y`"),
		withPattern("'^a|b$'"), "---\n---\n", "---\nid: [\n---\n", "---\n\tid: x\n---\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("f.md", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "f.md") {
				t.Fatalf("error %v does not point at the file", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q spans lines: the CLI prints one", err)
			}
			return
		}
		if len(rb.Steps) == 0 || len(rb.ContentHash) != 64 {
			t.Fatalf("parsed without steps or hash: %+v", rb)
		}
		if rb.Risk == RiskLow && (rb.Quorum != 0 || len(rb.Approvers) != 0) {
			t.Fatalf("risk low parsed with quorum %d, approvers %v: a gate nobody enforces", rb.Quorum, rb.Approvers)
		}
		for _, st := range rb.Steps {
			if st.Command == "" {
				t.Fatalf("step %d parsed without a command", st.Number)
			}
			if _, r, why := unseen(st.Command); why != "" {
				t.Fatalf("step %d parsed with %U in its command", st.Number, r)
			}
			_, _ = rb.Render(st.Number, map[string]string{})
		}
	})
}

// FuzzRender: for any value, Quote round-trips through a POSIX single-quote reader, and a
// rendered command is the template with exactly that quoted word in place.
func FuzzRender(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Add("plain")
	f.Add("it's")
	f.Add("\x00")
	f.Add("\xff\xfe")
	rb, err := parseLax("lax.md", runbook(laxFront, "1. Print\n   ```sh\n   printf %s x{{v}}y {{ v }}\n   ```\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		q := Quote(v)
		if back, ok := unquote(q); !ok || back != v {
			t.Fatalf("Quote(%q) = %s reads back as %q, %v", v, q, back, ok)
		}
		got, err := rb.Render(1, map[string]string{"v": v})
		if err != nil {
			if rb.Params[0].Check(v) == nil {
				t.Fatalf("render failed for an acceptable value %q: %v", v, err)
			}
			return
		}
		if want := "printf %s x" + q + "y " + q; got != want {
			t.Fatalf("rendered %q, want %q", got, want)
		}
	})
}

// placementTokens build command templates for FuzzPlacement. They can only form harmless
// commands (printf, echo, redirections into the temp dir), so running what the fuzzer builds
// is safe; "touch pwned" can only come from the value.
var placementTokens = []string{"printf %s ", "echo ", " ", "x", "'", `"`, "$(", ")", "$((", "))", "`",
	"${X:-", "}", "#", `\`, ";", "{{v}}", "$[", "]", "1+", "(", "|", "&&", ">", "\t", "$", "{", "<<"}

// FuzzPlacement: wherever a template the parser accepts puts {{v}}, a hostile value rendered
// into it and run creates no file. It checks the placement lexer against the real sh.
func FuzzPlacement(f *testing.F) {
	f.Add([]byte{0, 16})             // printf %s {{v}}
	f.Add([]byte{0, 5, 6, 1, 16, 7}) // printf %s "$(echo {{v}})"
	f.Add([]byte{1, 8, 2, 16, 9})    // echo $(( {{v}} ))
	f.Add([]byte{1, 11, 16, 12})     // echo ${X:-{{v}}}
	f.Add([]byte{1, 25, 16})         // echo ${{v}}
	f.Add([]byte{0, 16, 2, 13, 16})  // printf %s {{v}} #{{v}}
	const value = "$(touch pwned)`touch pwned`';touch pwned;'\"; touch pwned; \" \\'; touch pwned #\ntouch pwned\n$((0))"
	f.Fuzz(func(t *testing.T, picks []byte) {
		if len(picks) > 40 {
			return
		}
		var b strings.Builder
		for _, p := range picks {
			b.WriteString(placementTokens[int(p)%len(placementTokens)])
		}
		tmpl := strings.TrimSpace(b.String())
		if !strings.Contains(tmpl, "{{v}}") || strings.ContainsAny(tmpl, "\n") {
			return
		}
		rb, err := parseLax("p.md", runbook(laxFront, "1. Run\n   ```sh\n   "+tmpl+"\n   ```\n"))
		if err != nil {
			return
		}
		cmd, err := rb.Render(1, map[string]string{"v": value})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		Exec(context.Background(), cmd, ExecOptions{Dir: dir, Timeout: 2 * time.Second, MaxOutput: 4096})
		if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
			t.Fatalf("template %q let the value run a command:\n%s", tmpl, cmd)
		}
	})
}

// FuzzParseScenario: arbitrary bytes never panic, every error is a
// *ScenarioError naming the file, and what parses has its injects in order
// of offset.
func FuzzParseScenario(f *testing.F) {
	names, _ := fs.Glob(scenarioFiles, "scenarios/*.yaml")
	for _, name := range names {
		data, _ := scenarioFiles.ReadFile(name)
		f.Add(data)
	}
	for _, s := range []string{"", "name: x\n", "name: [\n", "injects:\n  - at: -1m\n", "\tname: x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario("s.yaml", data)
		if err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "s.yaml") {
				t.Fatalf("error %v does not point at the file", err)
			}
			return
		}
		for i := 1; i < len(sc.Injects); i++ {
			if sc.Injects[i].At < sc.Injects[i-1].At {
				t.Fatalf("injects out of order: %v after %v", sc.Injects[i].At, sc.Injects[i-1].At)
			}
		}
	})
}
