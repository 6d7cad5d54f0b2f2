package store

import (
	"context"
	"database/sql"
	"errors"
)

// Peer is a node this device dials, with what the running node last saw.
type Peer struct {
	Enode     string `json:"enode"`
	Added     int64  `json:"added"`
	LastSeen  int64  `json:"last_seen"`
	Connected bool   `json:"connected"`
	Behind    int64  `json:"behind"`
}

// AddPeer records a node URL to dial; adding one twice changes nothing.
func (s *Store) AddPeer(ctx context.Context, enode string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO peers (enode, added) VALUES (?, ?)", enode, s.Now().UnixMilli())
		return err
	})
}

// Peers lists the recorded peers.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT enode, added, last_seen, connected, behind FROM peers ORDER BY added, enode")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		var p Peer
		if err := rows.Scan(&p.Enode, &p.Added, &p.LastSeen, &p.Connected, &p.Behind); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SeePeer records a running node's view of one peer, adding it if new, so
// other processes (peer list, the cockpit) can show it.
func (s *Store) SeePeer(ctx context.Context, p Peer) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO peers (enode, added, last_seen, connected, behind) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (enode) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), connected = excluded.connected, behind = excluded.behind`,
			p.Enode, s.Now().UnixMilli(), p.LastSeen, p.Connected, p.Behind)
		return err
	})
}

// Cursor reads a named counter (e.g. a chain watcher's last block).
func (s *Store) Cursor(ctx context.Context, name string) (int64, bool, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, "SELECT value FROM cursors WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return v, err == nil, err
}

// SetCursor stores a named counter.
func (s *Store) SetCursor(ctx context.Context, name string, v int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, v)
		return err
	})
}
