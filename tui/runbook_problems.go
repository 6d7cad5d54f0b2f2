package tui

import "strings"

// RunbookProblems is an optional Backend: the runbook files left out of Runbooks because
// they are broken, one line each naming the file and why (runbooks.Load). The cockpit
// shows them on the runbooks tab, for as long as it runs, and on the status line when it
// opens: printed on stderr before the full screen, a warning was seen only after
// quitting, and a responder looked in vain for the team's runbook.
type RunbookProblems interface {
	RunbookProblems() []string
}

// runbookProblems is what the backend reports, or nothing.
func runbookProblems(b Backend) []string {
	if rp, ok := b.(RunbookProblems); ok {
		return rp.RunbookProblems()
	}
	return nil
}

// problemStatus is the status line a cockpit opens with when runbook files were left
// out: the first whole, and how many more the runbooks tab lists.
func problemStatus(problems []string) status {
	if len(problems) == 0 {
		return status{}
	}
	text := "runbook left out: " + problems[0]
	if n := len(problems) - 1; n > 0 {
		text += " (and " + itoa(n) + " more on the runbooks tab)"
	}
	return status{err: true, text: text}
}

// problemLines are the lines over the runbooks list that name the broken files, each
// wrapped whole (a path and its reason: cut, the reason was what went), in as many lines
// as a third of the list's room allows, one at least. Files that do not fit whole are
// counted on the last line.
func (p *runbooksPane) problemLines() []string {
	probs := p.Live.RunbookProblems
	if len(probs) == 0 || p.Width < 2 {
		return nil
	}
	room, w := max(1, (p.Height-p.detailHeight())/3), p.Width-1
	var text []string
	for i, pr := range probs {
		left := room - len(text)
		one := "✗ left out: " + clean(strings.TrimSpace(pr))
		if i == len(probs)-1 {
			text = append(text, wordWrap(one, w, left)...)
			break
		}
		if full := wordWrap(one, w, left); len(full) < left {
			text = append(text, full...) // whole, with a line to spare for the rest
			continue
		}
		text = append(text, "✗ "+itoa(len(probs)-i)+" runbook files left out: tminus runbook list names them")
		break
	}
	out := make([]string, len(text))
	for i, t := range text {
		out[i] = p.ink.err.on(fit(" "+t, p.Width))
	}
	return out
}
