package runbooks

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *Runbook {
	t.Helper()
	rb, err := Parse("t.md", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func TestRender(t *testing.T) {
	rb := mustParse(t, cliExample)
	tests := []struct {
		name   string
		step   int
		params map[string]string
		want   string // the command, or a substring of the error
		fails  bool
	}{
		{"step 1", 1, map[string]string{"host": "db-1.example.org"}, "ssh 'db-1.example.org' ps auxww", false},
		{"step 2", 2, map[string]string{"host": "db-1"}, "ssh 'db-1' sudo nft add rule inet filter output drop", false},
		{"step 0", 0, map[string]string{"host": "x"}, "runbook host-quarantine has 2 steps; there is no step 0", true},
		{"step past the end", 3, map[string]string{"host": "x"}, "there is no step 3", true},
		{"missing param", 1, nil, "missing param host (DNS name of the host)", true},
		{"unknown param", 1, map[string]string{"host": "x", "hots": "y"}, "unknown param hots (declared: host)", true},
		{"pattern mismatch", 1, map[string]string{"host": "; rm -rf /"}, `param host: value "; rm -rf /" does not match ^[a-z0-9.-]+$`, true},
		{"substitution", 1, map[string]string{"host": "$(touch X)"}, "does not match ^[a-z0-9.-]+$", true},
		{"backticks", 1, map[string]string{"host": "`touch X`"}, "does not match", true},
		{"newline", 1, map[string]string{"host": "a\ntouch X"}, "does not match", true},
		{"single quote", 1, map[string]string{"host": "a'b"}, "does not match", true},
		{"double quote", 1, map[string]string{"host": `a"b`}, "does not match", true},
		{"trailing newline", 1, map[string]string{"host": "a\n"}, "does not match", true},
		{"empty", 1, map[string]string{"host": ""}, "does not match", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rb.Render(tt.step, tt.params)
			switch {
			case tt.fails && err == nil:
				t.Fatalf("rendered %q, want an error", got)
			case tt.fails && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			case !tt.fails && err != nil:
				t.Fatal(err)
			case !tt.fails && got != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// laxFront declares v for parseLax, which then lets anything through, newlines included,
// so only the quoting stands between a value and the shell.
const laxFront = "id: lax\ntitle: Lax\nrisk: low\nparams:\n  v:\n    description: anything\n    pattern: '^[a-z]+$'\n"

// parseLax parses text and then lets every value of every param through (but NUL, which
// Check refuses whatever the pattern): a file can no longer say so (patternProblem), yet
// the quoting must make any value inert on its own.
func parseLax(name, text string) (*Runbook, error) {
	rb, err := Parse(name, []byte(text))
	if err != nil {
		return nil, err
	}
	for i := range rb.Params {
		rb.Params[i].Pattern = `(?s)^.*$`
		rb.Params[i].re = regexp.MustCompile(rb.Params[i].Pattern)
	}
	return rb, nil
}

func mustParseLax(t *testing.T, text string) *Runbook {
	t.Helper()
	rb, err := parseLax("t.md", text)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

// hostile values each try to create the file "pwned" in the working directory.
var hostile = []string{
	"; touch pwned",
	"x && touch pwned",
	"| touch pwned",
	"$(touch pwned)",
	"`touch pwned`",
	"x\ntouch pwned",
	"'; touch pwned; '",
	"'\"; touch pwned; \"'",
	`"; touch pwned; "`,
	`\'; touch pwned; #`,
	`\`,
	"'$(touch pwned)'",
	"${IFS}touch${IFS}pwned",
	"> pwned",
	"-n; touch pwned",
	"''''; touch pwned",
	"",
}

// TestHostileValuesAreInert runs each hostile value through every placement a runbook may
// use and checks that the command sees the value verbatim and that no file appears.
func TestHostileValuesAreInert(t *testing.T) {
	placements := []struct {
		name, cmd string
		wrap      func(string) string // what printf prints for value v
	}{
		{"word", "printf %s {{v}}", func(v string) string { return v }},
		{"inside a word", "printf %s x{{v}}y", func(v string) string { return "x" + v + "y" }},
		{"between quoted parts", "printf %s '<'{{v}}'>'", func(v string) string { return "<" + v + ">" }},
		{"command substitution", "printf %s $(printf %s {{v}} | od -An -c | tr -d ' \\n')",
			func(v string) string { return "" }}, // only the no-file check matters here
		{"substitution in double quotes", `printf %s "$(printf %s {{v}})"`,
			func(v string) string { return strings.TrimRight(v, "\n") }},
		{"twice", "printf %s {{v}}{{v}}", func(v string) string { return v + v }},
	}
	for _, p := range placements {
		rb := mustParseLax(t, runbook(laxFront, "1. Print\n   ```sh\n   "+p.cmd+"\n   ```\n"))
		for _, v := range hostile {
			cmd, err := rb.Render(1, map[string]string{"v": v})
			if err != nil {
				t.Fatalf("%s %q: %v", p.name, v, err)
			}
			dir := t.TempDir()
			res := Exec(context.Background(), cmd, ExecOptions{Dir: dir})
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("%s: value %q created a file; command was %s", p.name, v, cmd)
			}
			if res.ExitCode != 0 {
				t.Errorf("%s: value %q: exit %d: %s", p.name, v, res.ExitCode, res.Output)
			}
			if want := p.wrap(v); p.name != "command substitution" && string(res.Output) != want {
				t.Errorf("%s: value %q printed %q, want %q", p.name, v, res.Output, want)
			}
		}
	}
}

func TestLaxPatternStillRejectsNUL(t *testing.T) {
	rb := mustParseLax(t, runbook(laxFront, "1. Print\n   ```sh\n   printf %s {{v}}\n   ```\n"))
	if _, err := rb.Render(1, map[string]string{"v": "a\x00b"}); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("err = %v, want a NUL byte error", err)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"abc", "'abc'"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{`$(x) "y" \z`, `'$(x) "y" \z'`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if back, ok := unquote(Quote(tt.in)); !ok || back != tt.in {
			t.Errorf("unquote(Quote(%q)) = %q, %v", tt.in, back, ok)
		}
	}
}

// unquote reads a word made only of '...' runs and \' escapes, the two forms Quote emits,
// as a POSIX shell would.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(s[1 : 1+end])
			s = s[end+2:]
		case strings.HasPrefix(s, `\'`):
			b.WriteByte('\'')
			s = s[2:]
		default:
			return "", false
		}
	}
	return b.String(), true
}
