package tui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
)

func TestStartSelectsMostSevereOpenIncident(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	if h.m.Selected() != s.p1 {
		t.Fatalf("selected %s, want the P1 %s", h.m.Selected().Short(), s.p1.Short())
	}
	h.contains("acme-sec", "[P1] Vault drain on the L2 bridge", "TRIAGED", "+00:41:07",
		"NEXT T+02:13 OVERDUE Snapshot", "peers 3/4 · synced", "triage alice", "[1 Alerts]")
}

func TestHeaderOnEveryTab(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	for _, tab := range []string{"1", "2", "3", "4", "5", "6"} {
		h.press(tab)
		h.contains("[P1] Vault drain", "+00:41:07", "NEXT T+02:13", "peers 3/4", "["+tab+" ")
	}
}

// Firing alerts come first, the most severe on top, so a P4 that fired last
// does not push the P1 down; resolved ones follow.
func TestAlertsFiringBySeverityWithCorroborationAndAck(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	lines := strings.Split(h.screen(), "\n")
	// Row 4 is the first alert under the header and the tab bar.
	for i, want := range []string{"[P1] FIRING     2/3", "[P2] FIRING     1/3 Relayer key", "[P4] FIRING", "[P3] RESOLVED"} {
		if row := lines[4+i]; !strings.Contains(row, want) {
			t.Errorf("alert row %d = %q, want %q", i+1, row, want)
		}
	}
	if !strings.Contains(lines[5], "✓ alice") {
		t.Errorf("relayer row = %q, want it acked by alice", lines[5])
	}
}

func TestAckAlert(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("a") // the P1 bridge alert, on top
	if got := s.st.Alerts[s.bridge].Ackers(); len(got) != 1 || got[0] != "alice" {
		t.Fatalf("bridge alert acked by %v, want [alice]", got)
	}
	// The status names the alert as the list does, not by an id the cockpit shows nowhere.
	h.contains("✓ acknowledged: Bridge vault outflow 12x above 7d baseline")
	// The relayer alert is already acked by alice: the fold refuses a second ack, and the
	// cockpit says so instead of pretending.
	h.press("j", "a")
	h.contains("✗", "already acknowledged")
	h.press("j") // the next key clears the status line
	h.lacks("✗")
}

func TestDeclareIncidentWithForm(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("D")
	h.contains("Declare an incident", "Title", "Severity", "[P2]")
	h.typeText("Relayer key compromise")
	h.press("enter", "left", "enter", "enter") // P1, not a drill
	inc := findIncident(t, s.st, "Relayer key compromise")
	if inc.Severity != "P1" || inc.Drill {
		t.Errorf("declared %s drill=%v, want P1 and not a drill", inc.Severity, inc.Drill)
	}
	if h.m.Selected() != inc.ID {
		t.Errorf("the declared incident is not selected")
	}
	h.contains("[P1] Relayer key compromise", "DECLARED", "✓ declared")
}

func TestDeclareFromAlertLinksIt(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("j", "j", "i") // the third alert: disk on archive-2, P4
	// The form names the alert as the list does, not by an id shown nowhere.
	h.contains("Declare an incident from the alert Disk 85% on archive-2", "[P4]")
	h.press("enter", "enter", "enter")
	inc := findIncident(t, s.st, "Disk 85% on archive-2")
	if len(inc.Alerts) != 1 || inc.Alerts[0] != s.disk {
		t.Errorf("incident alerts = %v, want the disk alert", inc.Alerts)
	}
}

// The bridge alert belongs to the open P1: a second incident from it would
// take its link away from the P1, so the cockpit refuses and signs nothing.
func TestDeclareFromAlertOfOpenIncidentRefused(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	n := len(s.st.Incidents)
	for i := 0; i < 4 && !strings.Contains(h.view(), "▸[P1] FIRING"); i++ {
		h.press("j")
	}
	h.press("i")
	h.contains("already in open incident")
	h.lacks("Declare an incident from alert")
	if len(s.pending) != 0 || len(s.st.Incidents) != n {
		t.Errorf("something was signed: %d pending, %d incidents", len(s.pending), len(s.st.Incidents))
	}
}

