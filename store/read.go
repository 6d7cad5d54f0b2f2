package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Head is the newest event of one author's chain.
type Head struct {
	Author  common.Address
	Seq     uint64
	ID      domain.ID
	Lamport uint64
}

func scanHeads(rows *sql.Rows) ([]Head, error) {
	defer rows.Close()
	var out []Head
	for rows.Next() {
		var h Head
		var a, id []byte
		if err := rows.Scan(&a, &h.Seq, &id, &h.Lamport); err != nil {
			return nil, err
		}
		h.Author = common.BytesToAddress(a)
		copy(h.ID[:], id)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Heads lists every author's newest event.
func (s *Store) Heads(ctx context.Context) ([]Head, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT author, seq, id, lamport FROM heads ORDER BY author")
	if err != nil {
		return nil, err
	}
	return scanHeads(rows)
}

// Range returns raw events of one author from seq on, in seq order, at
// most max of them and about maxBytes in all (at least one).
func (s *Store) Range(ctx context.Context, author common.Address, from uint64, max int, maxBytes int) ([][]byte, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT raw FROM events WHERE author = ? AND seq >= ? ORDER BY seq, id LIMIT ?", author[:], from, max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	size := 0
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if len(out) > 0 && size+len(raw) > maxBytes {
			break
		}
		size += len(raw)
		out = append(out, raw)
	}
	return out, rows.Err()
}

// Row is a stored event as the fold and the log read it.
type Row struct {
	*domain.Event
	Arrival int64
	Skewed  bool
}

const rowCols = "ins, id, author, seq, lamport, time, kind, body, skewed"

func scanRow(rows *sql.Rows) (Row, error) {
	e := &domain.Event{}
	r := Row{Event: e}
	var id, author []byte
	if err := rows.Scan(&r.Arrival, &id, &author, &e.Seq, &e.Lamport, &e.Time, &e.Kind, &e.Body, &r.Skewed); err != nil {
		return r, err
	}
	copy(e.ID[:], id)
	e.Author = common.BytesToAddress(author)
	return r, nil
}

// Events calls fn for each event after key in fold order, (lamport, id).
// The fold needs no signature or raw bytes: they were checked on the way in.
func (s *Store) Events(ctx context.Context, after domain.Key, fn func(Row) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT "+rowCols+" FROM events WHERE (lamport, id) > (?, ?) ORDER BY lamport, id",
		after.Lamport, after.ID[:])
	return eachRow(rows, err, fn)
}

// Arrivals calls fn for each event that arrived after arrival number n.
func (s *Store) Arrivals(ctx context.Context, n int64, fn func(Row) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT "+rowCols+" FROM events WHERE ins > ? ORDER BY ins", n)
	return eachRow(rows, err, fn)
}

