package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// The detail view: the selected runbook, proposal or Safe transaction over the runbooks
// pane, with every command, address and hash whole. The lines under the list have room for a few lines of a command and
// cut the rest; what a responder proposes, approves or runs must be readable to its
// last character somewhere other than a confirmation, so v opens this, wrapped to the
// pane and scrolled, never cut. It owns the keyboard until esc or q, as the output
// viewer does.
type reader struct {
	title string // short, to leave room for the position: the full title is in lines
	// build lays the content out for a width, from the live state: a proposal that
	// gains an approval while the view is open shows it.
	build func(w int) []string
	// copy is what y copies here: the same as on the row.
	copy  tea.Cmd
	lines []string
	top   int
	w, h  int
}

// setSize lays the content out again for the pane's size (also after a state change).
func (r *reader) setSize(w, h int) {
	r.w, r.h = w, h
	r.lines = r.build(max(w-1, 1)) // a column of margin, as the list has
	r.clamp()
}

func (r *reader) rows() int { return max(r.h-1, 0) } // under the title

func (r *reader) clamp() {
	r.top = max(min(r.top, len(r.lines)-r.rows()), 0)
}

// key handles a key while the view is open; close reports esc or q.
func (r *reader) key(k *KeyMap, msg tea.KeyMsg) (cmd tea.Cmd, close bool) {
	switch {
	case key.Matches(msg, k.Close):
		return nil, true
	case key.Matches(msg, k.Copy):
		return r.copy, false
	case key.Matches(msg, k.Up):
		r.top--
	case key.Matches(msg, k.Down):
		r.top++
	case key.Matches(msg, k.PageUp):
		r.top -= max(r.rows()-1, 1)
	case key.Matches(msg, k.PageDown):
		r.top += max(r.rows()-1, 1)
	case key.Matches(msg, k.Top):
		r.top = 0
	case key.Matches(msg, k.Bottom):
		r.top = len(r.lines)
	}
	r.clamp()
	return nil, false
}

// position is "1-17/40", or nothing when all of it shows.
func (r *reader) position() string {
	if len(r.lines) <= r.rows() {
		return ""
	}
	return itoa(r.top+1) + "-" + itoa(min(r.top+r.rows(), len(r.lines))) + "/" + itoa(len(r.lines))
}

// view is the title line and the lines in view; exactly w x h.
func (r *reader) view(c *Context) string {
	out := make([]string, 0, r.h)
	out = append(out, c.ink.title.on(spread(" "+r.title, r.position()+" ", r.w)))
	end := min(r.top+r.rows(), len(r.lines))
	for _, l := range r.lines[r.top:end] {
		out = append(out, " "+padLine(l, r.w-1))
	}
	return fill(out, r.w, r.h)
}

// commandBlock is a command wrapped whole to w cells, painted as commands are.
func commandBlock(c *Context, command string, w int) []string {
	var out []string
	for _, l := range wrapAll("$ "+clean(command), w) {
		out = append(out, c.ink.due.on(fit(l, w)))
	}
	return out
}

// textBlock is prose wrapped whole to w cells in one paint.
func textBlock(ink paint, s string, w int) []string {
	var out []string
	for _, l := range wordWrap(clean(s), w, len(s)+1) {
		out = append(out, ink.on(fit(l, w)))
	}
	return out
}

// runbookReader shows a runbook whole: what it is for, who must approve, its parameters
// and every step's one-liner with its placeholders.
func (p *runbooksPane) runbookReader(r RunbookLine) *reader {
	return &reader{title: r.ID,
		copy: send(copyRequest{text: r.Command, what: "copied " + r.ID + " one-liner"}),
		build: func(w int) []string {
			k := p.ink
			facts := "risk " + r.Risk + quorum(r)
			if len(r.Severity) > 0 {
				facts += " · for " + strings.Join(r.Severity, ", ")
			}
			out := textBlock(k.title, r.Title, w)
			out = append(out, textBlock(k.muted, facts, w)...)
			for _, prm := range r.Params {
				d := prm.Name + ": " + prm.Description
				if prm.Pattern != "" {
					d += " · pattern " + prm.Pattern
				}
				out = append(out, textBlock(k.row, d, w)...)
			}
			steps := r.Steps
			if len(steps) == 0 {
				steps = []RunbookStep{{Number: 1, Command: r.Command}}
			}
			for _, s := range steps {
				out = append(out, "")
				out = append(out, textBlock(k.title, itoa(s.Number)+" "+s.Title, w)...)
				out = append(out, commandBlock(p.Context, s.Command, w)...)
			}
			if p.Keys.Propose.Enabled() {
				out = append(out, "", k.muted.on(fit("p proposes it (esc first)", w)))
			}
			return out
		}}
}

// proposalReader shows a proposal whole: the exact command its approvals sign, who
// proposed and approved it, the evidence before it and what its run came to.
func (p *runbooksPane) proposalReader(id domain.ID) *reader {
	pr := p.Live.State.Proposals[id]
	return &reader{title: what(pr),
		copy: send(copyRequest{text: pr.Command, what: "copied the command proposed for " + pr.Runbook}),
		build: func(w int) []string {
			s := p.Live.State
			pr := s.Proposals[id]
			if pr == nil {
				return []string{p.ink.err.on(fit("the proposal is gone from the state", w))}
			}
			k := p.ink
			when := func(ms int64) string { return clock(ms, p.Live.Now, p.Live.Loc, false) }
			head := "proposed by " + pr.By + " " + when(pr.At)
			if pr.Risk == domain.RiskHigh {
				head += " · approved " + itoa(approvals(s, pr)) + "/" + itoa(pr.Quorum) + ": " + strings.Join(pr.Approvals, ", ") +
					" · approvers " + strings.Join(pr.Approvers, ", ")
			} else {
				head += " · low risk: no approvals needed"
			}
			out := textBlock(k.title, "step "+itoa(pr.Step)+": "+pr.StepTitle, w)
			out = append(out, textBlock(k.muted, head, w)...)
			out = append(out, "")
			out = append(out, commandBlock(p.Context, pr.Command, w)...)
			out = append(out, "")
			if inc := s.Incidents[pr.Incident]; inc != nil {
				if e := evidenceBefore(s, inc, pr); e.n == 0 {
					out = append(out, textBlock(k.warn, e.none(), w)...)
				} else {
					out = append(out, textBlock(k.muted, e.some(p.Live.Now, p.Live.Loc), w)...)
				}
			}
			if e := pr.Exec; e != nil {
				ink := k.ok
				if e.ExitCode != 0 || e.TimedOut {
					ink = k.err
				}
				t := "ran by " + e.By + " " + when(e.At) + ": exit " + itoa(e.ExitCode) + " in " + duration(e.DurationMs) +
					" · output " + size(e.OutputSize) + " sha256 " + e.Output
				if e.TimedOut {
					t += " · timed out"
				}
				out = append(out, textBlock(ink, t, w)...)
			}
			return out
		}}
}