func TestFormValidationKeepsTheFormOpen(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("D", "enter", "enter", "enter") // no title
	h.contains("Declare an incident", "error: title is required")
	h.press("esc")
	h.lacks("Declare an incident")
	if len(s.st.Incidents) != 3 {
		t.Errorf("%d incidents, want the 3 of the scenario", len(s.st.Incidents))
	}
}

func TestSeverityStatusAndLead(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("s", "right", "enter")
	if got := s.st.Incidents[s.p1].Severity; got != "P2" {
		t.Errorf("severity %s, want P2", got)
	}
	h.press("S")
	h.contains("[contained]") // the status after triaged is offered first
	h.press("enter")
	if got := s.st.Incidents[s.p1].Status; got != domain.StatusContained {
		t.Errorf("status %s, want contained", got)
	}
	h.contains("CONTAINED")
	// L: role comms (after triage), member alice (first: this device) takes it from carol.
	h.press("L", "right", "enter", "enter")
	if got := s.st.Incidents[s.p1].Leads["comms"]; got != "alice" {
		t.Errorf("comms lead %q, want alice", got)
	}
	// bob does not hold comms: the form says so and stays open.
	h.press("L", "right", "enter", "right", "enter")
	h.contains("bob does not hold the comms role")
}

func TestTasksAddDoneOwnerAndOverdue(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("2")
	h.contains("[ ] Snapshot vault balances", "due 03:54 OVERDUE", "[x] Draft pause tx", "done 03:31")
	h.press("t")
	h.typeText("Rotate the relayer key")
	h.press("enter", "left", "enter") // owner dave, the last after (none)
	h.typeText("30m")
	h.press("enter")
	var added *domain.Task
	for _, tk := range s.st.Tasks {
		if tk.Title == "Rotate the relayer key" {
			added = tk
		}
	}
	if added == nil || added.Owner != "dave" || added.Due != t0.Add(30*time.Minute).UnixMilli() {
		t.Fatalf("added task = %+v, want owner dave due in 30m", added)
	}
	// The new task is under the cursor: enter marks it done.
	h.press("enter")
	if !s.st.Tasks[added.ID].Done {
		t.Errorf("enter did not mark the task done")
	}
	h.press("g", "o", "right", "enter") // the overdue snapshot task from bob to carol
	if got := s.st.Tasks[s.snapshot].Owner; got != "carol" {
		t.Errorf("snapshot owner %q, want carol", got)
	}
}

func TestTimersCountDownAndReArm(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("3")
	h.contains("T-14:59    Containment check", "T-18:53    Comms update (every 30m)")
	h.tick(time.Second)
	h.contains("T-14:58    Containment check", "+00:41:08")
	// Past the comms deadline it re-arms 30 minutes later; the containment check goes
	// overdue and says so.
	h.tick(20 * time.Minute)
	h.contains("T+05:02    Containment check OVERDUE", "T-28:52    Comms update", "T+22:14 OVERDUE")
}

func TestAddTimer(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("T")
	h.typeText("Status page update")
	h.press("enter")
	h.typeText("15")
	h.press("enter")
	h.typeText("30m")
	h.press("enter")
	var tm *domain.Timer
	for _, x := range s.st.Timers {
		if x.Label == "Status page update" {
			tm = x
		}
	}
	if tm == nil || tm.Due != t0.Add(15*time.Minute).UnixMilli() || tm.Every != (30*time.Minute).Milliseconds() {
		t.Fatalf("timer = %+v, want due in 15m every 30m", tm)
	}
	h.press("3")
	h.contains("T-15:00    Status page update (every 30m)")
}

func TestNoteAppearsInTimeline(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5", "n")
	h.typeText("Pause tx signed by 2 of 3")
	h.press("enter")
	h.contains("alice", "note.add", "Pause tx signed by 2 of 3")
}

func TestFilterCapturesKeys(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("/")
	h.typeText("seq") // no global key fires while typing (s would open severity)
	h.contains("Sequencer lag")
	h.lacks("Relayer key", "Severity of")
	h.press("enter")
	h.contains("/seq")
	h.press("esc")
	h.contains("Relayer key", "Sequencer lag")
	h.press("/")
	h.typeText("q")
	if h.quit {
		t.Fatal("q typed into the filter quit the cockpit")
	}
}

