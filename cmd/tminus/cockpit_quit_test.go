package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
	"github.com/tminus-ir/tminus/workspace"
)

// A step still running when the cockpit closes (the responder confirmed quitting, the SSH
// session dropped, SIGTERM) is stopped and its run recorded before the process exits:
// it used to exit first, and the step read as never run, there to be run again.
func TestCockpitCloseRecordsTheStoppedStep(t *testing.T) {
	home, inc := newWorkspace(t)
	started := filepath.Join(t.TempDir(), "started")
	id := lowRiskRunbook(t, home, inc, "echo started > "+started+"; sleep 120; echo never")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := store.UnlockKey(filepath.Join(home, "key.json"), []byte(os.Getenv("TMINUS_PASSPHRASE")))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := runbooks.Load(os.Getenv("TMINUS_RUNBOOKS"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newStoreBackend(ctx, workspace.Attach(home, st, key), "alice", lib)
	if err != nil {
		t.Fatal(err)
	}
	var idle bytes.Buffer
	b.settleRuns(&idle, time.Minute)
	if idle.Len() != 0 {
		t.Fatalf("nothing running, yet settleRuns said %q", idle.String())
	}

	pid, err := domain.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	screen, closeScreen := context.WithCancel(ctx) // the cockpit's context: cancelled as it closes
	defer closeScreen()
	ran := make(chan error, 1)
	go func() { _, err := b.Exec(screen, pid); ran <- err }()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the step did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	closeScreen()
	var said bytes.Buffer
	b.settleRuns(&said, time.Minute)
	if !strings.Contains(said.String(), "was stopped; recording") || !strings.Contains(said.String(), "recorded;") {
		t.Fatalf("settleRuns said %q", said.String())
	}
	if err := <-ran; err != nil {
		t.Fatalf("Exec: %v", err)
	}
	s, err := st.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ex := s.Proposals[pid].Exec
	if ex == nil || ex.ExitCode == 0 {
		t.Fatalf("the stopped step's record: %+v, want it recorded with a failing exit", ex)
	}
}
