package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/workspace"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/store"
)

// Whole-command benchmarks: the real binary, run as a user runs it, on homes
// holding the first n events of one generated history (4 authors, ~200
// incidents; see domaintest.Linear). The home's member is the history's
// first author, m0, with every lead role, so `note` appends to a long chain.

const benchPass = "bench passphrase"

var benchHistory struct {
	mu  sync.Mutex
	evs map[int][]*domain.Event
}

// history returns the first n events of a generated history of total
// events, made once per process for each total.
func history(b testing.TB, total, n int) []*domain.Event {
	b.Helper()
	benchHistory.mu.Lock()
	defer benchHistory.mu.Unlock()
	evs, ok := benchHistory.evs[total]
	if !ok {
		t0 := time.Now()
		var err error
		if evs, err = domaintest.Linear(1, 4, total); err != nil {
			b.Fatal(err)
		}
		if benchHistory.evs == nil {
			benchHistory.evs = map[int][]*domain.Event{}
		}
		benchHistory.evs[total] = evs
		b.Logf("generated and signed %d events in %v", total, time.Since(t0).Round(time.Millisecond))
	}
	return evs[:n]
}

// benchHome makes a home whose store holds the first n events of the
// history, with a snapshot when the fold would replay more than
// store.SnapshotEvery events, and whose light-KDF key is m0's.
func benchHome(b testing.TB, n int) string {
	b.Helper()
	return benchHomeOf(b, 100_000, n, true)
}

func benchHomeOf(b testing.TB, total, n int, snapshot bool) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "home")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	signer := domaintest.Signer(1, 0)
	ks := keystore.NewKeyStore(b.TempDir(), keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.ImportECDSA(signer.Key, benchPass)
	if err != nil {
		b.Fatal(err)
	}
	h := &workspace.Home{Dir: dir}
	if err := os.Rename(acct.URL.Path, h.KeyPath()); err != nil {
		b.Fatal(err)
	}
	cfg := &workspace.Config{Handle: "m0", Address: signer.Address().Hex(),
		PubKey: fmt.Sprintf("%x", crypto.FromECDSAPub(&signer.Key.PublicKey)), Listen: workspace.DefaultListen}
	if err := h.SaveConfig(cfg); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, h.DBPath())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Ingest(ctx, domaintest.Raws(history(b, total, n))); err != nil {
		b.Fatal(err)
	}
	if snapshot {
		if _, err := st.State(ctx); err != nil { // writes the snapshot
			b.Fatal(err)
		}
	}
	return dir
}

// runCommand runs the binary b.N times and reports the median wall time
// of one command, the figure a user waits for.
func runCommand(b *testing.B, home string, args ...string) {
	b.Helper()
	bin := binary(b)
	env := append(os.Environ(), "TMINUS_PASSPHRASE="+benchPass, "NO_COLOR=1")
	var times []time.Duration
	b.ResetTimer()
	// make bench runs each benchmark once (-benchtime 1x); a median wants
	// a few runs.
	for i := 0; i < max(b.N, 7); i++ {
		cmd := exec.Command(bin, append([]string{"--home", home}, args...)...)
		cmd.Env = env
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatalf("tminus %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/cmd")
}

func incidentOf(b *testing.B, n int) string {
	b.Helper()
	for _, e := range history(b, 100_000, n) {
		if e.Kind == domain.KindIncidentDeclare {
			return e.ID.String()
		}
	}
	b.Fatal("no incident in the history")
	return ""
}

func BenchmarkCmdStateHash100k(b *testing.B) {
	runCommand(b, benchHome(b, 100_000), "state-hash")
}

// BenchmarkCmdVerify100k: `verify` of a store of 100,000 events, every
// signature, chain and lamport checked.
func BenchmarkCmdVerify100k(b *testing.B) {
	runCommand(b, benchHome(b, 100_000), "verify")
}

func BenchmarkCmdIncidentList100k(b *testing.B) {
	runCommand(b, benchHome(b, 100_000), "incident", "list")
}

// BenchmarkCmdIncidentShow100k: an incident of some 500 events, its
// timeline read from the subject index, on a store of 100,000.
func BenchmarkCmdIncidentShow100k(b *testing.B) {
	runCommand(b, benchHome(b, 100_000), "incident", "show", incidentOf(b, 100_000))
}

// BenchmarkCmdNote: one appended event, at three store sizes; the aim is
// the same cost at 100k as on a nearly empty store.
func BenchmarkCmdNote(b *testing.B) {
	for _, n := range []int{100, 1_000, 100_000} {
		b.Run(fmt.Sprintf("at%d", n), func(b *testing.B) {
			home := benchHome(b, n)
			runCommand(b, home, "note", incidentOf(b, n), "looked at the mempool")
		})
	}
}

// BenchmarkCmdStateHash1M: `state-hash` on a store of 1,000,000 events,
// first with no snapshot (open and fold everything; the command then
// writes one), then with it; peak RSS of the command, the aim being under
// 300 MiB.
func BenchmarkCmdStateHash1M(b *testing.B) {
	home := benchHomeOf(b, 1_000_000, 1_000_000, false)
	bin := binary(b)
	for i := 0; i < b.N; i++ {
		for _, run := range []string{"fold", "snapshot"} {
			cmd := exec.Command(bin, "--home", home, "state-hash")
			cmd.Env = append(os.Environ(), "TMINUS_PASSPHRASE="+benchPass)
			t0 := time.Now()
			peak, out, err := runWatchingPeak(cmd)
			if err != nil {
				b.Fatalf("state-hash: %v\n%s", err, out)
			}
			b.ReportMetric(float64(peak)/1024, "MiB-peak-rss-"+run)
			b.ReportMetric(time.Since(t0).Seconds(), "s-"+run)
		}
	}
}

// runWatchingPeak runs cmd and returns its peak resident set in KiB, read
// from /proc/PID/status (VmHWM) while it runs. The rusage of a child
// would not do: Go starts it with vfork, and until exec it shares this
// process's memory, whose high-water mark the kernel then counts as the
// child's.
func runWatchingPeak(cmd *exec.Cmd) (peakKiB int, out []byte, err error) {
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return peakKiB, []byte(buf.String()), err
		case <-tick.C:
			peakKiB = max(peakKiB, vmHWM(status))
		}
	}
}

// vmHWM is the VmHWM line of a /proc status file in KiB; 0 once the
// process is gone.
func vmHWM(status string) int {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}