func TestQuitAsksOnlyWithAHalfFilledForm(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("D", "x", "ctrl+c")
	if h.quit {
		t.Fatal("quit without asking while a form was half-filled")
	}
	h.contains("Discard the half-filled form and quit?")
	h.press("n")
	h.contains("Declare an incident")
	h.press("esc", "q") // esc kept the "x" as a draft, which quitting would lose
	h.contains("1 draft typed and not signed will be lost")
	h.m.askedAt = time.Now().Add(-time.Hour)
	h.press("y")
	if !h.quit {
		t.Fatal("y did not quit with no form open")
	}
	h2 := newHarness(t, newScenario(t).fake, 80, 24)
	h2.press("s", "q") // q is a letter in a form, even an untouched one
	if h2.quit {
		t.Fatal("q in an untouched form quit")
	}
	h2.press("ctrl+c") // an untouched form: ctrl+c quits at once
	if !h2.quit {
		t.Fatal("ctrl+c in an untouched form did not quit")
	}
}

func TestErrorsStayUntilTheNextKey(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	s.fail = errors.New("store is locked by another process")
	h.press("2", "enter")
	h.contains("✗ store is locked by another process")
	h.poll()
	h.tick(time.Second)
	h.contains("✗ store is locked")
	h.press("j")
	h.lacks("✗")
}

func TestStrangerCannotSign(t *testing.T) {
	s := newScenario(t)
	s.me = "mallory"
	h := newHarness(t, s.fake, 80, 24)
	h.press("2", "enter")
	h.contains("not a member of the workspace")
	if len(s.pending) != 0 {
		t.Error("an event was signed for a stranger")
	}
}

// A member removed from the roster keeps their history, but nothing more they sign
// would count: the cockpit says so instead of signing.
func TestRemovedMemberCannotSign(t *testing.T) {
	s := newScenario(t)
	s.me = "dave"
	s.apply("alice", &domain.MemberPropose{Action: domain.ActionRemove, Member: domain.MemberSpec{Handle: "dave"}}, at("03:30:00"))
	h := newHarness(t, s.fake, 80, 24)
	h.press("2", "enter")
	h.contains("dave was removed from this")
	if len(s.pending) != 0 {
		t.Error("an event was signed for a removed member")
	}
}

func TestLiveUpdateWithoutAKey(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5")
	before := h.view()
	h.poll()
	if h.view() != before {
		t.Error("a poll that found nothing changed the screen")
	}
	s.external("bob", &domain.Note{Incident: s.p1, Text: "Second signer online"}, t0)
	s.external("carol", &domain.AlertObserve{Fingerprint: "chain-bridge-outflow", Title: "Bridge vault outflow 12x above 7d baseline",
		Source: "chain", Severity: "P1", Status: "firing"}, t0)
	h.poll()
	h.contains("bob", "Second signer online")
	h.press("1")
	h.contains("3/3")
}

func TestCopyRunbookOneLiner(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 80, 24)
	h.press("4")
	// On a proposal, y copies the exact command proposed; on a runbook, its one-liner.
	h.press("y")
	if len(h.copied) != 1 || !strings.HasPrefix(h.copied[0], "cast send '0x5e4e65926ba27467555eb562121fac00d24e9dd2'") {
		t.Fatalf("copied %q", h.copied)
	}
	h.contains("✓ copied the command proposed for contract-pause")
	h.press("j")
	h.contains("contract-pause", "high", "$ cast block latest --rpc-url {{rpc}}")
	h.press("y")
	if len(h.copied) != 2 || !strings.HasPrefix(h.copied[1], "cast block latest --rpc-url {{rpc}}") {
		t.Fatalf("copied %q", h.copied)
	}
	h.contains("✓ copied contract-pause one-liner")
}

func TestSelectingAnIncidentMovesEveryPane(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("6", "j")
	if h.m.Selected() != s.p3 {
		t.Fatalf("selected %s, want the P3", h.m.Selected().Short())
	}
	h.contains("[P3] Docs site 502 on /bridge", "no deadlines")
	h.press("2")
	h.contains("no tasks yet")
}

