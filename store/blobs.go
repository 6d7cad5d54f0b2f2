package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// MaxBlob bounds one evidence file or command output kept in the store.
const MaxBlob = 64 << 20

// PutBlob stores data under its sha256 and returns the hex hash. Blobs are
// write-once: storing the same bytes again changes nothing.
func (s *Store) PutBlob(ctx context.Context, data []byte) (string, error) {
	if len(data) > MaxBlob {
		return "", fmt.Errorf("blob of %d bytes is over the %d-byte limit", len(data), MaxBlob)
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?, ?, ?)", h, len(data), data)
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
