package main

import (
	"io"
	"text/tabwriter"
)

// newTable is a tabwriter for the tables people read: columns two spaces
// apart, and no line ending in the padding of an empty last cell, which
// made rows look different from what a copy-paste or a diff showed.
func newTable(out io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(&trimRight{w: out}, 0, 4, 2, ' ', 0)
}

// trimRight passes bytes through but drops spaces right before a line feed.
// A run of spaces is held until the next byte says which it was: tabwriter
// writes a row cell by cell.
type trimRight struct {
	w      io.Writer
	spaces int
}

var spaces = []byte("                                ")

func (t *trimRight) Write(p []byte) (int, error) {
	start := 0
	for i, c := range p {
		switch c {
		case ' ':
			if i > start {
				if err := t.emit(p[start:i]); err != nil {
					return 0, err
				}
			}
			t.spaces++
			start = i + 1
		case '\n':
			if i == start { // the spaces held end this line
				t.spaces = 0
			}
		}
	}
	if start < len(p) {
		if err := t.emit(p[start:]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// emit writes the spaces held, then b, which does not start with the line
// feed that would have made them trailing.
func (t *trimRight) emit(b []byte) error {
	if len(b) > 0 && b[0] != '\n' {
		for t.spaces > 0 {
			n := min(t.spaces, len(spaces))
			if _, err := t.w.Write(spaces[:n]); err != nil {
				return err
			}
			t.spaces -= n
		}
	}
	t.spaces = 0
	_, err := t.w.Write(b)
	return err
}
