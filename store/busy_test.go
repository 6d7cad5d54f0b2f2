package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// A write that waited out another process's write lock is ErrBusy, which
// says what to do, instead of SQLite's "database is locked (5)".
func TestBusyWriteSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	open := func(dsn string) *sql.DB {
		t.Helper()
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	holder := open(filepath.Join(dir, "x.db"))
	other := open("file:" + filepath.Join(dir, "x.db") + "?_pragma=busy_timeout(1)")
	ctx := context.Background()
	if _, err := holder.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	conn, err := holder.Conn(ctx)
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
	got := diskError(busy)
	if !errors.Is(got, ErrBusy) || errors.Is(got, ErrDiskFull) {
		t.Fatalf("diskError(%v) = %v, want ErrBusy", busy, got)
	}
	for _, want := range []string{"another process", "nothing of this write was stored", "try again"} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
