package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// cursor is a selection in a list of n rows shown h at a time. The offset moves only when
// the cursor would leave the window, so View renders rows [offset, offset+h) and nothing
// else, whatever n is.
type cursor struct {
	pos, offset, n, h int
}

func (c *cursor) clamp() {
	if c.pos >= c.n {
		c.pos = c.n - 1
	}
	if c.pos < 0 {
		c.pos = 0
	}
	if c.h <= 0 {
		c.offset = c.pos
		return
	}
	if c.pos < c.offset {
		c.offset = c.pos
	}
	if c.pos >= c.offset+c.h {
		c.offset = c.pos - c.h + 1
	}
	if max := c.n - c.h; c.offset > max {
		c.offset = max
	}
	if c.offset < 0 {
		c.offset = 0
	}
}

func (c *cursor) setLen(n int) { c.n = n; c.clamp() }

// follow sets the row count and moves to the first row is(i) names: a
// selection stays on its item when rows arrive or sort anew.
func (c *cursor) follow(n int, is func(i int) bool) {
	c.setLen(n)
	for i := range n {
		if is(i) {
			c.set(i)
			return
		}
	}
}
func (c *cursor) setHeight(h int) { c.h = h; c.clamp() }
func (c *cursor) set(i int)       { c.pos = i; c.clamp() }

// window is the half-open range of rows to draw.
func (c *cursor) window() (from, to int) {
	to = c.offset + c.h
	if to > c.n {
		to = c.n
	}
	return c.offset, to
}

// move handles the navigation keys; it reports whether msg was one.
func (c *cursor) move(k *KeyMap, msg tea.KeyMsg) bool {
	page := c.h - 1
	if page < 1 {
		page = 1
	}
	switch {
	case key.Matches(msg, k.Up):
		c.pos--
	case key.Matches(msg, k.Down):
		c.pos++
	case key.Matches(msg, k.PageUp):
		c.pos -= page
	case key.Matches(msg, k.PageDown):
		c.pos += page
	case key.Matches(msg, k.Top):
		c.pos = 0
	case key.Matches(msg, k.Bottom):
		c.pos = c.n - 1
	default:
		return false
	}
	c.clamp()
	return true
}

// marker is the cursor column: the row's selection reads without colour or reverse.
func marker(selected bool) string {
	if selected {
		return "▸"
	}
	return " "
}
