package tui

import (
	"slices"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// A responder reading back in the timeline keeps the entry they selected when entries
// arrive: the timeline is in fold order, and a peer that was offline brings events that
// sort before the cursor. The cursor kept its index, so it, and the full text under the
// list, moved to another entry under the responder's eyes.
func TestTimelineSelectionStaysOnItsEntry(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5", "k", "k", "k")
	p := h.m.panes[paneTimeline].(*timelinePane)
	want := p.rows[p.cur.pos]
	late := domain.Entry{Event: domain.ID{0x1a}, At: at("03:17:00").UnixMilli(), By: "dave", Kind: domain.KindNote,
		Text: "late from an offline peer"}
	l := h.m.ctx.Live
	l.Timeline = slices.Insert(slices.Clone(l.Timeline), 2, late)
	h.m.broadcast(stateMsg{})
	if got := p.rows[p.cur.pos]; got != want {
		t.Fatalf("after an entry arrived above it, the selection is %q, want %q", got.Text, want.Text)
	}
	// An event with two entries (a declaration and its linked alert): each is its own.
	h.press("g", "j", "j")
	first := p.rows[p.cur.pos]
	h.press("j")
	second := p.rows[p.cur.pos]
	if first.Event == second.Event {
		l.Timeline = slices.Insert(slices.Clone(l.Timeline), 0, late)
		h.m.broadcast(stateMsg{})
		if got := p.rows[p.cur.pos]; got != second {
			t.Errorf("selection %q, want the event's second entry %q", got.Text, second.Text)
		}
	}
	// At the bottom it follows the newest, as before.
	h.press("G")
	l.Timeline = append(slices.Clone(l.Timeline), domain.Entry{Event: domain.ID{0x2b}, At: at("03:41:00").UnixMilli(),
		By: "bob", Kind: domain.KindNote, Text: "newest"})
	h.m.broadcast(stateMsg{})
	if got := p.rows[p.cur.pos]; got.Text != "newest" {
		t.Errorf("at the bottom the selection is %q, want the newest entry", got.Text)
	}
}
