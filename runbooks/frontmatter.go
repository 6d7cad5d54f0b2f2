package runbooks

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	idRe        = regexp.MustCompile(`^[a-z0-9-]+$`)
	paramNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	yamlLineRe  = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// maxID is the longest runbook id a proposal event carries (domain's limit).
const maxID = 100

var frontMatterKeys = []string{"id", "title", "when", "severity", "risk", "quorum", "approvers", "params", "safe"}

// frontMatter decodes the YAML between the --- lines. It walks the node tree rather than
// unmarshalling into a struct so that every complaint can name the line it is about, and so
// that a misspelt key (say "qourum") is an error instead of a silently missing gate.
func (p *parser) frontMatter(rb *Runbook, src string, offset int) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return p.yamlError(err, src, offset)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return p.errf(offset+1, "front matter must be a YAML mapping (id: ..., title: ..., ...)")
	}
	root := doc.Content[0]
	line := func(n *yaml.Node) int { return n.Line + offset }
	if k := mergeKey(root); k != nil {
		return p.errf(line(k), "front matter: a merge key (<<) copies fields from elsewhere and lets the next lines override them unseen: write the fields out")
	}

	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if prev, dup := seen[k.Value]; dup {
			return p.errf(line(k), "%s is set twice (first at line %d)", k.Value, line(prev))
		}
		seen[k.Value] = k
		switch k.Value {
		case "id", "title", "when", "risk":
			if v.Kind != yaml.ScalarNode {
				return p.errf(line(v), "%s must be a single value", k.Value)
			}
			s := strings.TrimSpace(v.Value)
			switch k.Value {
			case "id":
				rb.ID = s
			case "title":
				rb.Title = s
			case "when":
				rb.When = s
			case "risk":
				rb.Risk = Risk(s)
			}
		case "quorum":
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || n < 0 {
				return p.errf(line(v), "quorum must be a positive integer")
			}
			rb.Quorum = n
		case "severity":
			list, err := p.stringList(v, offset, "severity")
			if err != nil {
				return err
			}
			for _, s := range list {
				if !slices.Contains(Severities, s) {
					return p.errf(line(v), "severity %q is not one of %s", s, strings.Join(Severities, ", "))
				}
			}
			rb.Severity = list
		case "approvers":
			list, err := p.stringList(v, offset, "approvers")
			if err != nil {
				return err
			}
			for _, s := range list {
				if !slices.Contains(Roles, s) {
					return p.errf(line(v), "approver role %q is not one of %s", s, strings.Join(Roles, ", "))
				}
			}
			rb.Approvers = list
		case "params":
			if err := p.params(rb, v, offset); err != nil {
				return err
			}
		case "safe":
			if err := p.safeBlock(rb, k, v, offset); err != nil {
				return err
			}
		default:
			return p.errf(line(k), "unknown field %q (known: %s)", k.Value, strings.Join(frontMatterKeys, ", "))
		}
	}

	if err := p.checkSafeHoles(rb); err != nil {
		return err
	}
	if err := p.checkSafeLiterals(rb); err != nil {
		return err
	}
	at := func(key string) int {
		if k, ok := seen[key]; ok {
			return line(k)
		}
		return offset // the opening --- line
	}
	switch {
	case rb.ID == "":
		return p.errf(at("id"), "id is missing (lowercase letters, digits and -)")
	case !idRe.MatchString(rb.ID):
		return p.errf(at("id"), "id %q may only hold lowercase letters, digits and -", rb.ID)
	case len(rb.ID) > maxID:
		return p.errf(at("id"), "id is %d characters and a proposal carries at most %d: shorten it", len(rb.ID), maxID)
	case rb.Title == "":
		return p.errf(at("title"), "title is missing")
	case rb.Risk != RiskLow && rb.Risk != RiskHigh:
		// No default: a forgotten risk line must not quietly mean "no approvals needed".
		return p.errf(at("risk"), "risk must be low or high")
	case rb.Risk == RiskHigh && rb.Quorum < 1:
		return p.errf(at("quorum"), "quorum must be a positive integer (risk: high needs approvals)")
	case rb.Risk == RiskHigh && len(rb.Approvers) == 0:
		return p.errf(at("approvers"), "approvers must name at least one role (risk: high needs approvals)")
	// A low-risk step runs without approvals whatever else the file says: a quorum or
	// approvers beside risk: low are a gate the author meant and nobody would enforce.
	case rb.Risk == RiskLow && rb.Quorum > 0:
		return p.errf(at("quorum"), "quorum: %d is ignored with risk: low (it runs on one person's say): "+
			"set risk: high to require the approvals, or remove quorum", rb.Quorum)
	case rb.Risk == RiskLow && len(rb.Approvers) > 0:
		return p.errf(at("approvers"), "approvers are ignored with risk: low (it runs on one person's say): "+
			"set risk: high and a quorum to require them, or remove approvers")
	}
	return nil
}

