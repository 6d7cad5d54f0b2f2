package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Peer liveness, one rule: a running node rewrites last_seen of every peer
// it has a session with each PeerHeartbeat, and a peer reads as connected
// only while its flag is set and that heartbeat is younger than PeerStale.
// A node that died without saying so (SIGKILL, power loss) leaves its
// flags behind; they stop counting after PeerStale, in peer list and in
// the cockpit alike. Three missed beats, not one, so that a busy writer
// (a large catch-up holds the write lock for a while) does not make peers
// flicker.
const (
	PeerHeartbeat = 2 * time.Second
	PeerStale     = 3 * PeerHeartbeat
)

// Peer is a node this device dials, with what the running node last saw.
// Connected is the liveness rule applied, never the raw flag.
type Peer struct {
	Enode     string `json:"enode"`
	Added     int64  `json:"added"`
	LastSeen  int64  `json:"last_seen"` // unix ms of the last heartbeat while connected
	Connected bool   `json:"connected"`
	Behind    int64  `json:"behind"`
}

// peerLive is the liveness rule. A last_seen far in the future (the clock
// went back) is as untrustworthy as one far in the past.
func peerLive(flag bool, lastSeen int64, now time.Time) bool {
	age := now.UnixMilli() - lastSeen
	stale := PeerStale.Milliseconds()
	return flag && age <= stale && age >= -stale
}

// AddPeer records a node URL to dial; adding one twice changes nothing,
// and a new address for a node (same key, enode://KEY@...) replaces the
// old one: the node moved.
func (s *Store) AddPeer(ctx context.Context, enode string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if key, ok := enodeKey(enode); ok {
			if _, err := tx.ExecContext(ctx, "DELETE FROM peers WHERE substr(enode, 1, ?) = ? AND enode != ?",
				len(key), key, enode); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO peers (enode, added) VALUES (?, ?)", enode, s.Now().UnixMilli())
		return err
	})
}

// enodeKey is the "enode://KEY@" prefix that names a node whatever its
// address.
func enodeKey(url string) (string, bool) {
	rest, ok := strings.CutPrefix(url, "enode://")
	if !ok {
		return "", false
	}
	key, _, ok := strings.Cut(rest, "@")
	if !ok || key == "" {
		return "", false
	}
	return "enode://" + key + "@", true
}

// Peers lists the recorded peers; Connected follows the liveness rule.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT enode, added, last_seen, connected, behind FROM peers ORDER BY added, enode")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.Now()
	var out []Peer
	for rows.Next() {
		var p Peer
		var flag bool
		if err := rows.Scan(&p.Enode, &p.Added, &p.LastSeen, &flag, &p.Behind); err != nil {
			return nil, err
		}
		p.Connected = peerLive(flag, p.LastSeen, now)
		out = append(out, p)
	}
	return out, rows.Err()
}

// SeePeer records a running node's view of one peer; see SeePeers.
func (s *Store) SeePeer(ctx context.Context, p Peer) error {
	return s.SeePeers(ctx, []Peer{p})
}

// SeePeers records a running node's view of its peers in one transaction,
// adding those that are new, so other processes (peer list, the cockpit)
// can show them. A connected peer's last_seen becomes now: this write is
// the heartbeat the liveness rule reads. A disconnected one keeps the last
// time it was seen.
func (s *Store) SeePeers(ctx context.Context, ps []Peer) error {
	if len(ps) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO peers (enode, added, last_seen, connected, behind) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (enode) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), connected = excluded.connected, behind = excluded.behind`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := s.Now().UnixMilli()
		for _, p := range ps {
			// A peer that dialed in is recorded at port 0 until the node
			// learns where it listens; that row then goes, as does the
			// one from an address it dialed in from before.
			if key, ok := enodeKey(p.Enode); ok {
				if _, err := tx.ExecContext(ctx, "DELETE FROM peers WHERE substr(enode, 1, ?) = ? AND enode GLOB '*:0' AND enode != ?", len(key), key, p.Enode); err != nil {
					return err
				}
			}
			seen := p.LastSeen
			if p.Connected {
				seen = max(seen, now)
			}
			if _, err := stmt.ExecContext(ctx, p.Enode, now, seen, p.Connected, p.Behind); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearStalePeers drops the connected flags whose heartbeat stopped: what a
// node that died left behind. A node runs it when it starts; a flag still
// fresh may be another live node's on the same home, and is kept. It
// returns how many flags it cleared.
func (s *Store) ClearStalePeers(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.Now()
		res, err := tx.ExecContext(ctx, "UPDATE peers SET connected = 0 WHERE connected != 0 AND (last_seen < ? OR last_seen > ?)",
			now.Add(-PeerStale).UnixMilli(), now.Add(PeerStale).UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
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
