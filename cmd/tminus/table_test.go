package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/quick"
)

func TestTableTrimsTrailingSpaces(t *testing.T) {
	var out bytes.Buffer
	w := newTable(&out)
	fmt.Fprintln(w, "ID\tTITLE\tACKED")
	fmt.Fprintln(w, "abc\tBridge  outflow\t")
	fmt.Fprintln(w, "abcdef\tDisk\talice")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "ID      TITLE            ACKED\nabc     Bridge  outflow\nabcdef  Disk             alice\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}

// Whatever the pieces the bytes come in, the output is the input with
// spaces before each line feed dropped.
func TestTrimRightAnyPieces(t *testing.T) {
	f := func(text string, cuts []uint8) bool {
		text = strings.Map(func(r rune) rune {
			switch r % 4 {
			case 0:
				return ' '
			case 1:
				return '\n'
			}
			return r
		}, text)
		var out bytes.Buffer
		tr := &trimRight{w: &out}
		rest := []byte(text)
		for _, c := range cuts {
			n := min(int(c)%8, len(rest))
			tr.Write(rest[:n])
			rest = rest[n:]
		}
		tr.Write(rest)
		lines := strings.Split(text, "\n")
		for i, l := range lines[:len(lines)-1] {
			lines[i] = strings.TrimRight(l, " ")
		}
		// The last line has no line feed yet: its spaces may be trailing, so
		// they are held, and only what precedes them is out.
		lines[len(lines)-1] = strings.TrimRight(lines[len(lines)-1], " ")
		return out.String() == strings.Join(lines, "\n")
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
}
