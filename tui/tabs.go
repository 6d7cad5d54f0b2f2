package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// paneShort is the tab bar's shorter name for a pane whose name is long: a whole word a
// responder reads as the pane, never a cut one. Short names have none.
var paneShort = [paneCount]string{paneRunbooks: "Books", paneTimeline: "Log", paneIncidents: "Incs"}

// tabForm is how much of an inactive tab's name the bar shows.
type tabForm int

const (
	tabFull   tabForm = iota // "6 Incidents"
	tabShort                 // "6 Incs"
	tabNumber                // "6": the key that reaches it
)

// tabBar: ─ [1 Alerts] ─ 2 Tasks ─ 3 Timers ─ ... with the active tab bracketed, so it
// reads in any colour profile, in exactly w cells. Narrower, it gives way in steps,
// each taken only where the one before does not fit:
//
//  1. the rules between tabs go; the tabs' own padding separates them (80 to 85
//     columns, every active tab);
//  2. inactive tabs take their short name (Runbooks → Books), farthest from the
//     active tab first, so its neighbours, which tab and shift+tab reach, read longest;
//  3. inactive tabs show their number alone, farthest first.
//
// The active tab always shows its full name, and every tab at least its number key;
// nothing is cut mid-word and the bar never wraps. At minW every active tab fits with
// names to spare; only a width below minW (never drawn: the too-small screen) would
// fall back to a plain cut.
func tabBar(k *ink, active paneID, w int) string {
	// The bar's width is summed, not rendered and measured at each step: a frame draws
	// it. The tabs' padding is the theme's, so it is measured.
	padTab, padActive := ansi.StringWidth(k.tab.on("1"))-1, ansi.StringWidth(k.tabActive.on("1"))-1
	var forms [paneCount]tabForm
	size := func(ruled bool) int {
		n := 2 // the rules at both ends
		if ruled {
			n += int(paneCount) - 1
		}
		for i := range paneCount {
			if i == active {
				n += padActive + width(tabLabel(i, tabFull)) + 2 // and its brackets
			} else {
				n += padTab + width(tabLabel(i, forms[i]))
			}
		}
		return n
	}
	ruled := size(true) <= w
	for _, form := range []tabForm{tabShort, tabNumber} {
		for _, id := range byDistance(active) {
			if ruled || size(false) <= w {
				break
			}
			if form == tabShort && paneShort[id] == "" {
				continue
			}
			forms[id] = form
		}
	}
	s, sw := renderTabs(k, active, forms, ruled), size(ruled)
	if sw > w { // below minW only: the too-small screen is drawn there instead
		return ansi.Truncate(s, w, "")
	}
	return s + k.muted.on(strings.Repeat("─", w-sw))
}

// tabLabel is a tab's text in a form: "6 Incidents", "6 Incs" or "6".
func tabLabel(id paneID, form tabForm) string {
	switch {
	case form == tabFull || paneShort[id] == "" && form == tabShort:
		return itoa(int(id)+1) + " " + paneNames[id]
	case form == tabShort:
		return itoa(int(id)+1) + " " + paneShort[id]
	}
	return itoa(int(id) + 1)
}

func renderTabs(k *ink, active paneID, forms [paneCount]tabForm, ruled bool) string {
	var b strings.Builder
	b.WriteString(k.muted.on("─"))
	for i := range paneCount {
		if i == active {
			b.WriteString(k.tabActive.on("[" + tabLabel(i, tabFull) + "]"))
		} else {
			b.WriteString(k.tab.on(tabLabel(i, forms[i])))
		}
		if ruled || i == paneCount-1 {
			b.WriteString(k.muted.on("─"))
		}
	}
	return b.String()
}

// byDistance lists the inactive panes farthest from active first; of two as far, the
// one on the right first.
func byDistance(active paneID) []paneID {
	out := make([]paneID, 0, paneCount-1)
	for d := int(paneCount) - 1; d > 0; d-- {
		if r := int(active) + d; r < int(paneCount) {
			out = append(out, paneID(r))
		}
		if l := int(active) - d; l >= 0 {
			out = append(out, paneID(l))
		}
	}
	return out
}
