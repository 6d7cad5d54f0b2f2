package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	ErrNotAStore    = errors.New("not a tminus store")
	ErrWorkspace    = errors.New("wrong workspace")
	ErrNoWorkspace  = errors.New("no workspace yet")
	ErrBrokenChain  = errors.New("broken chain")
	ErrLamport      = errors.New("lamport does not follow its prev and deps")
	ErrNotFound     = errors.New("not found")
	ErrAmbiguous    = errors.New("ambiguous id prefix")
	ErrTooManyOrphs = errors.New("too many orphans")
	// ErrDiskFull is a write SQLite could not put on disk: the disk is
	// full, a quota or a file size limit was reached, or the disk failed.
	// The transaction rolled back; the store is as it was before it.
	ErrDiskFull = errors.New("the store could not be written (is the disk full, or a quota or file size limit reached?); nothing of this write was stored: free space and retry")
	// ErrBusy is a write that waited out the busy timeout for another
	// process's write lock (a long import, a stuck command). The
	// transaction rolled back; the store is as it was before it.
	ErrBusy = errors.New("the store is busy: another process (a tminus command, an import) held its write lock too long; nothing of this write was stored: try again once it is done")
)

// MaxOrphans bounds what a peer can park in the store before its chain
// arrives.
const MaxOrphans = 100_000

// MaxSkew is how far in the future an event's time may be before it is
// flagged as skewed.
const MaxSkew = 5 * time.Minute

// Store is one workspace's SQLite file. All writes go through a single
// writer goroutine; reads use a pool. Other processes may open the same
// file: writes take the lock with BEGIN IMMEDIATE and wait for it.
type Store struct {
	r, w   *sql.DB
	jobs   chan job
	done   chan struct{}
	closed sync.Once
	Now    func() time.Time
	folds  atomic.Int64 // Folds

	mu   sync.Mutex
	ws   domain.ID
	subs map[chan struct{}]struct{} // Commits
}

type job struct {
	ctx context.Context
	fn  func(*sql.Tx) error
	err chan error
}

func dsn(path string, immediate bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	// journal_mode(WAL) is set by migrate once the file is known to be a
	// store: as a DSN pragma it would convert another program's database.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if immediate {
		q.Set("_txlock", "immediate")
		// A batch of a few thousand events touches more pages than the
		// default 2 MiB cache holds; spilling them mid-transaction doubled
		// the writer's time per batch. 8 MiB imports as fast as 32 did
		// (BENCHMARKS.md) and keeps 20 MiB off a catching-up node's peak.
		q.Add("_pragma", "cache_size(-8192)")
	}
	// Escaped: SQLite reads a file: URI, where '#' and '?' in a path
	// would cut it short and open another file.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens or creates the store at path and runs pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	s := &Store{r: r, w: w, jobs: make(chan job), done: make(chan struct{}), Now: time.Now}
	if err := s.loadWS(ctx); err != nil {
		s.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

func (s *Store) loadWS(ctx context.Context) error {
	var b []byte
	err := s.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'ws'").Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	copy(s.ws[:], b)
	s.mu.Unlock()
	return nil
}

// Workspace is the id of the workspace's genesis, or zero before one.
//
// Before one, it is read again from the file on every call: another process
// of the home (a one-shot sync beside a serve that started on the empty
// home) may have stored the genesis, and the serve never dialled the roster
// it brought until it was restarted.
func (s *Store) Workspace() domain.ID {
	s.mu.Lock()
	ws := s.ws
	s.mu.Unlock()
	if !ws.IsZero() {
		return ws
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.loadWS(ctx) != nil {
		return ws
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws
}

func (s *Store) Close() error {
	s.closed.Do(func() { close(s.done) })
	err := s.w.Close()
	if err2 := s.r.Close(); err == nil {
		err = err2
	}
	return err
}

// writer runs every write transaction, one at a time, so this process
// never competes with itself for SQLite's write lock.
func (s *Store) writer() {
	for {
		select {
		case <-s.done:
			return
		case j := <-s.jobs:
			err := s.runTx(j.ctx, j.fn)
			if err == nil {
				s.committed()
			}
			j.err <- err
		}
	}
}

func (s *Store) runTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return diskError(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return diskError(err)
	}
	return diskError(tx.Commit())
}

// diskError names a failed write to the file as ErrDiskFull or ErrBusy:
// SQLite says only "disk I/O error (778)" or "database is locked (5)",
// which tell nobody what to do.
func diskError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	case sqlite3.SQLITE_BUSY:
		return fmt.Errorf("%w: %v", ErrBusy, err)
	}
	return err
}

// write runs fn in one write transaction on the writer goroutine: all of
// it lands or none of it does.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	j := job{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-s.done:
		return errors.New("store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.err:
		return err
	case <-ctx.Done():
		// The transaction sees ctx too and rolls back; wait for it so the
		// caller never returns while a write is half-done.
		return <-j.err
	}
}

// Arrived is the arrival number of the newest stored event. It grows with
// every insert from any process, so readers poll it to notice new events
// (a max over the primary key: one b-tree seek).
func (s *Store) Arrived(ctx context.Context) (int64, error) {
	var ins int64
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(ins), 0) FROM events").Scan(&ins)
	return ins, err
}
