package sync

import (
	"context"
	"net"
	"runtime"
	"sort"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

var (
	catchUpOnce gosync.Once
	catchUpRaws [][]byte
	catchUpErr  error
)

// catchUpHistory is 100,000 signed events by 4 authors, made once.
func catchUpHistory(b *testing.B) [][]byte {
	catchUpOnce.Do(func() {
		evs, err := domaintest.Linear(41, 4, 100_000)
		catchUpRaws, catchUpErr = domaintest.Raws(evs), err
	})
	if catchUpErr != nil {
		b.Fatal(catchUpErr)
	}
	return catchUpRaws
}

func BenchmarkCatchUp100k(b *testing.B) {
	raws := catchUpHistory(b)
	ctx := context.Background()
	src := openStore(b, "src")
	for i := 0; i < len(raws); i += 4096 {
		if _, err := src.Ingest(ctx, raws[i:min(i+4096, len(raws))]); err != nil {
			b.Fatal(err)
		}
	}
	na := NewNode(Config{Key: domaintest.Key(41, 0), ListenAddr: "127.0.0.1:0", Store: src})
	if err := na.Start(); err != nil {
		b.Fatal(err)
	}
	defer na.Stop()
	// The yardstick, as BenchmarkIngest100k takes it: one core alone, then
	// every core at once (two vCPUs here recover 1.2-1.6x one, not 2x).
	rate, parallel := domaintest.RecoverRate(1, 5), domaintest.RecoverRate(runtime.GOMAXPROCS(0), 3)
	var total, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := openStore(b, "dst")
		nb := NewNode(Config{Key: domaintest.Key(41, 1), ListenAddr: "127.0.0.1:0", Store: dst})
		if err := nb.Start(); err != nil {
			b.Fatal(err)
		}
		start, c0 := time.Now(), domaintest.CPUTime()
		nb.AddPeer(na.Self())
		deadline := start.Add(3 * time.Minute)
		for {
			if n, _ := dst.Count(ctx); n == int64(len(raws)) {
				break
			}
			if time.Now().After(deadline) {
				n, _ := dst.Count(ctx)
				o, _ := dst.Orphans(ctx)
				b.Fatalf("catch-up stalled: %d of %d events stored, %d orphans after 3 minutes (see the store's orphan-count bug)", n, len(raws), o)
			}
			time.Sleep(20 * time.Millisecond)
		}
		total += time.Since(start)
		cpu += domaintest.CPUTime() - c0
		nb.Stop()
	}
	events := float64(len(raws) * b.N)
	perSec := events / total.Seconds()
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(rate, "ecrecover/s/core")
	b.ReportMetric(perSec/(float64(runtime.GOMAXPROCS(0))*rate), "ratio")
	// Both peers' CPU: the serving side runs in this process too.
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(cpu.Seconds()/total.Seconds(), "cores-busy")
	b.ReportMetric(perSec/parallel, "of-parallel-recovery")
}

func BenchmarkAppendToPeerLatency(b *testing.B) {
	const appendEvery = 50 * time.Millisecond // 20 a second: a busy incident
	w := newBenchWorkspace(b)
	ctx := context.Background()
	a, peer := w.members[0], w.members[1]
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		e, err := a.st.Append(ctx, a.signer, &domain.Note{Incident: w.inc, Text: "ping"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := peer.st.Raw(ctx, e.ID); err == nil {
				break
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("not stored on the peer in 10s")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
		// One append every appendEvery: the latency of a write, not the
		// announce pacer's sustained rate, which a back-to-back loop
		// (one append every 3 ms) would measure instead.
		time.Sleep(time.Until(start.Add(appendEvery)))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func newBenchWorkspace(b *testing.B) *workspace {
	w := newWorkspace(b, 42, 2)
	for _, m := range w.members {
		m.node = NewNode(Config{Key: m.key, ListenAddr: "127.0.0.1:0", Store: m.st})
		if err := m.node.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(m.node.Stop)
	}
	w.members[1].node.AddPeer(w.members[0].node.Self())
	waitFor(b, 10*time.Second, "the session", func() bool { return len(w.members[0].node.Connected()) == 1 })
	return w
}

// counting counts the messages and payload bytes a session writes.
type counting struct {
	p2p.MsgReadWriter
	msgs, bytes *atomic.Int64
}

func (c counting) WriteMsg(m p2p.Msg) error {
	c.msgs.Add(1)
	c.bytes.Add(int64(m.Size) + 5)
	return c.MsgReadWriter.WriteMsg(m)
}

// Ten nodes in a full mesh of framed tminus/1 sessions over loopback TCP:
// messages and bytes on the wire per event written.
func BenchmarkTenNodeWire(b *testing.B) {
	const n = 10
	for it := 0; it < b.N; it++ {
		w := newWorkspace(b, 43, n)
		var msgs, bytes atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		var wg gosync.WaitGroup
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				c1, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				c2, err := ln.Accept()
				ln.Close()
				if err != nil {
					b.Fatal(err)
				}
				for _, side := range []struct {
					st   *workspace
					k    int
					conn net.Conn
				}{{w, i, c1}, {w, j, c2}} {
					s := &Session{St: w.members[side.k].st, RW: counting{NewFramed(side.conn, side.conn, side.conn), &msgs, &bytes}}
					wg.Add(1)
					go func(c net.Conn) { defer wg.Done(); s.Run(ctx); c.Close() }(side.conn)
				}
			}
		}
		time.Sleep(500 * time.Millisecond) // initial exchange
		m0, b0 := msgs.Load(), bytes.Load()
		idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		written := w.writeFor(2*time.Second, idx...)
		w.converge(60 * time.Second)
		time.Sleep(200 * time.Millisecond)
		cancel()
		wg.Wait()
		dm, db := msgs.Load()-m0, bytes.Load()-b0
		b.ReportMetric(float64(dm)/float64(written), "msgs/event")
		b.ReportMetric(float64(db)/float64(written), "bytes/event")
		b.ReportMetric(float64(written), "events")
	}
}
