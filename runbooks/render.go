package runbooks

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Render returns step's command (1-based) with every {{param}} replaced by its value,
// shell-quoted. Every value given must be declared and match its pattern, and every
// placeholder of the step must have a value. The pattern is the first line of defence; the
// quoting makes a value inert even when a pattern is too lax.
func (r *Runbook) Render(step int, params map[string]string) (string, error) {
	if step < 1 || step > len(r.Steps) {
		return "", fmt.Errorf("runbook %s has %d steps; there is no step %d", r.ID, len(r.Steps), step)
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		prm, ok := r.Param(k)
		if !ok {
			return "", fmt.Errorf("runbook %s: unknown param %s%s", r.ID, k, declared(r))
		}
		if err := prm.Check(params[k]); err != nil {
			return "", fmt.Errorf("runbook %s: %w", r.ID, err)
		}
	}
	st := r.Steps[step-1]
	var missing []string
	for _, name := range st.Params() {
		if _, ok := params[name]; !ok {
			prm, _ := r.Param(name)
			missing = append(missing, fmt.Sprintf("%s (%s)", name, prm.Description))
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("runbook %s step %d: missing param %s", r.ID, step, strings.Join(missing, ", "))
	}
	var b strings.Builder
	last := 0
	for _, h := range st.holes {
		b.WriteString(st.Command[last:h.start])
		b.WriteString(Quote(params[h.name]))
		last = h.end
	}
	b.WriteString(st.Command[last:])
	return b.String(), nil
}

// Quote makes s one literal word for a POSIX shell: single quotes, inside which nothing is
// special, with each embedded quote written as close quote, backslash quote, open quote.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Quoting contexts of a shell command, as far as placeholders care.
type shContext int

const (
	shPlain    shContext = iota // top level: a quoted value stays one literal word
	shSubst                     // inside $( ... ): a fresh top level
	shSingle                    // '...': a quoted value would end the quotes
	shDouble                    // "...": a quoted value would be literal quotes, $( ) would run
	shBacktick                  // `...`: backslashes change meaning
	shBrace                     // ${...}: quote handling differs between shells
	shArith                     // $((...)), bash's ((...)): read as if in double quotes, so $( ) would run
	shComment                   // # ...: a newline in a value would end the comment
)

var contextName = map[shContext]string{
	shSingle:   "inside single quotes",
	shDouble:   "inside double quotes",
	shBacktick: "inside backticks (use $(...) instead)",
	shBrace:    "inside ${...}",
	shArith:    "inside an arithmetic expansion",
	shComment:  "inside a comment",
}

var errPlacement = errors.New("put placeholders outside quotes; tminus quotes the value itself")

// checkHoles refuses a command whose placeholders sit where a single-quoted value would not
// be one inert word: inside quotes, backticks, ${...}, an arithmetic expansion, a comment,
// right after a backslash or a $ (bash reads $'...' as an escape string). It is a small
// lexer, not a shell parser: it only needs the quoting context at each placeholder, and it
// errs towards refusing; where dash and bash read a construct differently it takes the
// reading that makes the value live. What it cannot see is a value handed on to something
// that evaluates it (ssh's remote command, sh -c, eval, bash's let): there only the pattern
// protects.
func checkHoles(cmd string, holes []hole) error {
	at := make(map[int]hole, len(holes))
	for _, h := range holes {
		at[h.start] = h
	}
	if len(holes) == 0 {
		return nil
	}
	type frame struct {
		ctx    shContext
		parens int // open ( inside $( ) or $(( )), so the right ) closes it
	}
	stack := []frame{{ctx: shPlain}}
	seen := 0
	for i := 0; i < len(cmd); i++ {
		top := &stack[len(stack)-1]
		if h, ok := at[i]; ok {
			if name, bad := contextName[top.ctx]; bad {
				return fmt.Errorf("{{%s}} is %s: %w", h.name, name, errPlacement)
			}
			seen++
			i = h.end - 1
			continue
		}
		c := cmd[i]
		next := byte(0)
		if i+1 < len(cmd) {
			next = cmd[i+1]
		}
		// Expansions open the same way in and out of double quotes.
		if top.ctx != shSingle && top.ctx != shComment && top.ctx != shBacktick && c == '$' {
			switch {
			case strings.HasPrefix(cmd[i:], "$(("):
				stack = append(stack, frame{ctx: shArith})
				i += 2
				continue
			case next == '[':
				// bash reads $[ as arithmetic, dash as text: no single reading to check against.
				return errors.New("$[ is read differently by bash and dash; use $((...)) in a command with placeholders")
			}
		}
		switch top.ctx {
		case shComment:
		case shSingle:
			if c == '\'' {
				stack = stack[:len(stack)-1]
			}
		case shBacktick:
			if c == '\\' {
				i++
			} else if c == '`' {
				stack = stack[:len(stack)-1]
			}
		case shArith:
			switch {
			case strings.IndexByte("'\"\\`", c) >= 0:
				// Shells disagree on quotes inside $((...)), so where it ends would be a guess.
				return errors.New("quotes or escapes inside $((...)) in a command with placeholders")
			case c == '(':
				top.parens++
			case c == ')' && top.parens > 0:
				top.parens--
			case c == ')' && next == ')':
				stack = stack[:len(stack)-1]
				i++
			case c == ')':
				// dash reads on to the next "))", bash may fall back to $( (...) ): refuse.
				return errors.New("unbalanced ) inside $((...)) in a command with placeholders")
			}
		case shDouble:
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case c == '`':
				stack = append(stack, frame{ctx: shBacktick})
			case c == '$' && next == '(':
				stack = append(stack, frame{ctx: shSubst})
				i++
			case c == '$' && next == '{':
				stack = append(stack, frame{ctx: shBrace})
				i++
			}
		default: // shPlain, shSubst, shBrace
			if h, ok := at[i+1]; ok && (c == '\\' || c == '$') {
				return fmt.Errorf("{{%s}} follows %q, which would change how its quotes are read: %w", h.name, c, errPlacement)
			}
			switch {
			case c == '\\':
				i++
			case c == '\'':
				stack = append(stack, frame{ctx: shSingle})
			case c == '"':
				stack = append(stack, frame{ctx: shDouble})
			case c == '`':
				stack = append(stack, frame{ctx: shBacktick})
			case c == '$' && next == '(':
				stack = append(stack, frame{ctx: shSubst})
				i++
			case c == '$' && next == '{':
				stack = append(stack, frame{ctx: shBrace})
				i++
			case c == '(' && next == '(':
				// bash runs ((...)) as arithmetic; dash as nested subshells. Take bash's reading.
				stack = append(stack, frame{ctx: shArith})
				i++
			case c == '[' && next == '[' && wordStart(cmd, i):
				return errors.New("[[ is bash-only and evaluates its operands as arithmetic; use [ ] in a command with placeholders")
			case c == '(' && top.ctx == shSubst:
				top.parens++
			case c == ')' && top.ctx == shSubst:
				if top.parens == 0 {
					stack = stack[:len(stack)-1]
				} else {
					top.parens--
				}
			case c == '}' && top.ctx == shBrace:
				stack = stack[:len(stack)-1]
			case c == '#' && top.ctx != shBrace && wordStart(cmd, i):
				stack = append(stack, frame{ctx: shComment})
			}
		}
	}
	switch stack[len(stack)-1].ctx {
	case shSingle:
		return errors.New("a ' quote is not closed")
	case shDouble:
		return errors.New(`a " quote is not closed`)
	case shBacktick:
		return errors.New("a ` is not closed")
	}
	if seen != len(holes) {
		return fmt.Errorf("a placeholder is part of an escape: %w", errPlacement)
	}
	return nil
}

// wordStart reports whether the byte at i begins a shell word, where # starts a comment.
func wordStart(cmd string, i int) bool {
	return i == 0 || strings.IndexByte(" \t;&|()<>", cmd[i-1]) >= 0
}
