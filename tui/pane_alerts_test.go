package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// Below 64 columns the alerts list keeps whether an alert is acknowledged, as a bare ✓:
// it used to drop the column, and a responder in a narrow tmux split could not tell the
// acked relayer alert from the unacked bridge one.
func TestAlertsNarrowKeepsTheAck(t *testing.T) {
	for _, w := range []int{60, 63} {
		h := newHarness(t, newScenario(t).fake, w, 20)
		rows := map[string]string{}
		for _, l := range paneLines(h, paneAlerts) {
			for _, k := range []string{"Relayer key", "Bridge vault"} {
				if strings.Contains(l, k) && strings.Contains(l, "FIRING") {
					rows[k] = strings.TrimRight(l, " ")
				}
			}
		}
		if r := rows["Relayer key"]; !strings.HasSuffix(r, " ✓") {
			t.Errorf("at %d columns the acked relayer alert reads %q", w, r)
		}
		if r := rows["Bridge vault"]; strings.Contains(r, "✓") || len(r) == 0 {
			t.Errorf("at %d columns the unacked bridge alert reads %q", w, r)
		}
	}
}

// alertRow is the alerts pane's row that reads title, trailing spaces cut; "" when none.
func alertRow(h *harness, title string) string {
	for _, l := range paneLines(h, paneAlerts) {
		if strings.Contains(l, title) && (strings.Contains(l, "FIRING") || strings.Contains(l, "RESOLVED")) {
			return strings.TrimRight(l, " ")
		}
	}
	return ""
}

// An ack belongs to the firing it was made in. Alice acked the relayer alert; carol's
// watcher repeats it, bob's resolves it and carol's late repeat folds after that: the
// firing goes on, still acked. Then bob's watcher, which saw it resolve, reports it
// firing again: nobody has this firing, the row drops its ✓, the title counts it
// unacked and the detail says who acked the earlier one. Alice cannot ack again (one
// ack per member and alert, on every replica): the cockpit says what to do and signs
// nothing. Carol's ack of the new firing shows.
func TestAlertsRefiredIsUnacked(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 140, 44)
	const title = "Relayer key signed"
	relayer := func(h, status, when string) {
		s.external(h, &domain.AlertObserve{Fingerprint: "chain-relayer-ip", Title: "Relayer key signed from an unseen IP",
			Source: "chain", Severity: "P2", Status: status}, at(when))
	}
	unacked := func() string { return h.m.panes[paneAlerts].(*alertsPane).Title() }
	if r := alertRow(h, title); !strings.HasSuffix(r, "✓ alice") {
		t.Fatalf("acked relayer alert reads %q", r)
	}
	before := unacked()
	relayer("carol", "firing", "03:35:00")
	relayer("bob", "resolved", "03:40:00")
	relayer("carol", "firing", "03:41:00") // a late repeat: carol never saw it resolve
	h.poll()
	if r := alertRow(h, title); !strings.Contains(r, "FIRING") || !strings.HasSuffix(r, "✓ alice") {
		t.Errorf("after a late repeat the relayer alert reads %q, want FIRING and still ✓ alice", r)
	}
	if got := unacked(); got != before {
		t.Errorf("after a late repeat the title reads %q, want %q", got, before)
	}

	relayer("bob", "firing", "03:50:00")
	h.poll()
	if r := alertRow(h, title); !strings.Contains(r, "FIRING") || strings.Contains(r, "✓") {
		t.Errorf("fired again, the relayer alert reads %q, want FIRING and no ✓", r)
	}
	if got := unacked(); got == before {
		t.Errorf("fired again, the title still reads %q", got)
	}
	h.press("/")
	h.typeText("Relayer")
	h.press("enter")
	h.contains("fired again 03:50", "not acked since (earlier: alice)")
	stored := s.stored()
	h.press("a")
	h.contains("✗ you acked an earlier firing")
	if n := s.stored() - stored; n != 0 {
		t.Errorf("the refused ack stored %d events", n)
	}

	s.external("carol", &domain.AlertAck{Alert: s.relayer}, at("03:51:00"))
	h.poll()
	if r := alertRow(h, title); !strings.HasSuffix(r, "✓ carol") {
		t.Errorf("acked again by carol, the relayer alert reads %q", r)
	}
	h.contains("acked by carol")
}

// A failed read of the firings says so on the status line and keeps the acks read
// before; the next poll reads them again.
func TestAlertsFiringsReadFails(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 140, 44)
	s.firingsErr = errors.New("database is locked")
	s.external("carol", &domain.Note{Incident: s.p1, Text: "x"}, at("03:40:00"))
	h.poll()
	h.contains("✗ reading the alerts' firings: database is locked")
	if r := alertRow(h, "Relayer key signed"); !strings.HasSuffix(r, "✓ alice") {
		t.Errorf("after a failed read the relayer alert reads %q, want the acks read before", r)
	}
	s.firingsErr = nil
	h.poll()
	if h.m.ctx.Live.FiringsErr != nil {
		t.Errorf("the next poll did not read the firings again: %v", h.m.ctx.Live.FiringsErr)
	}
}
