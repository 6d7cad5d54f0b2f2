package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain/proof"
	"github.com/tminus-ir/tminus/store"
)

func TestDemoSeedThenPeers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if out := must(t, dir, "demo", "--seed-only", dir); out != dir {
		t.Fatalf("seed-only printed %q, want the directory", out)
	}
	var incidents []struct {
		ID, Title, Severity, Status string
		Leads                       map[string]string
		Tasks                       []struct {
			Title, Due string
			Done       bool
		}
		Timers []struct{ Label, Due, Every string }
	}
	if err := json.Unmarshal([]byte(must(t, dir, "incident", "list", "--json")), &incidents); err != nil {
		t.Fatal(err)
	}
	if len(incidents) != 3 || incidents[0].Title != "Vault drain on the L2 bridge" || incidents[0].Severity != "P1" {
		t.Fatalf("incidents: %+v", incidents)
	}
	p1 := incidents[0]
	overdue := 0
	for _, tk := range p1.Tasks {
		if due, err := time.Parse(time.RFC3339, tk.Due); err == nil && !tk.Done && due.Before(time.Now()) {
			overdue++
		}
	}
	if len(p1.Leads) < 4 || len(p1.Tasks) != 4 || overdue != 1 || len(p1.Timers) != 2 || p1.Timers[1].Every != "30m0s" {
		t.Errorf("P1 lacks its leads, tasks (one overdue) or timers: %+v", p1)
	}
	corroboration := func() string {
		var alerts []struct{ Title, Corroboration string }
		if err := json.Unmarshal([]byte(must(t, dir, "alert", "list", "--json")), &alerts); err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if strings.HasPrefix(a.Title, "Bridge vault outflow") {
				return a.Corroboration
			}
		}
		return ""
	}
	if got := corroboration(); got != "2/3" {
		t.Errorf("bridge alert corroborated %s, want 2/3", got)
	}
	// The home is alice's: her key unlocks with the demo passphrase.
	t.Setenv("TMINUS_PASSPHRASE", demoPassphrase)
	must(t, dir, "note", p1.ID[:8], "alice joins from the CLI")

	before := strings.Count(must(t, dir, "log", "--json"), "\n")
	must(t, dir, "demo", "--peers-only", dir, "--for", "3s", "--peers-every", "100ms")
	after := strings.Count(must(t, dir, "log", "--json"), "\n")
	if after <= before+3 {
		t.Errorf("the simulated peers appended %d events in 3s, want several", after-before)
	}
	if got := corroboration(); got != "3/3" {
		t.Errorf("after carol's watcher, bridge alert corroborated %s, want 3/3", got)
	}
	if out := must(t, dir, "verify"); !strings.Contains(out, "OK") {
		t.Errorf("verify: %s", out)
	}
}

