package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// MaxBlob bounds one evidence file or command output kept in the store. It
// is what replication can carry: a blob travels alone in one sync Blobs
// message, and devp2p's RLPx frames a message in at most 16 MiB - 1 (a
// 24-bit size), so 15 MiB leaves room for the message's envelope. A larger
// blob would be kept here and never reach another replica (it was 64 MiB).
const MaxBlob = 15 << 20

// PutBlob stores data under its sha256 and returns the hex hash. Blobs are
// write-once: storing the same bytes again changes nothing.
func (s *Store) PutBlob(ctx context.Context, data []byte) (string, error) {
	if len(data) > MaxBlob {
		return "", fmt.Errorf("blob of %d bytes is over the %d-byte limit", len(data), MaxBlob)
	}
	h := BlobHash(data)
	if data == nil {
		data = []byte{} // nil is NULL to the driver, which OR IGNORE would drop silently
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?, ?, ?)", h, len(data), data); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM blob_wants WHERE hash = ?", h)
		return err
	})
	return h, err
}

// Blob returns the bytes stored under a sha256 hex hash.
func (s *Store) Blob(ctx context.Context, hash string) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, "SELECT data FROM blobs WHERE hash = ?", hash).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("blob %s %w", hash, ErrNotFound)
	}
	return data, err
}

// HasBlob reports whether a blob is stored.
func (s *Store) HasBlob(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM blobs WHERE hash = ?", hash).Scan(&n)
	return n > 0, err
}

// BadBlob is a stored blob whose bytes do not hash to its name: the file
// was damaged or edited behind the store's back.
type BadBlob struct {
	Hash   string // its name
	Actual string // what its bytes hash to
}

// CheckBlobs rehashes every stored blob and returns those whose bytes do
// not match their name. It reads one blob at a time.
func (s *Store) CheckBlobs(ctx context.Context) (n int, bad []BadBlob, err error) {
	rows, err := s.r.QueryContext(ctx, "SELECT hash FROM blobs ORDER BY hash")
	if err != nil {
		return 0, nil, err
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return 0, nil, err
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	for _, h := range hashes {
		data, err := s.Blob(ctx, h)
		if err != nil {
			return n, bad, err
		}
		n++
		if got := BlobHash(data); got != h {
			bad = append(bad, BadBlob{Hash: h, Actual: got})
		}
	}
	return n, bad, nil
}

// BlobHash is the name a blob of these bytes is stored under.
func BlobHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ErrBadBlob is a blob whose bytes do not hash to its name.
var ErrBadBlob = errors.New("blob is damaged: its bytes do not hash to its name")

// VerifiedBlob is Blob, refusing bytes that do not hash to hash.
func (s *Store) VerifiedBlob(ctx context.Context, hash string) ([]byte, error) {
	data, err := s.Blob(ctx, hash)
	if err != nil {
		return nil, err
	}
	if got := BlobHash(data); got != hash {
		return nil, fmt.Errorf("%w (%s holds bytes hashing to %s; tminus verify lists damaged blobs)", ErrBadBlob, hash[:12], got[:12])
	}
	return data, nil
}

// BlobHashes are the stored blob names starting with prefix (lowercase
// hex), at most limit of them.
func (s *Store) BlobHashes(ctx context.Context, prefix string, limit int) ([]string, error) {
	return s.hashes(ctx, "SELECT hash FROM blobs WHERE hash >= ? AND hash < ? ORDER BY hash LIMIT ?", prefix, prefix+"g", limit)
}

// hashes runs a query of one text column.
func (s *Store) hashes(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// BlobHead returns a stored blob's first n bytes and its size, or ok false
// when this store lacks it: enough to name its media type without reading
// a large blob whole.
func (s *Store) BlobHead(ctx context.Context, hash string, n int) (head []byte, size int64, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, "SELECT substr(data, 1, ?), size FROM blobs WHERE hash = ?", n, hash).Scan(&head, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, nil
	}
	return head, size, err == nil, err
}
