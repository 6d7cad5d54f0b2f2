package tui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tminus-ir/tminus/domain"
)

// The output viewer: a run's captured output, read back from its evidence blob, in the
// runbooks pane. The blob is read and made safe to print in a tea.Cmd, never in Update
// or View: it may be a megabyte, and on a copy that synced the event but not yet the
// bytes it is missing.

// output is a run's captured output as the viewer shows it, prepared off the Update
// goroutine.
type output struct {
	text    string         // neutralised, tabs kept: what c copies
	size    int            // bytes in the blob
	lines   int            // lines shown
	longest int            // cells in the widest line shown
	vp      viewport.Model // holds the shown lines, tabs expanded; sized by the pane
}

// readOutput reads a blob through the backend in a command and prepares it. The bytes
// are checked against the hash the signed runbook.exec names: what the viewer shows is
// the evidence the incident recorded, or an error that says it is not.
func (m *Model) readOutput(r outputRequest) tea.Cmd {
	b, ctx := m.b, m.bg
	return func() tea.Msg {
		msg := outputMsg{pane: r.pane, id: r.id}
		data, err := b.Blob(ctx, r.hash)
		if err != nil {
			msg.err = err
			return msg
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r.hash {
			msg.err = fmt.Errorf("the bytes read as sha256 %s hash to %s: not the output this run recorded (tminus verify lists damaged blobs)",
				short(r.hash), short(hex.EncodeToString(sum[:])))
			return msg
		}
		msg.out = prepareOutput(data)
		return msg
	}
}

// prepareOutput neutralises the bytes, splits them into lines with tabs expanded and
// hands them to a viewport, which keeps them and draws only the rows in view.
func prepareOutput(data []byte) *output {
	o := &output{text: neutralise(data), size: len(data)}
	body := strings.TrimSuffix(o.text, "\n") // a final newline ends the last line, it adds none
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		var w int
		lines[i], w = expandTabs(l)
		o.longest = max(o.longest, w)
	}
	o.lines = len(lines)
	if len(data) == 0 {
		o.lines = 0
	}
	o.vp = viewport.New(0, 0)
	o.vp.SetContent(strings.Join(lines, "\n"))
	return o
}

// neutralise makes captured output safe to print and to paste. The bytes are whatever
// the command, or a host it talked to, printed, and an escape sequence among them would
// drive the responder's terminal: move the cursor over what the screen says, retitle the
// window, write the clipboard (OSC 52), or, once copied into a shell, end a bracketed
// paste early. Colour (SGR, ESC [ ... m) is dropped, since it only paints. Every other
// control shows as text, so nothing in the evidence is hidden or rearranged: C0 in caret
// notation (^[ is ESC, ^M a lone carriage return, ^? DEL), a byte that is not UTF-8 as
// \xNN, a C1 control, bidi override or other invisible formatting character as \uNNNN.
// Line feeds and tabs stay; a carriage return before a line feed is dropped.
func neutralise(data []byte) string {
	var b strings.Builder
	b.Grow(len(data))
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f):
			b.WriteByte(c)
			i++
			continue
		case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i++
			continue
		case c == 0x1b:
			if n := sgrLen(data[i:]); n > 0 {
				i += n
				continue
			}
			b.WriteString("^[")
			i++
			continue
		case c < 0x20:
			b.WriteByte('^')
			b.WriteByte(c + 0x40)
			i++
			continue
		case c == 0x7f:
			b.WriteString("^?")
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.Write(data[i : i+n])
		}
		i += n
	}
	return b.String()
}

// sgrLen is the length of the colour sequence data starts with (ESC [ digits, ; and :
// then m), or 0 when it starts with anything else.
func sgrLen(data []byte) int {
	if len(data) < 3 || data[0] != 0x1b || data[1] != '[' {
		return 0
	}
	for i := 2; i < len(data); i++ {
		switch c := data[i]; {
		case c == 'm':
			return i + 1
		case (c < '0' || c > '9') && c != ';' && c != ':':
			return 0
		}
	}
	return 0
}

// expandTabs puts spaces for tabs up to the next 8-column stop, as a terminal would, and
// returns the line's width in cells.
func expandTabs(line string) (string, int) {
	if !strings.Contains(line, "\t") {
		return line, width(line)
	}
	var b strings.Builder
	col := 0
	for {
		seg, rest, found := strings.Cut(line, "\t")
		b.WriteString(seg)
		col += width(seg)
		if !found {
			return b.String(), col
		}
		n := 8 - col%8
		b.WriteString(spaces(n))
		col += n
		line = rest
	}
}

// outputViewer is the open viewer: the run it shows and, once read, its output.
type outputViewer struct {
	id   domain.ID
	what string // contract-pause step 2
	// The title: how the run ended (runbook and step, exit code, duration) and what it
	// kept (size, hash, with "timed out" and "truncated" next to what they qualify). One
	// line when it fits beside the position, else two, so the hash is never cut.
	ran, kept string
	split     bool
	bad       bool // the run failed or timed out
	hash      string
	out       *output
	err       error
	w, h      int
}

