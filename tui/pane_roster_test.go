package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
	"golang.org/x/crypto/ssh"
)

// bobProofEnds is when bob's SSH proof runs out: nine and a half days after t0, inside
// the roster's two-week warning.
var bobProofEnds = at("03:35:00").Add(9*24*time.Hour + 12*time.Hour)

// rosterScenario is the COCKPIT.md incident with identity proofs, each folded by the
// real fold (so each is verified as every replica would):
//   - containment needs 2 proofs: alice (containment, no proof) is below it;
//   - bob proves an SSH key that expires in 9 days: EXPIRES;
//   - carol proves a certified key from a CA the roster trusts: valid, no warning;
//   - dave proved a key and revoked it.
func rosterScenario(t *testing.T) *scenario {
	t.Helper()
	s := newScenario(t)
	ws := s.st.WS
	prove := func(handle string, b *domain.ProofAdd, err error, when string) domain.ID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		id := s.apply(handle, b, at(when))
		if _, ok := s.st.Identity.Proofs[id]; !ok {
			t.Fatalf("the fold refused %s's %s proof", handle, b.ProofKind)
		}
		return id
	}
	issued := at("03:35:00")
	b, err := domaintest.KeyProof(domaintest.SSHKey("bob"), ws, s.addr("bob"), issued, bobProofEnds.Sub(issued))
	prove("bob", b, err, "03:35:00")

	ca := domaintest.SSHKey("ca")
	s.apply("alice", &domain.MemberChange{Action: domain.ChangeCAAdd, CA: domaintest.AuthorizedKey(ca.PublicKey())}, at("03:35:30"))
	key := domaintest.SSHKey("carol")
	cert := domaintest.Cert(ca, key.PublicKey(), []string{"carol"}, issued.Add(-time.Hour), time.Time{})
	st := domaintest.Statement(ws, s.addr("carol"), proof.KindSSHCert, ssh.FingerprintSHA256(key.PublicKey()), issued, issued.Add(proof.DefaultValidity))
	b, err = domaintest.SSHProof(key, proof.KindSSHCert, domaintest.AuthorizedKey(cert), st)
	prove("carol", b, err, "03:36:00")

	b, err = domaintest.KeyProof(domaintest.SSHKey("dave"), ws, s.addr("dave"), issued, proof.DefaultValidity)
	dave := prove("dave", b, err, "03:37:00")
	s.apply("dave", &domain.ProofRevoke{Proof: dave}, at("03:38:00"))

	s.apply("alice", &domain.MemberChange{Action: domain.ChangePolicy, Role: domain.RoleContainment, MinProofs: 2}, at("03:39:00"))
	if s.st.RoleMinimum(domain.RoleContainment) != 2 {
		t.Fatal("the fold did not apply the containment policy")
	}
	return s
}

func TestRosterPane(t *testing.T) {
	s := rosterScenario(t)
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	rosterTitle(t, h, "Roster · 4 members · 1 BELOW MIN · 1 EXPIRING")
	h.contains("BELOW MIN (containment)", // alice
		"EXPIRES in 9d: ssh", // bob
	)
	rows := rosterRows(t, h)
	want := map[string][]string{
		"alice": {"1/2", "-", "BELOW MIN"},
		"bob":   {"2/2", "ssh", "EXPIRES in 9d: ssh"},
		"carol": {"2/– ", "ssh-cert"}, // no minimum for reporter or comms: "–", not a bare "2"
		"dave":  {"1/– ", "-"},
	}
	for handle, parts := range want {
		for _, p := range parts {
			if !strings.Contains(rows[handle], p) {
				t.Errorf("%s's row %q lacks %q", handle, rows[handle], p)
			}
		}
	}
	for _, handle := range []string{"carol", "dave"} {
		if strings.Contains(rows[handle], "BELOW") || strings.Contains(rows[handle], "EXPIRES") {
			t.Errorf("%s's row warns: %q", handle, rows[handle])
		}
	}

	// The details follow the cursor.
	h.contains("MEMBER", "ROLES", "PROOFS", "KINDS", "WARNING") // capitals, as every pane's titles
	h.lacks("member ", "warning")
	h.contains(" alice · proofs 1 of 2 that containment needs", " roles comms, containment, recorder, reporter, triage",
		"no identity proofs, only the tminus key: tminus proof add")
	h.press("j")
	h.contains("ssh       SHA256:", "EXPIRES in 9d (2026-03-23)")
	h.press("j")
	h.contains("ssh-cert  SHA256:", "valid to 2026-09-13", " carol · proofs 2 · no minimum for their roles")
	h.press("j")
	h.contains("revoked")
}

