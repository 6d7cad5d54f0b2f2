package runbooks

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	stepRe = regexp.MustCompile(`^(\d+)\.\s+(\S.*)$`)
	holeRe = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_]*)\s*\}\}`)
)

// Fence languages that look like a command but are not the one tminus runs: refusing them
// keeps "which block is the command?" from having two answers.
var shellLike = map[string]bool{"": true, "bash": true, "shell": true, "zsh": true, "console": true, "shell-session": true}

// body reads the numbered steps. A step starts at a line "N. Title" in the first column; its
// command is the one ```sh block below it. Other fenced blocks (```text for expected output,
// say) and prose are kept as notes.
func (p *parser) body(rb *Runbook, lines []string, offset int) error {
	var (
		cur       *Step
		notes     []string
		fence     string // the opening ``` run while inside a block
		fenceLine int
		fenceSh   bool
		block     []string
		comment   int // line of an open <!-- outside code blocks, 0 for none
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		if cur.Command == "" {
			return p.errf(cur.Line, "step %d has no command: add a ```sh block with one line under it", cur.Number)
		}
		cur.Notes = strings.TrimSpace(strings.Join(notes, "\n"))
		rb.Steps = append(rb.Steps, *cur)
		cur, notes = nil, nil
		return nil
	}

	for i, raw := range lines {
		n := offset + i + 1
		trimmed := strings.TrimSpace(raw)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				if fenceSh {
					if err := p.command(rb, cur, block, fenceLine); err != nil {
						return err
					}
				}
				fence, block = "", nil
				continue
			}
			if fenceSh {
				block = append(block, raw)
			} else if cur != nil {
				notes = append(notes, raw)
			}
			continue
		}
		// A step "commented out" with <!-- --> is hidden wherever the Markdown is rendered
		// (a review, the repository's page), and still runs: refuse what it would hide.
		if comment == 0 {
			if i := strings.Index(raw, "<!--"); i >= 0 && !strings.Contains(raw[i+4:], "-->") {
				comment = n
				continue
			}
		} else if strings.Contains(raw, "-->") {
			comment = 0
			continue
		} else if stepRe.MatchString(raw) || strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			return p.errf(n, "a step or code block inside the HTML comment opened at line %d: rendered Markdown hides it, "+
				"tminus does not; delete it, or close the comment before it", comment)
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			rest := strings.TrimLeft(trimmed, trimmed[:1])
			fence = trimmed[:len(trimmed)-len(rest)]
			lang := strings.ToLower(strings.TrimSpace(rest))
			fenceLine, fenceSh = n, lang == "sh"
			switch {
			case shellLike[lang]:
				return p.errf(n, "code block marked %q: mark the command ```sh (it runs with sh -c) and anything else ```text", lang)
			case fenceSh && cur == nil:
				return p.errf(n, "command block outside a numbered step: put it under a line like `1. What this does`")
			case fenceSh && cur.Command != "":
				return p.errf(n, "step %d has a second command block: one step runs one command (split it into two steps)", cur.Number)
			}
			continue
		}
		if m := stepRe.FindStringSubmatch(raw); m != nil {
			if err := finish(); err != nil {
				return err
			}
			num, err := strconv.Atoi(m[1])
			want := len(rb.Steps) + 1
			if err != nil || num != want {
				return p.errf(n, "step numbered %s, expected %d: number steps 1, 2, 3 in order", m[1], want)
			}
			cur = &Step{Number: num, Title: strings.TrimSpace(m[2]), Line: n}
			continue
		}
		if cur != nil {
			notes = append(notes, strings.TrimSpace(raw))
		}
	}
	if fence != "" {
		return p.errf(fenceLine, "code block is not closed: add a ``` line after it")
	}
	if err := finish(); err != nil {
		return err
	}
	if len(rb.Steps) == 0 {
		return p.errf(offset+1, "no steps: add numbered steps (1. Title, then a ```sh block)")
	}
	return nil
}

// MaxCommand is the longest command a runbook.propose event carries (domain's limit).
const MaxCommand = 8 << 10

// command checks a step's ```sh block and records it with its placeholders.
func (p *parser) command(rb *Runbook, st *Step, block []string, line int) error {
	var cmds []string
	for i, l := range block {
		if s := strings.TrimSpace(l); s != "" {
			if len(cmds) == 0 {
				line += i + 1 // point at the command itself, not the fence
			}
			cmds = append(cmds, s)
		}
	}
	switch {
	case len(cmds) == 0:
		return p.errf(line, "step %d: the command block is empty", st.Number)
	case len(cmds) > 1:
		return p.errf(line, "step %d: the command block has %d lines; a step is one one-liner (join with && or split the step)", st.Number, len(cmds))
	}
	cmd := cmds[0]
	if len(cmd) > MaxCommand {
		return p.errf(line, "step %d: the command is %d bytes and a proposal carries at most %d, so it could never be proposed: "+
			"shorten it, or have the step run a script kept beside the runbook", st.Number, len(cmd), MaxCommand)
	}
	if at, r, why := unseen(cmd); why != "" {
		return p.errf(line, "step %d: the command holds %U at byte %d, %s: approvers would not see what runs; retype it", st.Number, r, at, why)
	}
	for _, m := range holeRe.FindAllStringSubmatchIndex(cmd, -1) {
		h := hole{name: cmd[m[2]:m[3]], start: m[0], end: m[1]}
		if _, ok := rb.Param(h.name); !ok {
			return p.errf(line, "step %d uses {{%s}} but params declares no %s%s", st.Number, h.name, h.name, declared(rb))
		}
		st.holes = append(st.holes, h)
	}
	if stray := strings.Index(holeRe.ReplaceAllString(cmd, ""), "{{"); stray >= 0 {
		return p.errf(line, "step %d: malformed placeholder (placeholders look like {{name}})", st.Number)
	}
	if err := checkHoles(cmd, st.holes); err != nil {
		return p.errf(line, "step %d: %v", st.Number, err)
	}
	st.Command = cmd
	return nil
}

func declared(rb *Runbook) string {
	if len(rb.Params) == 0 {
		return " (it declares none)"
	}
	names := make([]string, len(rb.Params))
	for i, prm := range rb.Params {
		names[i] = prm.Name
	}
	return " (declared: " + strings.Join(names, ", ") + ")"
}

// unseen finds a character of cmd that a terminal shows otherwise than the shell reads it
// (the CLI and the cockpit show controls as spaces and drop formatting characters), so an
// approval would sign something its approvers did not see. A tab is a space to both.
func unseen(cmd string) (at int, r rune, why string) {
	for i, r := range cmd {
		switch {
		case r == utf8.RuneError:
			return i, r, "not valid UTF-8"
		case r == '\t':
		case unicode.IsControl(r):
			return i, r, "a control character"
		case unicode.Is(unicode.Cf, r):
			return i, r, "an invisible formatting character (a bidi override or zero-width space)"
		case r > unicode.MaxASCII && unicode.IsSpace(r):
			return i, r, "a space the shell does not split words on"
		}
	}
	return 0, 0, ""
}