func newOutputViewer(pr *domain.Proposal) *outputViewer {
	e := pr.Exec
	ran := what(pr) + " · exit " + itoa(e.ExitCode)
	if e.TimedOut {
		ran += " timed out"
	}
	ran += " · " + duration(e.DurationMs)
	kept := size(e.OutputSize)
	if e.Truncated {
		kept += " truncated"
	}
	kept += " · sha256 " + short(e.Output)
	return &outputViewer{id: pr.ID, what: what(pr), ran: clean(ran), kept: clean(kept),
		bad: e.ExitCode != 0 || e.TimedOut, hash: e.Output}
}

// titleLines is 1 or 2: see ran and kept.
func (v *outputViewer) titleLines() int {
	if v.split {
		return 2
	}
	return 1
}

func (v *outputViewer) loading() bool { return v.out == nil && v.err == nil }

// loaded takes a read's result if it is for this viewer's proposal and the viewer still
// waits for it.
func (v *outputViewer) loaded(msg outputMsg) {
	if msg.id != v.id || !v.loading() {
		return
	}
	v.out, v.err = msg.out, msg.err
	if v.err == nil && v.out == nil {
		v.err = fmt.Errorf("nothing read for sha256 %s", short(v.hash))
	}
	v.setSize(v.w, v.h)
}

// wide reports whether some line is wider than the viewport: ←/→ scroll then.
func (v *outputViewer) wide() bool { return v.out != nil && v.out.longest > v.out.vp.Width }

// setSize gives the viewport the pane under the title line.
func (v *outputViewer) setSize(w, h int) {
	v.w, v.h = w, h
	posW := 0 // the widest the position gets: "240-256/256" or "4 lines"
	if v.out != nil {
		d := len(itoa(v.out.lines))
		posW = max(3*d+2, d+6)
	}
	v.split = 1+width(v.ran)+3+width(v.kept)+1+posW > w
	if v.out == nil {
		return
	}
	vp := &v.out.vp
	vp.Width, vp.Height = max(w-1, 0), max(h-v.titleLines(), 0) // a column of margin, as the list has
	vp.SetYOffset(vp.YOffset)
	if !v.wide() {
		vp.SetXOffset(0)
	} else {
		vp.ScrollLeft(0) // keeps the column, clamped to the new width
	}
}

// key handles a key while the viewer is open; close reports esc or q.
func (v *outputViewer) key(k *KeyMap, msg tea.KeyMsg) (cmd tea.Cmd, close bool) {
	if key.Matches(msg, k.Close) {
		return nil, true
	}
	if v.out == nil {
		return nil, false
	}
	vp := &v.out.vp
	switch {
	case key.Matches(msg, k.CopyOutput):
		return send(copyRequest{text: v.out.text, what: "copied the output of " + v.what + " (" + size(int64(v.out.size)) + ")"}), false
	case key.Matches(msg, k.Up):
		vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		vp.PageUp()
	case key.Matches(msg, k.PageDown):
		vp.PageDown()
	case key.Matches(msg, k.Top):
		vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		vp.GotoBottom()
	case key.Matches(msg, k.ScrollLeft) && v.wide():
		vp.ScrollLeft(max(vp.Width/4, 1))
	case key.Matches(msg, k.ScrollRight) && v.wide():
		vp.ScrollRight(max(vp.Width/4, 1))
	}
	return nil, false
}

// position is where the view is in the output: "1-17/240", or the count when all of it
// shows.
func (v *outputViewer) position() string {
	o := v.out
	switch {
	case o == nil:
		return ""
	case o.lines == 0:
		return "empty"
	case o.lines <= o.vp.Height:
		if o.lines == 1 {
			return "1 line"
		}
		return itoa(o.lines) + " lines"
	}
	top := o.vp.YOffset + 1
	return itoa(top) + "-" + itoa(min(o.vp.YOffset+o.vp.Height, o.lines)) + "/" + itoa(o.lines)
}

// view is the title line and, under it, the rows in view; exactly w x h.
func (v *outputViewer) view(c *Context) string {
	w, h := v.w, v.h
	ink := c.ink.title
	if v.bad {
		ink = c.ink.err
	}
	lines := make([]string, 0, h)
	if v.split {
		lines = append(lines, ink.on(spread(" "+v.ran, v.position(), w)), ink.on(fit(" output "+v.kept, w)))
	} else {
		lines = append(lines, ink.on(spread(" "+v.ran+" · "+v.kept, v.position(), w)))
	}
	switch {
	case v.loading():
		lines = append(lines, c.ink.muted.on(fit(" loading…", w)))
	case v.err != nil:
		for _, l := range wordWrap(clean(v.err.Error()), w-1, max(h-2, 1)) {
			lines = append(lines, c.ink.err.on(fit(" "+l, w)))
		}
		lines = append(lines, c.ink.muted.on(fit(" sha256 "+v.hash, w)))
	case v.out.lines == 0:
		lines = append(lines, c.ink.muted.on(fit(" the run printed nothing", w)))
	default:
		for _, l := range strings.Split(v.out.vp.View(), "\n") {
			lines = append(lines, " "+c.ink.row.on(padLine(l, w-1)))
		}
	}
	return fill(lines, w, h)
}
