package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

// longCommand is a one-liner of the kind runbooks hold: several commands joined, quoted
// arguments, a URL; far longer than any detail area, every token shorter than a line.
var longCommand = "ssh -o BatchMode=yes -o ConnectTimeout=10 {{host}} 'date -u; uptime; ps auxwwf; ss -tanp; " +
	"ls -la /proc/*/exe 2>/dev/null | head -200; sha256sum /usr/local/bin/* /opt/relayer/bin/*; " +
	"journalctl -u relayer --since=-6h --no-pager | tail -500; cat /etc/hosts /etc/resolv.conf; " +
	"iptables-save; nft list ruleset; last -F | head -50' | tee /var/tmp/tminus-capture-{{host}}.txt " +
	"&& curl -fsS -X POST https://hooks.example.internal/evidence/upload --data-binary @/var/tmp/tminus-capture-{{host}}.txt END-OF-COMMAND"

func longRunbook() RunbookLine {
	return RunbookLine{ID: "aaa-capture", Title: "Capture everything on a host", Risk: "low", Command: longCommand,
		Params: []RunbookParam{param("host", "DNS name of the host", `^[a-z0-9.-]+$`)},
		Steps: []RunbookStep{{Number: 1, Title: "Capture", Command: longCommand, Params: []string{"host"}},
			{Number: 2, Title: "Second capture", Command: strings.Replace(longCommand, "END-OF-COMMAND", "END-OF-STEP-TWO", 1),
				Params: []string{"host"}}}}
}

// seenWhileScrolling is the text of every screen from the reader's top to its bottom.
func (h *harness) seenWhileScrolling() string {
	h.t.Helper()
	var all strings.Builder
	for i := 0; i < 40; i++ {
		all.WriteString(h.screen())
		prev := h.screen()
		h.press("pgdown")
		if h.screen() == prev {
			break
		}
	}
	return all.String()
}

// The detail under the list has a few lines; a command longer than that is cut there,
// with the key that shows it whole. v opens the whole of it: every step's command of a
// runbook, a proposal's exact command, wrapped and never cut; esc or q closes it.
func TestDetailShowsTheWholeCommand(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		s := newScenario(t)
		s.runbooks = append(s.runbooks, longRunbook())
		cmd := strings.ReplaceAll(longCommand, "{{host}}", "'relayer-1.internal'")
		prop := s.apply("alice", &domain.RunbookPropose{Incident: s.p1, Runbook: "aaa-capture", RunbookHash: domain.CommandHash("aaa"),
			Step: 1, StepTitle: "Capture", Params: map[string]string{"host": "relayer-1.internal"}, Command: cmd,
			CommandHash: domain.CommandHash(cmd), Risk: domain.RiskLow}, at("03:50:00"))
		if s.st.Proposals[prop] == nil {
			t.Fatalf("proposal not folded: %+v", s.st.Rejected)
		}
		h := newHarness(t, s.fake, size[0], size[1])
		h.press("4") // the newest waiting proposal first: alice's capture
		h.contains("▸aaa-capture", "v shows it whole")
		h.lacks("END-OF-COMMAND")
		h.press("v")
		h.contains("aaa-capture step 1", "step 1: Capture", "proposed by alice 03:50 · low risk")
		words := strings.Fields(cmd)
		for _, l := range h.m.panes[paneRunbooks].(*runbooksPane).rd.lines {
			if strings.Contains(l, "…") {
				t.Errorf("%dx%d: the detail view cut a line: %q", size[0], size[1], ansi.Strip(l))
			}
		}
		seen := h.seenWhileScrolling()
		for _, w := range words {
			if !strings.Contains(seen, w) {
				t.Errorf("%dx%d: the proposal's command lacks %q on screen", size[0], size[1], w)
			}
		}
		h.press("esc")
		h.contains("▸aaa-capture")
		h.lacks("step 1: Capture")

		// The runbook: both steps, whole, with their placeholders.
		row := "▸" + fit("aaa-capture", 22) + " low"
		for i := 0; i < 10 && !strings.Contains(h.screen(), row); i++ {
			h.press("j")
		}
		h.contains(row, "v shows it whole")
		h.press("v")
		seen = h.seenWhileScrolling()
		for _, w := range append(strings.Fields(longCommand), "END-OF-STEP-TWO", "1 Capture", "2 Second capture", "host") {
			if !strings.Contains(seen, w) {
				t.Errorf("%dx%d: the runbook's detail lacks %q", size[0], size[1], w)
			}
		}
		h.press("q") // closes the view; it does not quit
		if h.quit {
			t.Fatal("q in the detail view quit the cockpit")
		}
		h.contains(row)
		checkFrame(t, "after the detail view", h.view(), size[0], size[1])
	}
}

// A Safe transaction's rows and details give way in the middle of addresses and hashes;
// v shows every one of them whole, as an owner compares them with a wallet's screen.
func TestDetailShowsASafeTransactionWhole(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		s := newScenario(t)
		id := s.safeProposal(t, safe.Call, 41)
		sp := s.st.Safe[id]
		h := newHarness(t, s.fake, size[0], size[1])
		h.press("4", "v")
		h.contains("contract-pause Safe transaction", "safeTxHash")
		// A hash wider than the pane goes on at the next line's first cell: joined, the
		// lines hold every value whole.
		rd := h.m.panes[paneRunbooks].(*runbooksPane).rd
		var joined strings.Builder
		for _, l := range rd.lines {
			joined.WriteString(strings.TrimRight(ansi.Strip(l), " "))
		}
		for _, want := range []string{sp.Tx.Safe.Hex(), sp.Tx.To.Hex(), sp.SafeTxHash.Hex(), sp.DomainHash.Hex(),
			sp.MessageHash.Hex(), sp.Signatures[0].Owner.Hex(), "nonce 41", "1 of 2 owner signatures", "tminus safe sign " + id.Short()} {
			if !strings.Contains(joined.String(), want) {
				t.Errorf("%dx%d: the Safe transaction's view lacks %q", size[0], size[1], want)
			}
		}
		h.seenWhileScrolling() // to its end and back: y still copies
		h.press("g")
		h.press("y")
		if len(h.copied) != 1 || h.copied[0] != sp.SafeTxHash.Hex() {
			t.Errorf("y copied %q, want the safeTxHash", h.copied)
		}
		h.press("esc")
		h.contains("SAFE TXS")
	}
}
