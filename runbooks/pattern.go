package runbooks

import (
	"regexp"
	"regexp/syntax"
	"unicode"
)

// patternProblem says why an anchored pattern that compiles is still no check on a
// parameter, or "" when it is one. Each case is a mistake that loads without a word and
// shows only mid-incident: a value that should have been refused reaches the command, or
// none is ever accepted.
func patternProblem(re *regexp.Regexp) string {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "" // compiled by regexp, so this does not happen
	}
	parsed = parsed.Simplify()
	switch {
	case matchesNothing(parsed):
		return "matches no value at all, so the runbook could never be proposed: check its anchors and character classes"
	case re.MatchString(""):
		return "accepts an empty value (rm -rf /srv/{{dir}} would remove /srv/): require a character, with + or {1,n}"
	case acceptsAnything(parsed):
		return "accepts any value, so it checks nothing: list the characters a value may hold, e.g. ^[a-z0-9.-]+$"
	case canHold(parsed, '\n'):
		return `accepts a line break, which ends the command for a remote shell (ssh) and splits it on the approvers' screens: ` +
			`leave \n out (\s and [^...] classes hold it; write a space instead of \s)`
	}
	return ""
}

// acceptsAnything reports whether re is, anchors and groups aside, a repetition of "any
// character": ^.*$, ^(.+)$, ^[\s\S]+$. Such a pattern satisfies the rule that every
// parameter has one while checking nothing.
func acceptsAnything(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpCapture:
		return acceptsAnything(re.Sub[0])
	case syntax.OpConcat:
		var rest []*syntax.Regexp
		for _, s := range re.Sub {
			if s.Op != syntax.OpBeginText && s.Op != syntax.OpEndText {
				rest = append(rest, s)
			}
		}
		return len(rest) == 1 && acceptsAnything(rest[0])
	case syntax.OpStar, syntax.OpPlus:
		return anyChar(re.Sub[0])
	case syntax.OpRepeat:
		return re.Max == -1 && anyChar(re.Sub[0])
	}
	return false
}

// anyChar reports whether re is one character of any kind, a line break perhaps excepted.
func anyChar(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpCapture:
		return anyChar(re.Sub[0])
	case syntax.OpCharClass:
		// Ranges come sorted and merged: count the code points left out.
		missing, next := 0, rune(0)
		for i := 0; i+1 < len(re.Rune); i += 2 {
			missing += int(re.Rune[i] - next)
			next = re.Rune[i+1] + 1
		}
		missing += int(unicode.MaxRune + 1 - next)
		return missing <= 1
	}
	return false
}

// canHold reports whether some character position of re accepts r. Over the whole
// expression rather than the paths that can match, which only matters for a pattern
// with a branch that can never match.
func canHold(re *syntax.Regexp, r rune) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return true
	case syntax.OpAnyCharNotNL:
		return r != '\n'
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if c == r || re.Flags&syntax.FoldCase != 0 && unicode.SimpleFold(c) == r {
				return true
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true
			}
		}
	}
	for _, s := range re.Sub {
		if canHold(s, r) {
			return true
		}
	}
	return false
}

// matchesNothing reports whether no string matches re: whether the compiled program can
// reach its match instruction at all, taking "start of text" to need nothing consumed
// yet and "end of text" to allow nothing consumed after. Other assertions are taken to
// hold, so the answer errs towards "something matches".
func matchesNothing(re *syntax.Regexp) bool {
	prog, err := syntax.Compile(re)
	if err != nil {
		return false
	}
	type state struct {
		pc              uint32
		consumed, ended bool
	}
	seen := map[state]bool{}
	todo := []state{{pc: uint32(prog.Start)}}
	for len(todo) > 0 {
		st := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[st] {
			continue
		}
		seen[st] = true
		in := prog.Inst[st.pc]
		next := func(pc uint32, consumed, ended bool) {
			todo = append(todo, state{pc, consumed, ended})
		}
		switch in.Op {
		case syntax.InstMatch:
			return false
		case syntax.InstAlt, syntax.InstAltMatch:
			next(in.Out, st.consumed, st.ended)
			next(in.Arg, st.consumed, st.ended)
		case syntax.InstCapture, syntax.InstNop:
			next(in.Out, st.consumed, st.ended)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			if op&syntax.EmptyBeginText != 0 && st.consumed {
				continue
			}
			next(in.Out, st.consumed, st.ended || op&syntax.EmptyEndText != 0)
		case syntax.InstRune:
			if !st.ended && len(in.Rune) > 0 {
				next(in.Out, true, false)
			}
		case syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			if !st.ended {
				next(in.Out, true, false)
			}
		}
	}
	return true
}