// The simulated teammates are peers the way a running node's are: in the peer table,
// connected and kept so by a heartbeat while they run, so the header reads
// "peers 3/3 · synced"; when they stop, they are marked disconnected.
func TestDemoPeersInHeader(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	must(t, dir, "demo", "--seed-only", dir)
	ctx := context.Background()
	d, err := openDemo(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.st.Close()
	var skew atomic.Int64
	d.st.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	b := &storeBackend{st: d.st} // what the cockpit's header reads
	header := func() peerSummary {
		t.Helper()
		s, err := b.readPeers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitHeader := func(want peerSummary, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for header() != want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := header(); got != want {
			t.Fatalf("header peers %+v, want %+v", got, want)
		}
	}
	if got := header(); got.online != 0 || got.total != 0 {
		t.Fatalf("before the teammates run: %+v, want 0/0", got)
	}

	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.simulate(sctx, time.Hour) }() // peers, no events
	waitHeader(peerSummary{online: 3, total: 3, synced: true}, 5*time.Second)

	var list []struct {
		Enode     string
		Connected bool
	}
	if err := json.Unmarshal([]byte(must(t, dir, "peer", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, p := range d.demoPeers(true) {
		want[p.Enode] = true
	}
	for _, p := range list {
		if !want[p.Enode] || !p.Connected {
			t.Errorf("peer list shows %+v; want bob, carol and dave's keys, connected", p)
		}
	}
	if len(list) != 3 {
		t.Errorf("peer list has %d peers, want 3", len(list))
	}

	// Their heartbeat, not the first write, keeps them up: past PeerStale they are
	// still connected.
	skew.Store(int64(store.PeerStale + time.Second))
	deadline := time.Now().Add(store.PeerHeartbeat + 15*time.Second)
	for {
		ps, err := d.st.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh := 0
		for _, p := range ps {
			if p.Connected && p.LastSeen >= time.Now().Add(store.PeerStale).UnixMilli() {
				fresh++
			}
		}
		if fresh == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat within %s: %+v", store.PeerHeartbeat+2*time.Second, ps)
		}
		time.Sleep(20 * time.Millisecond)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := header(); got.online != 0 || got.total != 3 {
		t.Fatalf("after the teammates stopped: %+v, want 0 of 3 online", got)
	}
}

// The demo's roster has news for the roster pane, made the way the CLI makes it: alice's
// and bob's SSH proofs (bob's ends within the pane's 14-day warning), containment needing
// two proofs, and dave on containment with his key alone. alice and bob still meet the
// policy, so bob's pause proposal keeps his approval and alice's would count.
func TestDemoRosterIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	must(t, dir, "demo", "--seed-only", dir)
	var members []struct {
		Handle     string
		ProofCount int             `json:"proof_count"`
		RolesMet   map[string]bool `json:"roles_met"`
		MinProofs  map[string]int  `json:"min_proofs"`
		Proofs     []struct{ Kind, Fingerprint, Expires, Status string }
	}
	if err := json.Unmarshal([]byte(must(t, dir, "member", "list", "--json")), &members); err != nil {
		t.Fatal(err)
	}
	type want struct {
		count, min int
		met        bool
		left       time.Duration // the SSH proof's time left, about; 0: no proof
	}
	wants := map[string]want{
		"alice": {count: 2, min: demoContainmentMin, met: true, left: proof.DefaultValidity},
		"bob":   {count: 2, min: demoContainmentMin, met: true, left: demoBobProofLeft},
		"carol": {count: 1, met: true},
		"dave":  {count: 1, min: demoContainmentMin, met: false},
	}
	if len(members) != len(wants) {
		t.Fatalf("%d members, want %d", len(members), len(wants))
	}
	for _, m := range members {
		w, ok := wants[m.Handle]
		if !ok {
			t.Fatalf("unexpected member %s", m.Handle)
		}
		if m.ProofCount != w.count || m.MinProofs["containment"] != w.min || (w.min > 0 && m.RolesMet["containment"] != w.met) {
			t.Errorf("%s: %d proofs, containment min %d met %v; want %d, %d, %v", m.Handle, m.ProofCount,
				m.MinProofs["containment"], m.RolesMet["containment"], w.count, w.min, w.met)
		}
		if w.left == 0 {
			if len(m.Proofs) != 0 {
				t.Errorf("%s has proofs %+v, want none", m.Handle, m.Proofs)
			}
			continue
		}
		if len(m.Proofs) != 1 || m.Proofs[0].Kind != "ssh" || m.Proofs[0].Status != "valid" || !strings.HasPrefix(m.Proofs[0].Fingerprint, "SHA256:") {
			t.Fatalf("%s's proofs %+v, want one valid ssh proof", m.Handle, m.Proofs)
		}
		until, err := time.Parse(time.RFC3339, m.Proofs[0].Expires)
		if err != nil {
			t.Fatal(err)
		}
		// Within a day of what the demo sets, whatever the seed's own minutes.
		if left := time.Until(until); left < w.left-24*time.Hour || left > w.left+24*time.Hour {
			t.Errorf("%s's proof ends in %s, want about %s", m.Handle, left, w.left)
		}
		if soon := time.Until(until) <= 14*24*time.Hour; soon != (m.Handle == "bob") {
			t.Errorf("%s's proof ends within 14 days: %v; only bob's should", m.Handle, soon)
		}
	}

	// The policy applied and refused nothing, and bob's proposal still carries his approval.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := identityRefusals(s); len(r) != 0 {
		t.Errorf("the demo's identity events were refused: %v", r)
	}
	approved := false
	for _, p := range s.Proposals {
		if p.Runbook == "contract-pause" && slices.Contains(p.Approvals, "bob") {
			approved = true
		}
	}
	if !approved {
		t.Error("bob's contract-pause proposal lost his approval under the containment policy")
	}
	if len(s.Rejected) != 0 {
		t.Errorf("the demo seeds events the fold refuses: %+v", s.Rejected)
	}
}