func (p *parser) params(rb *Runbook, v *yaml.Node, offset int) error {
	if v.Kind != yaml.MappingNode {
		return p.errf(v.Line+offset, "params must map each name to {description, pattern}")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, spec := v.Content[i], resolve(v.Content[i+1])
		at := k.Line + offset
		if !paramNameRe.MatchString(k.Value) {
			return p.errf(at, "param name %q must be lowercase letters, digits and _", k.Value)
		}
		if _, dup := rb.Param(k.Value); dup {
			return p.errf(at, "param %s is declared twice", k.Value)
		}
		if spec.Kind != yaml.MappingNode {
			return p.errf(at, "param %s must have a description and a pattern", k.Value)
		}
		prm := Param{Name: k.Value, line: at}
		patternLine := at
		fields := map[string]int{}
		for j := 0; j+1 < len(spec.Content); j += 2 {
			fk, fv := spec.Content[j], resolve(spec.Content[j+1])
			if first, dup := fields[fk.Value]; dup {
				// YAML would keep the last one: a second, laxer pattern would win unseen.
				return p.errf(fk.Line+offset, "param %s: %s is set twice (first at line %d)", k.Value, fk.Value, first)
			}
			fields[fk.Value] = fk.Line + offset
			if fv.Kind != yaml.ScalarNode {
				return p.errf(fv.Line+offset, "param %s: %s must be a single value", k.Value, fk.Value)
			}
			switch fk.Value {
			case "description":
				prm.Description = strings.TrimSpace(fv.Value)
			case "pattern":
				prm.Pattern = fv.Value
				patternLine = fv.Line + offset
			default:
				return p.errf(fk.Line+offset, "param %s: unknown field %q (known: description, pattern)", k.Value, fk.Value)
			}
		}
		if prm.Pattern == "" {
			return p.errf(at, "param %s has no pattern: every value must be checked before it reaches a shell", k.Value)
		}
		re, err := regexp.Compile(prm.Pattern)
		if err != nil {
			return p.errf(patternLine, "param %s: pattern does not compile: %v", k.Value, err)
		}
		if !anchored(prm.Pattern) {
			return p.errf(patternLine, "param %s: pattern %s must start with ^ and end with $ "+
				"(an unanchored pattern lets `; rm -rf /` through around a matching part)", k.Value, prm.Pattern)
		}
		if why := patternProblem(re); why != "" {
			return p.errf(patternLine, "param %s: pattern %s %s", k.Value, prm.Pattern, why)
		}
		prm.re = re
		rb.Params = append(rb.Params, prm)
	}
	return nil
}

// stringList accepts `[a, b]`, a block list, or a single scalar.
func (p *parser) stringList(v *yaml.Node, offset int, what string) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		return []string{strings.TrimSpace(v.Value)}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, p.errf(v.Line+offset, "%s must be a list like [a, b]", what)
	}
	var out []string
	for _, item := range v.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode {
			return nil, p.errf(item.Line+offset, "%s must be a list of plain values", what)
		}
		s := strings.TrimSpace(item.Value)
		if slices.Contains(out, s) {
			return nil, p.errf(item.Line+offset, "%s lists %q twice", what, s)
		}
		out = append(out, s)
	}
	return out, nil
}

// mergeKey finds a `<<: *anchor` key anywhere in n. Aliases are not followed: what they
// point at is checked where it is written.
func mergeKey(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Tag == "!!merge" {
				return n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		if k := mergeKey(c); k != nil {
			return k
		}
	}
	return nil
}

// resolve follows a YAML alias once; the front matter is too small for nesting to matter.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func (p *parser) yamlError(err error, src string, offset int) error {
	msg := err.Error()
	// A tab in the indentation is the usual cause, and YAML's own words for it do not say so.
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "\t") {
			return p.errf(i+1+offset, "front matter: a tab indents this line; YAML needs spaces")
		}
	}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return p.errf(n+offset, "front matter: %s", m[2])
	}
	return p.errf(offset, "front matter: %s", strings.TrimPrefix(msg, "yaml: "))
}

// anchored reports whether every match of the pattern must span the whole value. Checking
// the parsed expression rather than the first and last characters catches `^a|b$` (which
// matches "x; b") and `(?m)^a$` (which matches "a\nrm -rf /").
func anchored(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	return pinned(re, syntax.OpBeginText, false) && pinned(re, syntax.OpEndText, true)
}

// pinned reports whether every way through re begins (or, with last, ends) with op.
func pinned(re *syntax.Regexp, op syntax.Op, last bool) bool {
	switch re.Op {
	case op:
		return true
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return false
		}
		if last {
			return pinned(re.Sub[len(re.Sub)-1], op, last)
		}
		return pinned(re.Sub[0], op, last)
	case syntax.OpCapture:
		return pinned(re.Sub[0], op, last)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !pinned(s, op, last) {
				return false
			}
		}
		return true
	}
	return false
}