func TestHelpShowsEveryKey(t *testing.T) {
	h := newHarness(t, newScenario(t).fake, 160, 48)
	h.press("?")
	h.contains("Selected incident", "severity", "Alerts (this pane)", "ack", "Runbooks", "y            copy",
		"Forms", "←/→          choose (typing ignored)", "quit")
	// The runbooks pane starts on bob's waiting proposal: approving and executing apply.
	h.contains("A            approve", "x            execute")
	before := h.screen()
	h.press("esc", "4", "j", "?") // a runbook: the same keys, those that do not apply marked
	h.contains("y            copy", "(A)          approve", "(x)          execute")
	h.press("esc", "k", "1", "?") // back on the first row and tab: the same screen as before
	if h.screen() != before {
		t.Error("help reads differently after moving away and back")
	}
	h.press("esc")
	h.lacks("Alerts (this pane)")
}

func TestClockRunsOnlyWhileSomethingCounts(t *testing.T) {
	f := newFake(t, t0)
	f.apply("alice", &domain.Genesis{Name: "quiet", Founder: domain.MemberSpec{Address: f.addr("alice"), Handle: "alice",
		Roles: []string{"triage"}}}, t0)
	h := newHarness(t, f, 80, 24)
	if h.m.ticking {
		t.Error("the clock ticks with nothing on screen counting")
	}
	h.contains("no incident selected", "peers 0/0 · offline")
	if !newHarness(t, newScenario(t).fake, 80, 24).m.ticking {
		t.Error("the clock does not tick with an open incident on screen")
	}
}

func TestHostileTextIsCleaned(t *testing.T) {
	s := newScenario(t)
	s.external("bob", &domain.Note{Incident: s.p1, Text: "evil\x1b]52;c;cm0gLXJmIC8=\x07\x1b[2Jline\nnext"}, t0)
	h := newHarness(t, s.fake, 80, 24)
	h.poll()
	h.press("5")
	v := h.view()
	if strings.Contains(v, "\x1b") || strings.Contains(v, "\x07") {
		t.Fatalf("an escape sequence from a note reached the screen: %q", v)
	}
	h.contains("evil ]52;c;cm0gLXJmIC8=  [2Jline ⏎ next")
}

func findIncident(t *testing.T, s *domain.State, title string) *domain.Incident {
	t.Helper()
	for _, inc := range s.Incidents {
		if inc.Title == title {
			return inc
		}
	}
	t.Fatalf("no incident %q", title)
	return nil
}

func TestKeysArrivingTogetherAreSplit(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2")})
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("tRotate keys")}) // t opens the form, the rest is typed
	h.press("enter", "enter", "enter")
	found := false
	for _, tk := range s.st.Tasks {
		found = found || tk.Title == "Rotate keys"
	}
	if !found {
		t.Errorf("keys read together were not handled one by one:\n%s", h.screen())
	}
}

func TestDrillIsUnmistakable(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("D")
	h.typeText("Gameday: oracle manipulation")
	h.press("enter", "enter", "right", "enter")
	lines := strings.Split(h.screen(), "\n")
	if !strings.Contains(lines[0], "DRILL  [P2] Gameday") || !strings.Contains(lines[2], "DRILL · an exercise") {
		t.Errorf("the drill is not flagged on the header lines:\n%s", strings.Join(lines[:3], "\n"))
	}
	for _, tab := range []string{"2", "3", "4", "5", "6"} {
		h.press(tab)
		h.contains("DRILL")
	}
	// Narrower, the banner and the title's first word stay; the workspace name and the
	// leads' hint give way first, whole.
	for _, sz := range narrowSizes {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkFrame(t, "drill", h.view(), sz[0], sz[1])
		lines := strings.Split(h.screen(), "\n")
		// Real alerts keep firing during a drill: their count stays beside the banner.
		banner := "DRILL · an exercise · alerts 3 firing, 2 unacked"
		if sz[0] < 72 {
			banner = "DRILL · alerts 3 firing, 2 unacked"
		}
		if !strings.Contains(lines[0], "DRILL  [P2] Gameday: ") || !strings.Contains(lines[2], banner) ||
			!strings.Contains(lines[2], " no leads yet ") {
			t.Errorf("%dx%d: the drill header lacks its banner, the alerts or the title:\n%s", sz[0], sz[1], strings.Join(lines[:3], "\n"))
		}
	}
	h.send(tea.WindowSizeMsg{Width: 160, Height: 48})
	h.contains("DRILL · an exercise, not a real incident · alerts 3 firing, 2 unacked · as alice")
}

