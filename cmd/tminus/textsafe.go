package main

import (
	"io"
	"unicode/utf8"
)

// Output for people carries strings nobody here chose: titles and notes any
// member signs, alert titles and labels a webhook sends, evidence names. An
// escape sequence among them would drive the reader's terminal: clear the
// screen, retitle the window, write the clipboard (OSC 52), or move the
// cursor over what the output says. So every human text output goes through
// a textWriter, which shows each C0 control but line feed and tab, DEL, each
// C1 control (U+0080-U+009F, among them the one-character CSI U+009B) and
// each byte that is not UTF-8 as U+FFFD. One character for one keeps the
// columns of a table (tabwriter counts runes) where they were. JSON output
// and signed event lines never pass through it: they must stay byte-exact,
// and encoding/json escapes what a terminal would act on in JSON strings.

// replacementChar stands in for a control character in text output.
const replacementChar = '\uFFFD'

// unsafeRune reports whether r must not reach a terminal as it is.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// safeBytes reports whether p holds nothing to replace: the common case,
// printable ASCII and well-formed UTF-8 without controls.
func safeBytes(p []byte) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < 0x80 {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n <= 1 || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// appendSafe appends p to dst with every unsafe rune, and every byte that
// is not UTF-8, replaced by replacementChar.
func appendSafe(dst, p []byte) []byte {
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n <= 1 || unsafeRune(r) {
			dst = utf8.AppendRune(dst, replacementChar)
		} else {
			dst = append(dst, p[i:i+n]...)
		}
		i += n
	}
	return dst
}

// safeText is s made safe for a terminal, as a textWriter writes it.
func safeText(s string) string {
	if safeBytes([]byte(s)) {
		return s
	}
	return string(appendSafe(make([]byte, 0, len(s)+8), []byte(s)))
}

// textWriter writes text for people, controls replaced. It keeps no state:
// each Write is judged alone, so a rune split across two writes shows as
// replacement characters rather than as itself. fmt writes each call whole
// and tabwriter writes whole cells, so that does not happen here.
type textWriter struct{ w io.Writer }

// Write reports len(p) on success, though it may write more bytes (a
// replacement is three): a writer above it (tabwriter) counts what it gave.
func (t textWriter) Write(p []byte) (int, error) {
	if safeBytes(p) {
		return t.w.Write(p)
	}
	if _, err := t.w.Write(appendSafe(make([]byte, 0, len(p)+8), p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// text is stdout for output meant for people; see textWriter.
func (a *app) text() io.Writer { return textWriter{a.stdout} }

// textErr is stderr for progress meant for people (a drill's injects).
func (a *app) textErr() io.Writer { return textWriter{a.stderr} }
