package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/workspace"
)

// standardKDF re-encrypts home's key with go-ethereum's standard scrypt
// parameters, as a user's key is (about a second and 256 MiB to unlock).
func standardKDF(tb testing.TB, home, pass string) {
	tb.Helper()
	h := &workspace.Home{Dir: home}
	data, err := os.ReadFile(h.KeyPath())
	if err != nil {
		tb.Fatal(err)
	}
	key, err := keystore.DecryptKey(data, pass)
	if err != nil {
		tb.Fatal(err)
	}
	if data, err = keystore.EncryptKey(key, pass, keystore.StandardScryptN, keystore.StandardScryptP); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(h.KeyPath(), data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkCmdNoteAgent100k: one `tminus note` as a whole process on a
// 100,000-event store whose key has the standard scrypt cost: unlocking
// the keystore itself (once, for contrast), then signing through a running
// agent (median of the runs, and the largest peak RSS). Aims: < 50 ms and
// < 40 MiB with the agent.
func BenchmarkCmdNoteAgent100k(b *testing.B) {
	home := benchHome(b, 100_000)
	standardKDF(b, home, benchPass)
	bin := binary(b)
	inc := incidentOf(b, 100_000)
	note := func(env []string) (time.Duration, int) {
		cmd := exec.Command(bin, "--home", home, "note", inc, "looked at the mempool")
		cmd.Env = env
		t0 := time.Now()
		peak, out, err := runWatchingPeak(cmd)
		if err != nil {
			b.Fatalf("note: %v\n%s", err, out)
		}
		return time.Since(t0), peak
	}
	keystoreTime, keystorePeak := note(append(agentShell(""), "TMINUS_PASSPHRASE="+benchPass))

	ag := startAgentWith(b, bin, home, benchPass)
	shell := agentShell(ag.sock)
	var times []time.Duration
	maxPeak := 0
	b.ResetTimer()
	for i := 0; i < max(b.N, 9); i++ {
		d, peak := note(shell)
		times = append(times, d)
		maxPeak = max(maxPeak, peak)
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/cmd")
	b.ReportMetric(float64(maxPeak)/1024, "MiB-peak-rss")
	// After ResetTimer, which drops metrics reported before it.
	b.ReportMetric(float64(keystoreTime.Microseconds())/1000, "ms-keystore")
	b.ReportMetric(float64(keystorePeak)/1024, "MiB-keystore")
}

// BenchmarkCmdNotesConcurrentServe: three shells write 100 notes each to a
// home while its serve runs and a peer's serve is connected. Every note
// must be stored on both, with no error; reported: how long after its
// command returned the peer held each note (median and p90; 0 when the
// peer had it first). Aim: median < 50 ms.
func BenchmarkCmdNotesConcurrentServe(b *testing.B) {
	const shells, each = 3, 100
	c := newRealCLI(b)
	a, bob := twoHomes(b, c)
	inc := c.run(a, "incident", "declare", "--title", "Vault drain", "--severity", "P1")
	sa, sb := c.serve(a), c.serve(bob)
	c.run(a, "peer", "add", sb.enode)
	waitUntil(b, 30*time.Second, "bob's node holds the incident", func() bool { return peerHas(b, bob, inc) })

	db, err := sql.Open("sqlite", "file:"+filepath.Join(bob, "tminus.db")+"?mode=ro&_pragma=busy_timeout(1000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var last int64
	if err := db.QueryRow("SELECT coalesce(max(ins), 0) FROM events").Scan(&last); err != nil {
		b.Fatal(err)
	}

	var mu gosync.Mutex
	wrote := map[string]time.Time{}
	seen := map[string]time.Time{}
	done := make(chan struct{})
	watcher := make(chan error, 1)
	go func() {
		// The peer's store, polled every 2 ms: when each note arrived.
		for {
			rows, err := db.Query("SELECT ins, body FROM events WHERE ins > ? AND kind = ? ORDER BY ins", last, domain.KindNote)
			if err != nil {
				watcher <- err
				return
			}
			now := time.Now()
			for rows.Next() {
				var body []byte
				if err := rows.Scan(&last, &body); err != nil {
					rows.Close()
					watcher <- err
					return
				}
				var n struct{ Text string }
				json.Unmarshal(body, &n)
				mu.Lock()
				seen[n.Text] = now
				mu.Unlock()
			}
			rows.Close()
			select {
			case <-done:
				watcher <- nil
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	env := c.env
	var wg gosync.WaitGroup
	errs := make(chan error, shells*each)
	b.ResetTimer()
	t0 := time.Now()
	for s := range shells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				text := fmt.Sprintf("shell %d note %d", s, i)
				cmd := exec.Command(c.bin, "--home", a, "note", inc, text)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("%s: %v: %s", text, err, out)
					continue
				}
				mu.Lock()
				wrote[text] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	close(errs)
	for err := range errs {
		b.Error(err)
	}
	waitUntil(b, 30*time.Second, "every note on the peer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < shells*each && time.Since(t0) > elapsed+25*time.Second {
			b.Logf("peer holds %d of %d notes; alice's serve:\n%s\nbob's serve:\n%s", len(seen), len(wrote), sa.stderr(), sb.stderr())
		}
		return len(seen) >= shells*each
	})
	close(done)
	if err := <-watcher; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var lat []float64
	for text, w := range wrote {
		d := seen[text].Sub(w)
		lat = append(lat, max(0, float64(d.Microseconds())/1000))
	}
	sort.Float64s(lat)
	if len(lat) != shells*each {
		b.Fatalf("%d notes written without error, want %d", len(lat), shells*each)
	}
	b.ReportMetric(lat[len(lat)/2], "peer-median-ms")
	b.ReportMetric(lat[len(lat)*9/10], "peer-p90-ms")
	b.ReportMetric(float64(shells*each)/elapsed.Seconds(), "notes/s")
}

// peerHas reports whether home's store holds the event id.
func peerHas(tb testing.TB, home, id string) bool {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(home, "tminus.db")+"?mode=ro")
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	db.QueryRowContext(context.Background(), "SELECT count(*) FROM events WHERE hex(id) = ?", strings.ToUpper(id)).Scan(&n)
	return n == 1
}

func waitUntil(tb testing.TB, d time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