func TestOSC52(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	var b strings.Builder
	if err := OSC52(&b, env("TERM", "xterm-256color"))("ssh {{host}} ps"); err != nil {
		t.Fatal(err)
	}
	if want := "\x1b]52;c;c3NoIHt7aG9zdH19IHBz\x07"; b.String() != want {
		t.Errorf("OSC 52 = %q, want %q", b.String(), want)
	}
	b.Reset()
	OSC52(&b, env("TERM", "screen"))("x")
	if !strings.HasPrefix(b.String(), "\x1bP\x1b]52;") || !strings.HasSuffix(b.String(), "\x1b\\") {
		t.Errorf("inside GNU screen the sequence is not wrapped: %q", b.String())
	}
	b.Reset()
	OSC52(&b, env("TERM", "screen", "TMUX", "/tmp/tmux-0/default,1,0"))("x")
	if strings.HasPrefix(b.String(), "\x1bP") {
		t.Errorf("inside tmux (TERM=screen) the sequence must stay plain for tmux to forward: %q", b.String())
	}
}

func TestCountdownAndElapsed(t *testing.T) {
	tests := []struct {
		deadline, now int64
		want          string
	}{
		{900_000, 1, "T-15:00"},
		{899_000, 0, "T-14:59"},
		{1, 0, "T-00:01"}, // time left never reads 00:00
		{0, 0, "T+00:00"},
		{0, 133_000, "T+02:13"},
		{71*3600_000 + 18*60_000 + 40_000, 0, "T-71:18:40"},
	}
	for _, tt := range tests {
		if got := countdown(tt.deadline, tt.now); got != tt.want {
			t.Errorf("countdown(%d, %d) = %s, want %s", tt.deadline, tt.now, got, tt.want)
		}
	}
	if got := elapsed(0, (41*60+7)*1000); got != "+00:41:07" {
		t.Errorf("elapsed = %s", got)
	}
	if got := every(30 * 60_000); got != "30m" {
		t.Errorf("every(30m) = %s", got)
	}
	if got := every(90 * 60_000); got != "1h30m" {
		t.Errorf("every(90m) = %s", got)
	}
	if got := every(45_000); got != "45s" {
		t.Errorf("every(45s) = %s", got)
	}
}

// A workspace whose policy suggests P1 at one watcher marks the firing
// alerts below P1 in the list, and says why under it.
func TestAlertsShowThePolicysSuggestion(t *testing.T) {
	s := newScenario(t)
	s.st.Policy.SuggestP1At = 1
	h := newHarness(t, s.fake, 80, 24)
	lines := strings.Split(h.screen(), "\n")
	if strings.Contains(lines[4], "▲P1?") {
		t.Errorf("first alert row = %q: already P1, nothing to suggest", lines[4])
	}
	if !strings.Contains(lines[5], "▲P1? Relayer key") {
		t.Errorf("second alert row = %q, want the relayer alert marked ▲P1?", lines[5])
	}
	h.press("j")
	h.contains("policy suggests P1: 1/3 watchers agree")
}

// At 80x24 a timeline row cuts a long note; the selected entry is shown in
// full under the list, and following the tail means the newest one.
func TestTimelineShowsTheSelectedEntryInFull(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5")
	note := "Relayer key rotated on the HSM; old key revoked at block 19,442,120 and the bridge is paused"
	s.fake.external("bob", &domain.Note{Incident: s.p1, Text: note}, s.fake.now())
	h.poll()
	h.contains("bob · note.add", "old key revoked at block 19,442,120 and the", "bridge is paused")
	h.press("k") // the entry above: its text, not the note's
	h.lacks("bridge is paused")
	h.contains("bob · runbook.propose", "'--ledger'")
}

