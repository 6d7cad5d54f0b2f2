package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// clean makes text from the shared state safe to print: any member (or a compromised
// member's key) can put bytes in a title or note, and an escape sequence there would
// drive every responder's terminal. Control characters become spaces; line breaks become
// " ⏎ " so a multi-line note stays on its row.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(" ⏎ ")
		case r == utf8.RuneError, unicode.IsControl(r), r == '\u2028', r == '\u2029':
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r): // bidi overrides and other invisible formatting
			// dropped: they can make a line read differently from what it holds
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// width is the display width of plain text, with a fast path for ASCII (most of it).
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0x1b {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fit cuts plain text to exactly w cells, with an ellipsis when it had to cut, or pads it
// with spaces. Every row goes through fit, so no line is ever wider than its pane.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = width(s)
	}
	if sw < w {
		s += spaces(w - sw)
	}
	return s
}

// cut truncates without padding.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

const blanks = "                                                                                                                                "

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// padLine pads an already styled line to w cells, cutting it when it is wider.
func padLine(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + spaces(w-sw)
}

// gap is the least space between two segments of one line (a header's left and right
// parts): one space would run "rec dave" into "alerts 3 firing".
const gap = 2

// spread puts left and right on one line of w cells, right-aligned, at least gap cells
// apart; when both do not fit, left is cut first (the right side holds the
// time-critical part).
func spread(left, right string, w int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if rw >= w {
		return padLine(right, w)
	}
	if lw+gap+rw > w {
		left = ansi.Truncate(left, max(w-rw-gap, 0), "…")
		lw = ansi.StringWidth(left)
	}
	return left + spaces(w-lw-rw) + right
}

// fitTail fits plain text into exactly w cells keeping tail whole: the head is cut, with
// an ellipsis, so that a row's author and time (" · bob 15:32") are never cut mid-way.
// Where the head would keep fewer than four cells the tail is dropped instead, whole.
func fitTail(head, tail string, w int) string {
	hw, tw := width(head), width(tail)
	switch {
	case hw+tw <= w:
		return fit(head+tail, w)
	case w-tw < 4:
		return fit(head, w)
	case strings.HasPrefix(tail, "…"):
		return ansi.Truncate(head, w-tw, "") + tail // one ellipsis, not "……"
	}
	return cut(head, w-tw) + tail
}

// countdown is a deadline as a responder reads it: "T-14:59" to go, "T+02:13" past due.
// Remaining time rounds up, so T-00:00 never shows while time is left; overdue time
// rounds down, so the line turns T+ the second the deadline passes.
func countdown(deadline, now int64) string {
	d := deadline - now
	if d > 0 {
		return "T-" + hms((d+999)/1000)
	}
	return "T+" + hms(-d/1000)
}