// rosterTitle checks the title the grid frames the pane with (tabs do not show it).
func rosterTitle(t *testing.T, h *harness, want string) {
	t.Helper()
	if got := h.m.panes[paneRoster].Title(); got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

// rosterRows maps each handle to its row as drawn, in a tab or in the grid.
func rosterRows(t *testing.T, h *harness) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, l := range paneLines(h, paneRoster) {
		f := strings.Fields(strings.TrimLeft(l, " ▸"))
		if len(f) > 1 && (f[0] == "alice" || f[0] == "bob" || f[0] == "carol" || f[0] == "dave") && f[1] != "·" && !strings.HasPrefix(f[1], "0x") {
			rows[f[0]] = l
		}
	}
	if len(rows) != 4 {
		t.Fatalf("found rows for %d members:\n%s", len(rows), h.screen())
	}
	return rows
}

// Proofs lapse on the clock, not only on events: past bob's expiry his SSH proof no
// longer counts, so he drops below containment's minimum without any new event.
func TestRosterPaneFollowsTheClock(t *testing.T) {
	s := rosterScenario(t)
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	h.tick(bobProofEnds.Sub(s.now()) - time.Hour)
	h.contains("EXPIRES in 1h: ssh")
	rosterTitle(t, h, "Roster · 4 members · 1 BELOW MIN · 1 EXPIRING")
	h.tick(2 * time.Hour)
	rosterTitle(t, h, "Roster · 4 members · 2 BELOW MIN")
	h.lacks("EXPIRES")
	if row := rosterRows(t, h)["bob"]; !strings.Contains(row, "1/2") || !strings.Contains(row, "BELOW MIN (containment)") {
		t.Errorf("bob's row after expiry: %q", row)
	}
	h.press("j")
	h.contains("EXPIRED 2026-03-23")
}

// A new proof arriving from a peer shows after the poll that folds it.
func TestRosterPaneFollowsTheState(t *testing.T) {
	s := rosterScenario(t)
	h := newHarness(t, s.fake, 100, 30)
	h.press("7")
	b, err := domaintest.KeyProof(domaintest.SSHKey("alice"), s.st.WS, s.addr("alice"), s.now(), proof.DefaultValidity)
	if err != nil {
		t.Fatal(err)
	}
	s.external("alice", b, s.now())
	h.poll()
	rosterTitle(t, h, "Roster · 4 members · 1 EXPIRING")
	h.lacks("BELOW MIN")
	if row := rosterRows(t, h)["alice"]; !strings.Contains(row, "2/2") || !strings.Contains(row, "ssh") {
		t.Errorf("alice's row after her proof: %q", row)
	}
}

func TestRosterPaneSizes(t *testing.T) {
	s := rosterScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.press("7")
	for _, sz := range sizes {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkFrame(t, "roster", h.view(), sz[0], sz[1])
		for range 5 { // walk the cursor past the end: the details change height
			h.press("j")
			checkFrame(t, "roster", h.view(), sz[0], sz[1])
		}
		h.press("g")
	}
	// Empty state: a workspace whose members are not folded yet.
	p := newRosterPane(h.m.ctx)
	p.SetSize(40, 5)
	p.Live.State = domain.NewState()
	p.Update(stateMsg{})
	checkFrame(t, "empty roster", p.View(), 40, 5)
	if !strings.Contains(p.View(), "no members yet") {
		t.Errorf("empty roster: %q", p.View())
	}
}

// TestRosterGolden: the roster in the jump-host tab at 80x24 and in the wall grid at
// 160x48, Ascii profile, with and without revocations (cutsScenario); -update rewrites
// testdata/TestRosterGolden.
func TestRosterGolden(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	cuts := func(t *testing.T) *scenario { s, _ := cutsScenario(t); return s }
	for _, tt := range []struct {
		name  string
		w, h  int
		keys  []string
		scene func(*testing.T) *scenario
	}{
		{"roster-80x24", 80, 24, []string{"7", "j"}, rosterScenario},
		{"roster-160x48", 160, 48, []string{"7", "j"}, rosterScenario},
		{"roster-cuts-80x24", 80, 24, []string{"7", "j"}, cuts},
		{"roster-cuts-160x48", 160, 48, []string{"7", "j"}, cuts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.scene(t)
			goldenRun(t, s.fake, "dark", tt.w, tt.h, append(tt.keys, "wait:EXPIRES in 9d ("))
		})
	}
}
