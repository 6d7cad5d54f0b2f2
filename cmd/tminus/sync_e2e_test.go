package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// realCLI runs the built binary on homes, with one passphrase for every key.
type realCLI struct {
	t   testing.TB
	bin string
	env []string
}

func newRealCLI(t testing.TB) *realCLI {
	return &realCLI{t: t, bin: binary(t), env: append(os.Environ(), "TMINUS_PASSPHRASE=pw")}
}

func (c *realCLI) run(home string, args ...string) string {
	c.t.Helper()
	return runBinary(c.t, c.bin, c.env, home, args...)
}

// serve is a running `tminus serve`; t's cleanup kills it if the test did not.
type serve struct {
	cmd   *exec.Cmd
	enode string
	done  chan struct{}
	mu    gosync.Mutex
	log   bytes.Buffer
}

func (c *realCLI) serve(home string) *serve {
	c.t.Helper()
	cmd := exec.Command(c.bin, "--home", home, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = c.env
	errp, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	s := &serve{cmd: cmd, done: make(chan struct{})}
	c.t.Cleanup(s.kill)
	self := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			fmt.Fprintln(&s.log, line)
			s.mu.Unlock()
			if url, ok := strings.CutPrefix(line, "tminus node "); ok {
				select {
				case self <- url:
				default:
				}
			}
		}
		io.Copy(io.Discard, errp)
		cmd.Wait()
		close(s.done)
	}()
	select {
	case s.enode = <-self:
	case <-s.done:
		c.t.Fatalf("tminus serve on %s exited: %s", home, s.stderr())
	case <-time.After(30 * time.Second):
		c.t.Fatalf("tminus serve on %s did not start within 30s: %s", home, s.stderr())
	}
	return s
}

func (s *serve) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// kill sends SIGKILL: no deferred function, no clean close of the store.
func (s *serve) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// twoHomes makes alice's workspace in A and bob's key in B, bob added as a member.
func twoHomes(t testing.TB, c *realCLI) (a, b string) {
	t.Helper()
	dir := t.TempDir()
	a, b = filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	c.run(a, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	var bob struct{ Address string }
	if err := json.Unmarshal([]byte(c.run(b, "join", "--handle", "bob", "--light-kdf", "--json")), &bob); err != nil {
		t.Fatal(err)
	}
	c.run(a, "member", "add", bob.Address, "--handle", "bob", "--role", "triage")
	return a, b
}

// appendNotes signs n notes by alice into home's store, a thousand a transaction,
// and returns how many events the store then holds.
func appendNotes(t *testing.T, home string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	k, err := store.UnlockKey(filepath.Join(home, "key.json"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	signer := domain.KeySigner{Key: k}
	st, err := store.Open(ctx, filepath.Join(home, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inc, err := st.Append(ctx, signer, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; {
		var bodies []domain.Body
		for ; i < n && len(bodies) < 1000; i++ {
			bodies = append(bodies, &domain.Note{Incident: inc.ID, Text: fmt.Sprintf("checkpoint %d: no new outflow", i)})
		}
		if _, err := st.AppendMany(ctx, signer, bodies); err != nil {
			t.Fatal(err)
		}
	}
	total, err := st.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// A node killed with SIGKILL in the middle of a catch-up loses nothing that it
// had stored and stores nothing twice: restarted, it resumes from what it has,
// ends with every event exactly once, and verifies.
func TestSyncSurvivesKillMidCatchUp(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	c := newRealCLI(t)
	a, b := twoHomes(t, c)
	want := appendNotes(t, a, 20_000) // and genesis, bob's addition, the incident
	ctx := context.Background()
	bst, err := store.Open(ctx, filepath.Join(b, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	count := func() int64 {
		t.Helper()
		n, err := bst.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	sa := c.serve(a)
	c.run(b, "peer", "add", sa.enode)
	start := time.Now()
	sb := c.serve(b)
	var at int64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if at = count(); at > 0 && at < want {
			sb.kill()
			break
		}
		if at >= want {
			t.Fatalf("bob caught up (%d events in %s) before the test could kill it; give it more events", at, time.Since(start))
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob stored nothing within 60s\nalice: %s\nbob: %s", sa.stderr(), sb.stderr())
		}
	}
	after := count() // what survived: the batches committed before the kill
	t.Logf("killed bob's node %s into the catch-up at %d of %d events; %d survived", time.Since(start).Round(time.Millisecond), at, want, after)
	if after <= 0 || after >= want {
		t.Fatalf("after the kill bob has %d of %d events: not a mid-catch-up kill", after, want)
	}

	restart := time.Now()
	sb = c.serve(b)
	for deadline := time.Now().Add(60 * time.Second); count() < want; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("bob has %d of %d events 60s after the restart\nbob: %s", count(), want, sb.stderr())
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if ha, hb := c.run(a, "state-hash"), c.run(b, "state-hash"); ha == hb {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("state hashes differ 30s after bob has every event")
		}
	}
	t.Logf("restarted, bob caught up in %s", time.Since(restart).Round(time.Millisecond))
	// The restarted node speaks for its peers again: alice reads as connected.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var peers []struct {
			Enode     string
			Connected bool
		}
		if err := json.Unmarshal([]byte(c.run(b, "peer", "list", "--json")), &peers); err != nil {
			t.Fatal(err)
		}
		if len(peers) == 1 && peers[0].Enode == sa.enode && peers[0].Connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's peer list after the restart: %+v, want alice connected", peers)
		}
	}

	ids := map[string]bool{}
	for _, line := range strings.Split(c.run(b, "log", "--json"), "\n") {
		var e struct{ ID string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if ids[e.ID] {
			t.Fatalf("event %s is in bob's log twice", e.ID)
		}
		ids[e.ID] = true
	}
	if int64(len(ids)) != want || count() != want {
		t.Fatalf("bob's log has %d events, the store counts %d; alice has %d", len(ids), count(), want)
	}
	if out := c.run(b, "verify"); !strings.Contains(out, "OK") {
		t.Fatalf("verify on bob: %s", out)
	}
}