func eachRow(rows *sql.Rows, err error, fn func(Row) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Log calls fn for every stored event, raw bytes decoded, in fold order.
func (s *Store) Log(ctx context.Context, fn func(*domain.Event, bool) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT raw, skewed FROM events ORDER BY lamport, id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var skewed bool
		if err := rows.Scan(&raw, &skewed); err != nil {
			return err
		}
		e, err := domain.Decode(raw)
		if err != nil {
			return fmt.Errorf("stored event is corrupt: %w", err)
		}
		if err := fn(e, skewed); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Skewed returns every stored event flagged as skewed when it arrived
// (dated more than MaxSkew ahead of this store's clock), decoded, in fold
// order. Metrics leave out times measured from them (domain.Skew).
func (s *Store) Skewed(ctx context.Context) ([]*domain.Event, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT raw FROM events WHERE skewed != 0 ORDER BY lamport, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		e, err := domain.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("stored event is corrupt: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Raw returns one stored event's signed bytes.
func (s *Store) Raw(ctx context.Context, id domain.ID) ([]byte, error) {
	var raw []byte
	err := s.r.QueryRowContext(ctx, "SELECT raw FROM events WHERE id = ?", id[:]).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %s %w", id.Short(), ErrNotFound)
	}
	return raw, err
}

// Forks maps each equivocating author to the first seq they forked at.
func (s *Store) Forks(ctx context.Context) (map[common.Address]uint64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return forksTx(ctx, tx)
}

// ForkProof is a pair of signed events by one author for one seq.
type ForkProof struct{ A, B []byte }

// ForkProofs returns every recorded equivocation's two signed events.
func (s *Store) ForkProofs(ctx context.Context) ([]ForkProof, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ea.raw, eb.raw FROM forks f
		JOIN events ea ON ea.id = f.a JOIN events eb ON eb.id = f.b ORDER BY f.author, f.seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ForkProof
	for rows.Next() {
		var p ForkProof
		if err := rows.Scan(&p.A, &p.B); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Count is the number of stored events.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n)
	return n, err
}

// Orphans is the number of events waiting for their chain.
func (s *Store) Orphans(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM orphans").Scan(&n)
	return n, err
}

// MinPrefix is the shortest id prefix accepted as input.
const MinPrefix = 6

// ErrBadID is an id that cannot name any event, whatever the store holds:
// too short, too long or not hex. It is the caller's to fix (the CLI's
// wrong usage), where ErrNotFound depends on what has arrived.
var ErrBadID = errors.New("malformed id")

// badID is an ErrBadID that says what is wrong in its own words.
type badID string

func (e badID) Error() string        { return string(e) }
func (e badID) Is(target error) bool { return target == ErrBadID }

// idPrefix normalises an id or id prefix as typed (any case, with or
// without 0x) to lowercase hex, or says why it cannot name an event
// (ErrBadID).
func idPrefix(prefix string) (string, error) {
	p := strings.TrimPrefix(strings.ToLower(prefix), "0x")
	switch {
	case len(p) < MinPrefix:
		return "", badID(fmt.Sprintf("id %q: give at least %d hex characters", prefix, MinPrefix))
	case len(p) > 64:
		return "", badID(fmt.Sprintf("id %q: longer than an id", prefix))
	case strings.Trim(p, "0123456789abcdef") != "":
		return "", badID(fmt.Sprintf("id %q is not hex", prefix))
	}
	return p, nil
}

// Resolve finds the one event whose id starts with prefix, among events of
// the given kinds (any kind when none are given).
func (s *Store) Resolve(ctx context.Context, prefix string, kinds ...string) (domain.ID, error) {
	var id domain.ID
	p, err := idPrefix(prefix)
	if err != nil {
		return id, err
	}
	lo, hi := prefixRange(p)
	q := "SELECT id FROM events WHERE id BETWEEN ? AND ?"
	args := []any{lo, hi}
	if len(kinds) > 0 {
		q += " AND kind IN (?" + strings.Repeat(",?", len(kinds)-1) + ")"
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	rows, err := s.r.QueryContext(ctx, q+" LIMIT 2", args...)
	if err != nil {
		return id, err
	}
	defer rows.Close()
	var found [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return id, err
		}
		found = append(found, b)
	}
	switch len(found) {
	case 0:
		return id, fmt.Errorf("%s %w", prefix, ErrNotFound)
	case 1:
		copy(id[:], found[0])
		return id, nil
	}
	return id, fmt.Errorf("%w: %s matches more than one event; give more characters", ErrAmbiguous, prefix)
}

// prefixRange is the inclusive byte range of the ids a hex prefix covers,
// so lookups use the id index instead of scanning.
func prefixRange(p string) (lo, hi []byte) {
	lo, hi = make([]byte, 32), make([]byte, 32)
	for i := range hi {
		hi[i] = 0xff
	}
	for i := 0; i < len(p); i++ {
		v := hexVal(p[i])
		if i%2 == 0 {
			lo[i/2], hi[i/2] = v<<4, v<<4|0x0f
		} else {
			lo[i/2], hi[i/2] = lo[i/2]|v, hi[i/2]&0xf0|v
		}
	}
	return lo, hi
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}