// elapsed is time since a moment, always with hours: "+00:41:07".
func elapsed(since, now int64) string {
	s := (now - since) / 1000
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("+%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// hms is mm:ss below an hour and h:mm:ss above (hours unbounded: T-71:18:40).
func hms(s int64) string {
	if s >= 3600 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// clock is a wall-clock time in the responder's zone, with the date when it is not today.
func clock(ms int64, now time.Time, loc *time.Location, seconds bool) string {
	t := time.UnixMilli(ms).In(loc)
	n := now.In(loc)
	layout := "15:04"
	if seconds {
		layout = "15:04:05"
	}
	if t.YearDay() != n.YearDay() || t.Year() != n.Year() {
		layout = "Jan 02 " + layout
	}
	return t.Format(layout)
}

// every renders a repeat interval compactly: 30m, 1h30m, 45s.
func every(ms int64) string {
	s := (time.Duration(ms) * time.Millisecond).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func upper(s string) string { return strings.ToUpper(s) }

// fitParts joins parts with sep into exactly w cells. A part that does not fit is cut
// with an ellipsis where at least partRoom cells are left for it, enough to recognise
// it; with less, a lone ellipsis stands in for it and the rest, rather than "· n…".
func fitParts(parts []string, sep string, w int) string { return fitPartsRoom(parts, sep, w, 12) }

// fitFacts joins facts with sep into exactly w cells, each whole or not at all: where
// the next does not fit, "…" stands for it and the rest. A fact cut inside ("acked 03:16
// by ali…", "tasks 1/…") reads as another fact. Only a first fact wider than w is cut.
func fitFacts(parts []string, sep string, w int) string { return fitPartsRoom(parts, sep, w, w+1) }

func fitPartsRoom(parts []string, sep string, w, partRoom int) string {
	s, sw := "", 0
	for i, part := range parts {
		add := part
		if i > 0 {
			add = sep + part
		}
		aw := width(add)
		more := 0 // room for " · …" when parts follow
		if i < len(parts)-1 {
			more = width(sep) + 1
		}
		if i == 0 || sw+aw+more <= w || (i == len(parts)-1 && sw+aw <= w) {
			s += add
			sw += aw
			continue
		}
		switch room := w - sw - width(sep); {
		case room >= partRoom:
			s += sep + cut(part, room)
		case room >= 1:
			s += sep + "…"
		}
		break
	}
	return fit(s, w)
}

// hang is the indent of a wrapped command's continuation lines, under the text after
// "$ ", so the lines read as one command.
const hang = "  "

// wrapCommand breaks a command into at most n lines of w cells at its spaces, so that no
// word, flag, address or hash is split where it fits on a line; a line that starts a
// new word is indented by hang. A token longer than a line (a long calldata) starts its
// own line and is cut only at the width, its rest going on at the next line's first
// cell, unindented, as a terminal would wrap it: an indent means a space, none means
// the same word. The last line ends in an ellipsis when text remains. y copies the
// command exactly; on screen a break stands for the spaces where it falls.
func wrapCommand(s string, w, n int) []string {
	if w <= 0 || n <= 0 {
		return nil
	}
	ind := hang
	if w < 4*len(hang) { // too narrow to spend cells on an indent
		ind = ""
	}
	var out []string
	line, words := "", 0 // the line being filled and the words on it
	// Past n lines the rest only feeds the ellipsis: stop there (see wordWrap).
	for s != "" && len(out) <= n {
		// The next separator (a run of spaces) and word.
		i := 0
		for i < len(s) && s[i] == ' ' {
			i++
		}
		sep, rest := s[:i], s[i:]
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		word := rest[:j]
		s = rest[j:]
		switch {
		case len(out) == 0 && words == 0:
			line += sep + word // the command's own leading spaces are kept
		case words == 0:
			line += word
		case width(line)+width(sep)+width(word) <= w:
			line += sep + word
		default:
			out = append(out, line)
			line, words = ind+word, 0
		}
		if word != "" {
			words++
		}
		for line != "" && len(out) <= n && width(line) > w { // a token longer than a line: cut at the width
			head := cutAt(line, w)
			out = append(out, head)
			line = line[len(head):]
			if line == "" {
				line, words = ind, 0
			}
		}
	}
	if strings.TrimSpace(line) != "" {
		out = append(out, line)
	}
	if len(out) > n {
		rest := out[n-1]
		for _, l := range out[n:] {
			if t, ok := strings.CutPrefix(l, ind); ok {
				rest += " " + t
			} else {
				rest += l
			}
		}
		out = append(out[:n-1], ansi.Truncate(rest+s, w, "…"))
	}
	return out
}

// cutAt is the head of s that fits in w cells, for a hard break; at least one
// character, so that a character wider than the line goes alone and the caller's loop
// always moves on.
func cutAt(s string, w int) string {
	head := ansi.Truncate(s, w, "")
	if head == "" {
		_, n := utf8.DecodeRuneInString(s)
		head = s[:n]
	}
	return head
}

// wordWrap breaks prose into at most n lines of w cells at spaces (a word longer than a
// line is cut hard); the last line ends in an ellipsis when text remains. Commands use
// wrapCommand instead, which breaks only at spaces and keeps the rest as typed.
func wordWrap(s string, w, n int) []string {
	if w <= 0 || n <= 0 {
		return nil // nothing fits; and a cut at 0 cells would never shorten the line
	}
	var out []string
	line := ""
	words := strings.Fields(s)
	i := 0
	// Past n lines the rest only feeds the ellipsis: stop there, so that a long text
	// in a short pane costs what is shown.
	for ; i < len(words) && len(out) <= n; i++ {
		word := words[i]
		switch {
		case line == "":
			line = word
		case width(line)+1+width(word) <= w:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
		for line != "" && len(out) <= n && width(line) > w {
			head := cutAt(line, w)
			out = append(out, head)
			line = line[len(head):]
		}
	}
	if line != "" {
		out = append(out, line)
	}
	if len(out) > n {
		rest := strings.Join(append(out[n-1:], words[i:]...), " ")
		out = append(out[:n-1], ansi.Truncate(rest, w, "…"))
	}
	return out
}

// fitWords is prose in at most w cells, unpadded: whole when it fits, else cut between
// words by fitParts ("Vault drain on …"), so a header's title or label never ends in
// half a word.
func fitWords(s string, w int) string {
	if width(s) <= w {
		return s
	}
	return strings.TrimRight(fitParts(strings.Fields(s), " ", w), " ")
}
