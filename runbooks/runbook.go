package runbooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Risk says whether a runbook's steps may run without approvals.
type Risk string

const (
	// RiskLow steps run without approvals: evidence collection, messages.
	RiskLow Risk = "low"
	// RiskHigh steps change something and need Quorum approvals first.
	RiskHigh Risk = "high"
)

// Roles a runbook may name as approvers. Kept here rather than taken from domain so that
// runbook files can be checked without the event log; domain is the authority on who holds
// which role.
var Roles = []string{"reporter", "triage", "comms", "containment", "recorder"}

// Severities a runbook may apply to.
var Severities = []string{"P1", "P2", "P3", "P4"}

// Runbook is one parsed runbook file.
type Runbook struct {
	ID        string
	Title     string
	When      string
	Severity  []string // empty: applies to every severity
	Risk      Risk
	Quorum    int      // distinct approving members needed when Risk is high
	Approvers []string // roles whose holders may approve
	Params    []Param  // in the order the file declares them
	Steps     []Step
	// Safe is the runbook's `safe:` block, a Safe transaction (safe.go); nil for none.
	Safe     *SafeStep
	Markdown string // the body after the front matter, for display

	// ContentHash is the sha256 of the file's exact bytes: a proposal records it, and exec
	// refuses when the local file no longer hashes the same.
	ContentHash string
	// encodings are the hashes of the same text with other line endings or byte-order
	// mark, to say so when a copy differs only in those (encodingHint).
	encodings []string
	// Source is the file path, or "embedded:" and the path inside the binary.
	Source string
}

// Param is a declared parameter of a runbook.
type Param struct {
	Name        string
	Description string
	Pattern     string
	re          *regexp.Regexp
	line        int // of its name in the file
}

// Step is one numbered step: a title and exactly one shell one-liner.
type Step struct {
	Number  int
	Title   string
	Notes   string // prose under the step, if any
	Command string // the one-liner with its {{param}} placeholders
	Line    int    // line of the step's title in the file

	holes []hole
}

// hole is one {{name}} placeholder in a command, by byte offsets.
type hole struct {
	name       string
	start, end int
}

// Params lists the parameter names the step's command uses, in order of first use.
func (s Step) Params() []string {
	var names []string
	for _, h := range s.holes {
		if !slices.Contains(names, h.name) {
			names = append(names, h.name)
		}
	}
	return names
}

// Param returns the declared parameter with that name.
func (r *Runbook) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// AppliesTo reports whether the runbook fits an incident of that severity.
func (r *Runbook) AppliesTo(severity string) bool {
	return len(r.Severity) == 0 || slices.Contains(r.Severity, severity)
}

// Check tells whether value is acceptable for the parameter; forms call it on every keystroke.
func (p Param) Check(value string) error {
	if strings.IndexByte(value, 0) >= 0 {
		// sh -c cannot carry a NUL byte in its argument; refuse rather than truncate.
		return fmt.Errorf("param %s: value contains a NUL byte", p.Name)
	}
	if p.re == nil || !p.re.MatchString(value) {
		return fmt.Errorf("param %s: value %s does not match %s", p.Name, clip(value), p.Pattern)
	}
	return nil
}

// clip quotes a value for an error message without letting a huge one flood the screen.
func clip(v string) string {
	const shown = 80
	if len(v) > shown {
		return fmt.Sprintf("%q…", v[:shown])
	}
	return fmt.Sprintf("%q", v)
}

// ParseError points at the file and line a runbook is wrong at.
type ParseError struct {
	File string
	Line int // 0 when the problem is the file as a whole
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Parse reads one runbook file. name is used in errors and as Source.
func Parse(name string, data []byte) (*Runbook, error) {
	sum := sha256.Sum256(data)
	text := string(bytes.TrimPrefix(data, []byte("\ufeff")))
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	p := &parser{file: name}

	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return nil, p.errf(1, "missing front matter: a runbook starts with a --- line, then YAML, then another --- line")
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, p.errf(1, "front matter is not closed: add a --- line after the YAML")
	}

	rb := &Runbook{
		ContentHash: hex.EncodeToString(sum[:]),
		encodings:   encodings(lines, hex.EncodeToString(sum[:])),
		Source:      name,
		Markdown:    strings.Join(lines[end+1:], "\n"),
	}
	// Line 1 is the opening ---, so YAML line n is file line n+1.
	if err := p.frontMatter(rb, strings.Join(lines[1:end], "\n"), 1); err != nil {
		return nil, err
	}
	if err := p.body(rb, lines[end+1:], end+1); err != nil {
		return nil, err
	}
	if err := p.unusedParams(rb); err != nil {
		return nil, err
	}
	return rb, nil
}

type parser struct {
	file string
}

func (p *parser) errf(line int, format string, args ...any) error {
	return &ParseError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// unusedParams refuses a declared parameter no step and no safe: block uses. It is a
// value the proposer must give that changes nothing, and most often a sign the command
// was meant to use it: ssh $HOST, or {host} where {{host}} was meant, runs without it.
func (p *parser) unusedParams(rb *Runbook) error {
	used := map[string]bool{}
	for _, st := range rb.Steps {
		for _, name := range st.Params() {
			used[name] = true
		}
	}
	if rb.Safe != nil {
		for _, name := range rb.Safe.Params() {
			used[name] = true
		}
	}
	for _, prm := range rb.Params {
		if !used[prm.Name] {
			return p.errf(prm.line, "param %s is declared but no step uses it: write {{%s}} where the value goes, or remove the param", prm.Name, prm.Name)
		}
	}
	return nil
}

// encodings hashes the file's lines joined by LF and by CRLF, each with and without a BOM,
// less the file's own hash.
func encodings(lines []string, own string) []string {
	var out []string
	for _, eol := range []string{"\n", "\r\n"} {
		for _, bom := range []string{"", "\ufeff"} {
			sum := sha256.Sum256([]byte(bom + strings.Join(lines, eol)))
			if h := hex.EncodeToString(sum[:]); h != own && !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// encodingHint says what to do when hash, another copy's, is this file's text with other
// line endings or BOM: a checkout that converts them (git's core.autocrlf on Windows)
// gives teammates different hashes for the same runbook, and exec refused it with no clue.
func (r *Runbook) encodingHint(hash string) string {
	if !slices.Contains(r.encodings, hash) {
		return ""
	}
	return "; the texts are the same but for line endings or a byte-order mark: make the copies byte-identical " +
		"(LF, no BOM; in git, .gitattributes: *.md text eol=lf)"
}
