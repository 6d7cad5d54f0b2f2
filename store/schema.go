package store

import (
	"context"
	"database/sql"
	"fmt"
)

// appID marks a SQLite file as a tminus store (PRAGMA application_id), so
// opening some other database fails clearly instead of being "migrated".
const appID = 0x746d6e73 // "tmns"

const pageSize = 16384

// A migration is SQL, then optionally Go code (for what SQL cannot
// compute), in one transaction.
type migration struct {
	sql  string
	fill func(context.Context, *sql.Tx) error
}

// migrations run in order, each in its own transaction; user_version
// records how many have run.
var migrations = []migration{
	{sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
	CREATE TABLE events (
		ins     INTEGER PRIMARY KEY, -- arrival order, for "what is new"
		id      BLOB NOT NULL UNIQUE,
		author  BLOB NOT NULL,
		seq     INTEGER NOT NULL,
		lamport INTEGER NOT NULL,
		time    INTEGER NOT NULL,
		kind    TEXT NOT NULL,
		body    BLOB,
		raw     BLOB NOT NULL,
		skewed  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX events_order ON events (lamport, id);
	CREATE INDEX events_chain ON events (author, seq);
	CREATE INDEX events_kind ON events (kind);
	CREATE TABLE heads (
		author  BLOB PRIMARY KEY,
		seq     INTEGER NOT NULL,
		id      BLOB NOT NULL,
		lamport INTEGER NOT NULL
	);
	-- refs: the highest seq of each other author that signer has referenced,
	-- so deps name only heads not yet referenced.
	CREATE TABLE refs (signer BLOB, author BLOB, seq INTEGER NOT NULL, PRIMARY KEY (signer, author));
	CREATE TABLE forks (
		author BLOB NOT NULL,
		seq    INTEGER NOT NULL,
		a      BLOB NOT NULL,
		b      BLOB NOT NULL,
		PRIMARY KEY (author, seq)
	);
	CREATE TABLE orphans (
		id       BLOB PRIMARY KEY,
		needs    BLOB NOT NULL, -- the first missing prev or dep
		raw      BLOB NOT NULL,
		received INTEGER NOT NULL
	);
	CREATE INDEX orphans_needs ON orphans (needs);
	CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
	CREATE TABLE snapshots (
		lamport INTEGER NOT NULL,
		id      BLOB NOT NULL,
		count   INTEGER NOT NULL,
		state   BLOB NOT NULL,
		PRIMARY KEY (lamport, id)
	);`},
	{sql: `CREATE TABLE peers (
		enode     TEXT PRIMARY KEY,
		added     INTEGER NOT NULL,
		last_seen INTEGER NOT NULL DEFAULT 0, -- unix ms, written by the running node
		connected INTEGER NOT NULL DEFAULT 0,
		behind    INTEGER NOT NULL DEFAULT 0  -- events the peer has that we lack
	);
	CREATE TABLE cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`},
	// Nothing reads events by kind; the index cost every insert a b-tree
	// write, a tenth of a batch import's writer time.
	{sql: `DROP INDEX events_kind;`},
	// The fold's acknowledgement rule changed: a snapshot folded under the
	// old one would give another state hash than a fold from scratch.
	// Add a migration like this whenever the fold changes.
	{sql: `DELETE FROM snapshots;`},
	// Timelines left the state for the events_subject index, and snapshots are
	// stored in parts (docs/design.md, "State size"); the state changed
	// shape, so old snapshots go.
	{sql: `ALTER TABLE events ADD COLUMN subject INTEGER; -- subjectKey of domain.Subject, NULL for none
	DROP TABLE snapshots;
	CREATE TABLE snapshots (
		lamport INTEGER NOT NULL,
		id      BLOB NOT NULL,
		count   INTEGER NOT NULL,
		PRIMARY KEY (lamport, id)
	);
	CREATE TABLE snapshot_parts (
		lamport INTEGER NOT NULL,
		id      BLOB NOT NULL,
		n       INTEGER NOT NULL, -- order of writing
		field   TEXT NOT NULL,
		data    BLOB NOT NULL,
		PRIMARY KEY (lamport, id, n),
		FOREIGN KEY (lamport, id) REFERENCES snapshots (lamport, id) ON DELETE CASCADE
	);`, fill: fillSubjects},
	// Who may write is read from the identity events alone (IdentityState).
	// A partial index holds only them: other inserts pay one comparison.
	{sql: `CREATE INDEX events_identity ON events (kind) WHERE ` + identityKinds + `;`},
	// The fold changed: a key.rotate stands at its own fork's seq, and the
	// roster quorum counts only members who can approve. Old snapshots would
	// give other state hashes than a fold from scratch.
	{sql: `DELETE FROM snapshot_parts; DELETE FROM snapshots;`},
	// The fold changed: a proof statement counts once (a second record of it
	// is refused), and revocations cut keys (domain/cuts.go).
	{sql: `DELETE FROM snapshot_parts; DELETE FROM snapshots;`},
	// The blobs the events name and this store lacks (wants.go), so that
	// replication asks peers for them without scanning the log.
	{sql: `CREATE TABLE IF NOT EXISTS blob_wants (hash TEXT PRIMARY KEY) WITHOUT ROWID;`, fill: fillBlobWants},
}

// identityKinds selects domain.IdentityKinds. The index's WHERE and the
// query's must match word for word for SQLite to use the index; a change
// to the kinds needs a migration that recreates it (a test compares them).
const identityKinds = `kind IN ('workspace.genesis', 'member.propose', 'member.approve', 'proof.add', 'proof.revoke', 'key.rotate', 'member.change')`

func migrate(ctx context.Context, db *sql.DB) error {
	var id, version int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return notAStore(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return notAStore(err)
	}
	if id == 0 && version == 0 {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			return notAStore(err)
		}
		if n > 0 {
			return notAStore(fmt.Errorf("it has tables but no tminus marker"))
		}
		// Only an empty file takes a page size. 16 KiB pages write a
		// batch import's WAL in a quarter of the system calls of the
		// default 4 KiB, about 4 us less per event; a one-event append
		// writes bigger pages and costs ~100 us more (docs/design.md).
		if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
			return err
		}
	} else if id != appID {
		return notAStore(fmt.Errorf("application_id %#x", id))
	}
	// WAL is a property of the file: set once here, every connection
	// (this process's readers, other processes) then uses it.
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("store schema version %d is newer than this tminus (%d): upgrade tminus", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		// Re-read inside the write lock: another process may have migrated.
		var cur int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
			tx.Rollback()
			return err
		}
		if cur > v {
			tx.Rollback()
			v = cur - 1
			continue
		}
		m := migrations[v]
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if m.fill != nil {
			if err := m.fill(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", appID, v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func notAStore(err error) error {
	return fmt.Errorf("%w: %v", ErrNotAStore, err)
}
