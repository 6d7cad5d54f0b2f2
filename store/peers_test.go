package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// The liveness rule, walked by the age of the last heartbeat.
func TestPeerLive(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	cases := []struct {
		name string
		flag bool
		age  time.Duration
		want bool
	}{
		{"1. fresh heartbeat", true, 0, true},
		{"2. one beat missed", true, PeerHeartbeat + time.Second, true},
		{"3. exactly stale", true, PeerStale, true},
		{"4. stale: the node died", true, PeerStale + time.Millisecond, false},
		{"5. flag clear, fresh", false, 0, false},
		{"6. last_seen from the future (clock went back)", true, -PeerStale - time.Second, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := peerLive(c.flag, now.Add(-c.age).UnixMilli(), now); got != c.want {
				t.Fatalf("peerLive(%v, now-%s) = %v, want %v", c.flag, c.age, got, c.want)
			}
		})
	}
}

// A node that heartbeats and then dies: Peers reports its peer connected
// until PeerStale has passed, then not; a node starting on the same store
// clears the stale flag, and leaves a fresh one (another live node's) alone.
func TestPeersStaleAfterHeartbeatStops(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	clock := time.UnixMilli(1_800_000_000_000)
	s.Now = func() time.Time { return clock }
	const a, b = "enode://aa@127.0.0.1:1", "enode://bb@127.0.0.1:2"
	if err := s.AddPeer(ctx, a); err != nil {
		t.Fatal(err)
	}
	connected := func() map[string]bool {
		t.Helper()
		ps, err := s.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, p := range ps {
			out[p.Enode] = p.Connected
		}
		return out
	}
	if err := s.SeePeers(ctx, []Peer{{Enode: a, Connected: true, Behind: 3}, {Enode: b, Connected: true}}); err != nil {
		t.Fatal(err)
	}
	if c := connected(); !c[a] || !c[b] {
		t.Fatalf("right after a heartbeat: %v, want both connected", c)
	}
	ps, err := s.Peers(ctx)
	if err != nil || len(ps) != 2 {
		t.Fatalf("peers: %+v %v", ps, err)
	}
	if ps[0].LastSeen != clock.UnixMilli() || ps[0].Behind != 3 {
		t.Fatalf("heartbeat wrote %+v, want last_seen now and behind 3", ps[0])
	}

	// b's node keeps beating; a's stops.
	clock = clock.Add(PeerStale - time.Second)
	if err := s.SeePeer(ctx, Peer{Enode: b, Connected: true}); err != nil {
		t.Fatal(err)
	}
	if c := connected(); !c[a] || !c[b] {
		t.Fatalf("within PeerStale: %v, want both connected", c)
	}
	clock = clock.Add(2 * time.Second)
	if c := connected(); c[a] || !c[b] {
		t.Fatalf("after PeerStale without a beat: %v, want a stale and b connected", c)
	}
	n, err := s.ClearStalePeers(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ClearStalePeers: %d, %v; want a's flag only", n, err)
	}
	var flag bool
	if err := s.r.QueryRowContext(ctx, "SELECT connected FROM peers WHERE enode = ?", a).Scan(&flag); err != nil || flag {
		t.Fatalf("a's raw flag after clearing: %v %v", flag, err)
	}

	// A disconnected report keeps the last time the peer was seen.
	seen := clock.UnixMilli()
	if err := s.SeePeer(ctx, Peer{Enode: b, Connected: true}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	if err := s.SeePeer(ctx, Peer{Enode: b}); err != nil {
		t.Fatal(err)
	}
	ps, err = s.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Enode == b && (p.Connected || p.LastSeen != seen) {
			t.Fatalf("b after a disconnected report: %+v, want last_seen %d", p, seen)
		}
	}
}

// A node's new address replaces its old one; another node's row, and a
// URL that is not an enode, stay.
func TestAddPeerReplacesAMovedNode(t *testing.T) {
	s := newStore(t)
	const key = "enode://aa11@"
	for _, url := range []string{key + "127.0.0.1:30317", "enode://bb22@127.0.0.1:30317", "not-an-enode", key + "127.0.0.1:30317"} {
		if err := s.AddPeer(bg, url); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddPeer(bg, key+"127.0.0.1:40000"); err != nil {
		t.Fatal(err)
	}
	got := peerEnodes(t, s)
	want := []string{key + "127.0.0.1:40000", "enode://bb22@127.0.0.1:30317", "not-an-enode"}
	slices.Sort(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("peers %v, want %v", got, want)
	}
}

// A peer that dialed in is recorded at port 0 (sync's inboundURL): one row
// per key, the latest address it came from, gone once a real address for
// the key is seen; other keys' rows stay.
func TestSeePeersKeepsOneInboundRowPerKey(t *testing.T) {
	s := newStore(t)
	const key = "enode://aa11@"
	steps := []struct {
		see  string
		want []string
	}{
		{key + "10.0.0.5:0", []string{key + "10.0.0.5:0", "enode://bb22@10.0.0.7:0"}},
		{key + "10.0.0.9:0", []string{key + "10.0.0.9:0", "enode://bb22@10.0.0.7:0"}},
		{key + "10.0.0.9:30303", []string{key + "10.0.0.9:30303", "enode://bb22@10.0.0.7:0"}},
	}
	if err := s.SeePeers(bg, []Peer{{Enode: "enode://bb22@10.0.0.7:0", Connected: true}}); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := s.SeePeers(bg, []Peer{{Enode: st.see, Connected: true}}); err != nil {
			t.Fatal(err)
		}
		got := peerEnodes(t, s)
		slices.Sort(got)
		slices.Sort(st.want)
		if !slices.Equal(got, st.want) {
			t.Fatalf("after seeing %s: peers %v, want %v", st.see, got, st.want)
		}
	}
}

// peerEnodes lists the enode of every peer row of s.
func peerEnodes(t *testing.T, s *Store) []string {
	t.Helper()
	ps, err := s.Peers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Enode)
	}
	return out
}
