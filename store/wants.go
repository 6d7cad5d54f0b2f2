package store

import (
	"context"
	"database/sql"

	"github.com/tminus-ir/tminus/domain"
)

// The blobs the workspace names and this store lacks are kept in the
// blob_wants table, written with the events and blobs themselves: an event
// naming a blob that is not here adds its hash, storing the blob removes
// it. Replication asks peers for them and reads the table often (every
// session, whenever the store gains events), so it is read in pages by
// hash rather than found by folding or scanning the log.

// blobKinds are the kinds domain.BlobOf reads.
const blobKinds = `kind IN ('evidence.add', 'runbook.exec', 'alert.observe')`

// emptyBlob is the name of zero bytes (a run that printed nothing): no
// peer can send it, an empty Blobs entry says "not here", and nothing
// needs sending.
var emptyBlob = BlobHash(nil)

// wantBlob records that e names a blob this store lacks.
func (in *inserter) wantBlob(e *domain.Event) error {
	h := domain.BlobOf(e.Kind, e.Body)
	if h == "" || h == emptyBlob {
		return nil
	}
	return in.exec(`INSERT OR IGNORE INTO blob_wants (hash)
		SELECT ? WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE hash = ?)`, h, h)
}

// MissingBlobs lists, in hash order, up to limit of the blobs this
// store's events name and it lacks, those after the hash after ("" for
// the first): a caller walks them page by page.
func (s *Store) MissingBlobs(ctx context.Context, after string, limit int) ([]string, error) {
	return s.hashes(ctx, "SELECT hash FROM blob_wants WHERE hash > ? ORDER BY hash LIMIT ?", after, limit)
}

// fillBlobWants lists the missing blobs of a store made before the table.
func fillBlobWants(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT kind, body FROM events WHERE "+blobKinds)
	if err != nil {
		return err
	}
	var named []string
	for rows.Next() {
		var kind string
		var body []byte
		if err := rows.Scan(&kind, &body); err != nil {
			rows.Close()
			return err
		}
		if h := domain.BlobOf(kind, body); h != "" && h != emptyBlob {
			named = append(named, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO blob_wants (hash)
		SELECT ? WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE hash = ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, h := range named {
		if _, err := st.ExecContext(ctx, h, h); err != nil {
			return err
		}
	}
	return nil
}
