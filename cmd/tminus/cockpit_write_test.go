package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/workspace"
)

// An agent locked while the cockpit is open (agent lock, its ttl) made every write say
// "sign: the agent is locked" and no more: the cockpit cannot prompt for the passphrase
// on its full screen, so the status line must say what to do in a shell.
func TestCockpitWriteWithLockedAgentSaysHowToUnlock(t *testing.T) {
	home, inc := newWorkspace(t)
	a := startAgentWith(t, binary(t), home, "correct horse")
	t.Setenv(workspace.AgentSockEnv, a.sock)
	os.Unsetenv("TMINUS_PASSPHRASE") // newWorkspace's t.Setenv restores it; the cockpit has none to unlock with
	ctx := context.Background()
	h := &workspace.Home{Dir: home}
	t.Cleanup(func() { h.Close() })
	b, err := newStoreBackend(ctx, h, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := domain.ParseID(inc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Do(ctx, &domain.Note{Incident: id, Text: "before the lock"}); err != nil {
		t.Fatalf("write through the unlocked agent: %v", err)
	}
	must(t, home, "agent", "lock")
	_, err = b.Do(ctx, &domain.Note{Incident: id, Text: "after the lock"})
	if err == nil || !strings.Contains(err.Error(), "tminus agent unlock") {
		t.Fatalf("write with the agent locked: %v, want what to run", err)
	}
}

// A store whose write lock another process holds past the busy timeout says so, and
// that nothing was stored, instead of SQLite's "database is locked (5) (SQLITE_BUSY)".
func TestCockpitWriteAdviceOnABusyStore(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "x.db")+"?_pragma=busy_timeout(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	_, busy := other.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	if busy == nil {
		t.Fatal("a second writer got in while the first held the lock")
	}
	got := writeAdvice(busy).Error()
	for _, want := range []string{"busy", "another process", "nothing was stored"} {
		if !strings.Contains(got, want) {
			t.Errorf("advice %q lacks %q", got, want)
		}
	}
}
