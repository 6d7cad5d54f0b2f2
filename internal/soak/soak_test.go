package soak

import (
	"bytes"
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSoakShort is the soak `make test` runs: four real nodes for 20
// seconds under every fault of the full run, seed fixed. It asserts no
// timing: the wait for agreement is bounded (90 s) and generous for a
// loaded two-core machine; it fails on a lost write, nodes that differ, a
// store that does not verify, a fork proof or a damaged SQLite file.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real nodes for a minute")
	}
	var log bytes.Buffer
	res, err := Run(context.Background(), Config{Nodes: 4, Duration: 20 * time.Second, Seed: 16, Settle: 90 * time.Second, Log: &log})
	t.Log(res.JSON())
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if res.WritesAcked == 0 || res.Partitions != 2 || res.Kills != 2 || res.KillsMidImport != 1 || res.Events < res.WritesAcked+bulkNotes {
		t.Fatalf("the run did too little to prove anything: %s\n%s", res.JSON(), log.String())
	}
}

// The schedule is the seed's: the same seed, the same faults on the same
// nodes; every node ends in one group of each partition.
func TestDrawIsTheSeeds(t *testing.T) {
	for _, nodes := range []int{4, 5, 10} {
		for seed := range int64(50) {
			a := draw(seed, nodes)
			distinct := map[int]bool{a.removed: true, a.killWrite: true, a.diskFull: true, a.removedBy: true}
			if len(distinct) != 4 || a.killImport < 0 || a.killImport == a.removed || a.killImport == a.removedBy || a.killImport == a.diskFull {
				t.Fatalf("%d nodes, seed %d: faults collide: %+v", nodes, seed, a)
			}
			for _, g := range a.part3 {
				if slices.Contains(g, a.killImport) && slices.Contains(g, a.bulkAt) {
					t.Fatalf("%d nodes, seed %d: the bulk goes to the group of the node killed while pulling it: %+v", nodes, seed, a)
				}
			}
		}
		a, b := draw(7, nodes), draw(7, nodes)
		if !slices.EqualFunc(a.part3, b.part3, slices.Equal) || a.killWrite != b.killWrite || a.removed != b.removed {
			t.Fatalf("seed 7 drew %+v then %+v", a, b)
		}
		for _, gs := range [][][]int{a.part2, a.part3} {
			var all []int
			for _, g := range gs {
				if len(g) == 0 {
					t.Fatalf("%d nodes: empty group in %v", nodes, gs)
				}
				all = append(all, g...)
			}
			slices.Sort(all)
			if len(all) != nodes || all[0] != 0 || all[nodes-1] != nodes-1 {
				t.Fatalf("%d nodes: groups %v do not hold every node once", nodes, gs)
			}
		}
	}
	if c, d := draw(7, 10), draw(8, 10); slices.EqualFunc(c.part2, d.part2, slices.Equal) && slices.EqualFunc(c.part3, d.part3, slices.Equal) && c.removed == d.removed {
		t.Fatal("seeds 7 and 8 drew the same schedule")
	}
}

// A link carries bytes both ways until it is cut; cut, it closes what ran
// over it and refuses to carry new connections; healed, it carries again.
func TestLinkCutsAndHeals(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	l, err := newLink(0, 1, echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	roundTrip := func() error {
		c, err := net.Dial("tcp", l.addr())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		_, err = io.ReadFull(c, buf)
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("healthy link: %v", err)
	}
	open, err := net.Dial("tcp", l.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	open.Write([]byte("x"))
	io.ReadFull(open, make([]byte, 1))
	l.setCut(true)
	open.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(open, make([]byte, 1)); err == nil {
		t.Fatal("a connection over a cut link still carries bytes")
	}
	if err := roundTrip(); err == nil {
		t.Fatal("a cut link carried a new connection")
	}
	l.setCut(false)
	if err := roundTrip(); err != nil {
		t.Fatalf("healed link: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		xs   []int64
		p    int
		want int64
	}{
		{nil, 50, 0},
		{[]int64{7}, 99, 7},
		{[]int64{5, 1, 3}, 50, 3},
		{[]int64{1, 2, 3, 4}, 50, 2},
		{[]int64{1, 2, 3, 4}, 99, 4},
	} {
		if got := percentile(tc.xs, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %d) = %d, want %d", tc.xs, tc.p, got, tc.want)
		}
	}
}

// Run refuses a configuration it cannot soak with, before starting anything.
func TestRunRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Nodes: 3, Duration: time.Second}, {Nodes: 4}} {
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "soak:") {
			t.Errorf("Run(%+v) = %v; want a clear refusal", cfg, err)
		}
	}
}

// A heal that never converged counts as the whole wait, not as nothing.
func TestConvergeCountsUnfinishedHeals(t *testing.T) {
	t0 := time.Unix(1000, 0)
	heals := []*heal{
		{at: t0, doneAt: t0.Add(100 * time.Millisecond)},
		{at: t0, doneAt: t0.Add(300 * time.Millisecond)},
		{at: t0}, // never converged
	}
	p50, p99 := converge(heals, t0.Add(90*time.Second))
	if p50 != 300 || p99 != 90_000 {
		t.Fatalf("p50, p99 = %d, %d; want 300, 90000", p50, p99)
	}
}

// Nodes that disagree are named by the hash they hold.
func TestDescribeHashes(t *testing.T) {
	if !agree(map[int]string{0: "aa", 1: "aa"}) || agree(map[int]string{0: "aa", 1: "bb"}) ||
		agree(map[int]string{0: "error: gone", 1: "error: gone"}) || agree(nil) {
		t.Fatal("agree is wrong")
	}
	got := describeHashes(map[int]string{0: "aa", 1: "bb", 2: "aa"})
	if got != "aa on n0,n2; bb on n1" {
		t.Fatalf("describeHashes = %q", got)
	}
}