// The timeline is read from the backend, not the state: selecting another incident
// must show that incident's own entries at once, following its newest.
func TestSelectingAnIncidentShowsItsTimeline(t *testing.T) {
	s := newScenario(t)
	s.apply("carol", &domain.Note{Incident: s.p3, Text: "CDN origin pool drained; the docs site only"}, at("03:35:00"))
	h := newHarness(t, s.fake, 80, 24)
	h.press("5")
	h.contains("Outflow goes to 0x7a3f", "bob · runbook.propose")
	h.press("6", "j", "5")
	if h.m.Selected() != s.p3 {
		t.Fatalf("selected %s, want the P3", h.m.Selected().Short())
	}
	h.contains("declared [P3] Docs site 502 on /bridge", "carol · note.add", "CDN origin pool drained; the docs site only")
	h.lacks("Outflow goes to 0x7a3f", "runbook.propose", "declared [P1]")
}

// Reading the timeline is a query: on start, on a state change and on a new selection,
// never on a key, a tick or a poll that found nothing.
func TestTimelineIsReadOnlyWhenStateOrSelectionChanges(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	reads := func(want int) {
		t.Helper()
		if s.timelines != want {
			t.Errorf("%d timeline reads, want %d", s.timelines, want)
		}
	}
	reads(1)
	h.press("5", "k", "k", "j", "G")
	h.tick(time.Second)
	h.poll()
	reads(1)
	s.external("bob", &domain.Note{Incident: s.p1, Text: "Second signer online"}, t0)
	h.poll()
	reads(2)
	h.press("6", "j")
	reads(3)
	h.press("k", "k") // back to the P1, then past the top: the same incident again
	reads(4)
}

// A failed read says so on the status line and keeps the incident's rows; it is tried
// again on the next poll. Another incident's rows never stand in for the selected one's.
func TestTimelineReadFailureIsShown(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5")
	s.timelineErr = errors.New("subjects index is locked")
	s.external("bob", &domain.Note{Incident: s.p1, Text: "Second signer online"}, t0)
	h.poll()
	h.contains("✗ reading the timeline of "+s.p1.Short()+": subjects index is locked", "Outflow goes to 0x7a3f")
	h.lacks("Second signer online")
	h.press("6", "j", "5")
	h.contains("timeline not read: subjects index is locked")
	h.lacks("Outflow goes to 0x7a3f")
	s.timelineErr = nil
	h.poll()
	h.contains("declared [P3] Docs site 502 on /bridge")
	h.lacks("✗", "timeline not read")

	// A failure passes with the next action that works: its ✓ shows.
	s.timelineErr = errors.New("subjects index is locked")
	s.external("bob", &domain.Note{Incident: s.p3, Text: "CDN purge queued"}, t0)
	h.poll()
	h.contains("✗ reading the timeline")
	s.timelineErr = nil
	h.press("n")
	h.typeText("Docs back up")
	h.press("enter")
	h.contains("✓ note added", "Docs back up")
	h.lacks("✗")
}

// l links the selected alert to the selected incident, once; it refuses an
// alert another open incident holds and any link across drill and real.
func TestLinkRefusals(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("j", "j", "l") // the disk alert, free, to the selected P1
	h.contains("✓ linked Disk 85% on archive-2 to [P1] Vault drain on the L2 bridge")
	h.poll()
	if al := s.st.Alerts[s.disk]; al == nil || al.Incident != s.p1 {
		t.Fatalf("the disk alert was not linked to the P1: %+v", al)
	}
	h.press("l")
	h.contains("alert is already linked to")
	if len(s.pending) != 0 {
		t.Errorf("a second l signed %d event(s)", len(s.pending))
	}

	st := s.st
	p1 := st.Incidents[s.p1]
	drillID := s.apply("carol", &domain.IncidentDeclare{Title: "Game day", Severity: "P2", Drill: true}, at("03:50:00"))
	drill := st.Incidents[drillID]
	other := s.apply("carol", &domain.IncidentDeclare{Title: "Second real one", Severity: "P3"}, at("03:51:00"))
	for _, c := range []struct {
		name  string
		alert domain.ID
		inc   *domain.Incident
		want  string
	}{
		{"held by an open incident", s.bridge, st.Incidents[other], "alert is in open incident"},
		{"real alert into a drill", s.relayer, drill, "a real alert cannot join drill"},
		{"free alert to a real incident", s.relayer, p1, ""},
		{"firing alert to a resolved incident", s.relayer, st.Incidents[s.resolved], "is resolved: S reopens it"},
		{"resolved alert to a resolved incident, for the record", domain.AlertID("l2mon-seq-lag"), st.Incidents[s.resolved], ""},
	} {
		err := linkRefusal(st, st.Alerts[c.alert], c.inc)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	st.Alerts[s.relayer].Incident = drillID // as a drill's inject links its alert
	if err := linkRefusal(st, st.Alerts[s.relayer], p1); err == nil || !strings.Contains(err.Error(), "a drill's alert cannot join real incident") {
		t.Errorf("drill alert into a real incident: %v", err)
	}
	// Outside the drill, its alert says what it is, in the row and the detail.
	h.poll()
	h.press("1", "k", "k", "j") // the second row
	h.contains("DRILL ⚑ Relayer key signed", "DRILL incident [P2] Game day")
}

// A note longer than an event may carry is refused with its limit and the
// form stays open with the text; the form used to cut it silently and sign
// the first 4,000 characters as if whole.
func TestLongNoteRefusedNotCut(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("5", "n")
	long := strings.Repeat("x", 20_000)
	h.m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(long), Paste: true})
	h.press("enter")
	h.contains("Note on", "limit")
	if len(s.pending) != 0 {
		t.Fatalf("a cut note was signed")
	}
	if got := h.m.form.values()[0]; len(got) != len(long) {
		t.Errorf("the form holds %d characters of the %d typed", len(got), len(long))
	}
}

// A cockpit opened while a drill P1 newer than the real P1 runs shows the
// real one.
func TestOpensOnRealWorkBeforeADrill(t *testing.T) {
	s := newScenario(t)
	s.apply("carol", &domain.IncidentDeclare{Title: "Game day: pool drained", Severity: "P1", Drill: true}, at("03:55:00"))
	h := newHarness(t, s.fake, 80, 24)
	if h.m.Selected() != s.p1 {
		t.Errorf("the cockpit opened on %s, want the real P1 %s", h.m.Selected().Short(), s.p1.Short())
	}
}

// Once the incident is resolved the header counts down to its retro or a
// follow-up, not to a containment check or a task whose moment passed.
func TestResolvedIncidentCountsDownToItsRetro(t *testing.T) {
	s := newScenario(t)
	s.apply("alice", &domain.IncidentStatus{Incident: s.p1, Status: domain.StatusResolved}, at("03:56:00"))
	h := newHarness(t, s.fake, 160, 48)
	h.m.selectIncident(s.p1)
	h.contains("Retro due")
	if line := strings.SplitN(h.view(), "\n", 3)[1]; strings.Contains(line, "Containment check") || strings.Contains(line, "Snapshot vault") {
		t.Errorf("header's next deadline after the resolution: %q", line)
	}
}

// DESIGN.md rule 6: an equivocation raises a security alert where the
// responder looks, whatever the tab: the header names the member, and the
// roster says from which seq and what to do.
func TestForkedKeyIsShown(t *testing.T) {
	s := newScenario(t)
	s.st.Forked[s.addr("bob")] = 3
	h := newHarness(t, s.fake, 160, 48)
	h.contains("FORKED KEY: bob", "Roster · 4 members · 1 FORKED", "FORKED seq 3")
	h.press("7", "j")
	h.contains("FORKED: a key of bob signed two events at seq 3")
	h80 := newHarness(t, s.fake, 80, 24)
	h80.contains("FORKED KEY: bob")
}

// A resolved incident's timers are stopped (the T-minus pane shows them idle), so T
// on one says so and opens no form, rather than take a timer that never counts down.
func TestNoTimerOnAResolvedIncident(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.send(selectRequest{s.resolved})
	h.press("T")
	h.contains(`"Oracle drift on ETH/USD" is resolved and its timers are stopped: S reopens it`)
	h.lacks("Add a T-minus timer")
	h.send(selectRequest{s.p1})
	h.press("T")
	h.contains("Add a T-minus timer to Vault drain on the L2 bridge")
}
