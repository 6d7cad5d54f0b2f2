package soak

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tminus-ir/tminus/store"
)

// spread watches which events each node's store holds, by reading the
// SQLite files directly (a read never writes), to time how long writes
// take to reach every member after a heal.
type spread struct {
	mu   sync.Mutex
	dbs  map[int]*sql.DB
	last map[int]int64
	have map[int]map[string]bool
}

func openSpread(nodes []*node) (*spread, error) {
	s := &spread{dbs: map[int]*sql.DB{}, last: map[int]int64{}, have: map[int]map[string]bool{}}
	for _, n := range nodes {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: n.home + "/tminus.db"}).EscapedPath()+"?"+q.Encode())
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		s.dbs[n.i], s.have[n.i] = db, map[string]bool{}
	}
	return s, nil
}

func (s *spread) close() {
	for _, db := range s.dbs {
		db.Close()
	}
}

// poll reads what arrived on each node since the last poll. A node whose
// store cannot be read now (its disk is "full", it is being killed) is
// read next time.
func (s *spread) poll(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, db := range s.dbs {
		rows, err := db.QueryContext(ctx, "SELECT ins, id FROM events WHERE ins > ? ORDER BY ins", s.last[i])
		if err != nil {
			continue
		}
		for rows.Next() {
			var ins int64
			var id []byte
			if rows.Scan(&ins, &id) == nil {
				s.have[i][hex.EncodeToString(id)] = true
				s.last[i] = ins
			}
		}
		rows.Close()
	}
}

// count is how many events node i holds, read now.
func (s *spread) count(ctx context.Context, i int) int64 {
	var n int64
	if err := s.dbs[i].QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
		return -1
	}
	return n
}

// heal is one fault's end: the writes acknowledged before it, and when
// every member's node held them all.
type heal struct {
	what string
	at   time.Time
	want []write
	// lacking names, while the heal is open, a node still without one of
	// its writes: logged when it closes late, to say what held it up.
	lacking string
	doneAt  time.Time
}

func (r *run) healed(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &heal{what: what, at: time.Now()}
	h.want = append(h.want, r.acked...)
	r.heals = append(r.heals, h)
	r.logf("heal: %s (%d writes to spread)", what, len(h.want))
}

// watch polls the stores every 100 ms and closes heals whose writes every
// member's node holds, until ctx ends.
func (r *run) watch(ctx context.Context, s *spread) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.poll(ctx)
		members := r.members()
		r.mu.Lock()
		for _, h := range r.heals {
			if !h.doneAt.IsZero() {
				continue
			}
			all := true
			for _, n := range members {
				for _, w := range h.want {
					if !s.has(n.i, w.event) {
						all = false
						h.lacking = fmt.Sprintf("%s lacked %s's %s %s", n.handle, r.nodes[w.node].handle, w.op, w.event[:10])
						break
					}
				}
			}
			if all {
				h.doneAt = time.Now()
				took := h.doneAt.Sub(h.at)
				why := ""
				if took > 2*time.Second {
					why = fmt.Sprintf(" (last, %s)", h.lacking)
				}
				r.logf("converged after %s: %s%s", took.Round(time.Millisecond), h.what, why)
			}
		}
		r.mu.Unlock()
	}
}

// settle waits, bounded by Config.Settle, until every member's node holds
// every acknowledged write and their state hashes agree. It returns the
// hashes last read.
func (r *run) settle(ctx context.Context, s *spread) (map[int]string, bool) {
	deadline := time.Now().Add(r.cfg.Settle)
	var hashes map[int]string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.spreadDone() {
			hashes = r.hashes(ctx)
			if agree(hashes) {
				return hashes, true
			}
		}
		time.Sleep(time.Second)
	}
	return r.hashes(ctx), false
}

func (r *run) spreadDone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.heals {
		if h.doneAt.IsZero() {
			return false
		}
	}
	return true
}

// hashes runs state-hash on every member's node.
func (r *run) hashes(ctx context.Context) map[int]string {
	out := map[int]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, n := range r.members() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			h, err := r.cli.run(ctx, n.env, n.home, "state-hash")
			if err != nil {
				h = "error: " + err.Error()
			}
			mu.Lock()
			out[n.i] = h
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func agree(hashes map[int]string) bool {
	var first string
	for _, h := range hashes {
		if strings.HasPrefix(h, "error") || (first != "" && h != first) {
			return false
		}
		first = h
	}
	return first != ""
}

// logIDs is every event id a node's `tminus log --json` lists.
func (r *run) logIDs(ctx context.Context, n *node) (map[string]bool, error) {
	out, err := r.cli.run(ctx, n.env, n.home, "log", "--json")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		var e struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.ID == "" {
			return nil, fmt.Errorf("%s: log --json line %q: %v", n.handle, first([]string{line}, 1)[0], err)
		}
		ids[e.ID] = true
	}
	return ids, nil
}

// final checks every member's node once the run settled: every
// acknowledged write listed by `log`, `verify` passing (the removed
// member's node too). It returns how many acknowledged writes some member
// lacks, and the event count of the first member.
func (r *run) final(ctx context.Context, hashes map[int]string, agreed bool) (lost, events int) {
	if !agreed {
		r.problem("state hashes differ after %s: %s", r.cfg.Settle, describeHashes(hashes))
	}
	lostIDs := map[string]bool{}
	for _, n := range r.members() {
		ids, err := r.logIDs(ctx, n)
		if err != nil {
			r.problem("%s: %v", n.handle, err)
			continue
		}
		if events == 0 {
			events = len(ids)
		}
		var missing []string
		for _, w := range r.acked {
			if !ids[w.event] {
				lostIDs[w.event] = true
				missing = append(missing, fmt.Sprintf("%s %s by n%d", w.op, w.event[:10], w.node))
			}
		}
		if len(missing) > 0 {
			r.problem("%s lacks %d acknowledged write(s) (%d events here): %s", n.handle, len(missing), len(ids), strings.Join(first(missing, 5), ", "))
		}
	}
	for _, n := range r.nodes {
		if _, err := r.cli.run(ctx, n.env, n.home, "verify"); err != nil {
			r.problem("%s: verify failed: %v", n.handle, err)
		}
	}
	return len(lostIDs), events
}

// stores opens every store once every node stopped: no forks (every member
// here is honest), no events left waiting for their chain on a member's
// node, and SQLite's own integrity check.
func (r *run) stores(ctx context.Context) {
	for _, n := range r.nodes {
		st, err := store.Open(ctx, n.home+"/tminus.db")
		if err != nil {
			r.problem("%s: open the store after the run: %v", n.handle, err)
			continue
		}
		if forks, err := st.Forks(ctx); err != nil || len(forks) > 0 {
			r.problem("%s: fork proofs against honest members: %v %v", n.handle, forks, err)
		}
		if orphans, err := st.Orphans(ctx); err != nil || (orphans > 0 && !n.removed) {
			r.problem("%s: %d events still wait for their chain %v", n.handle, orphans, err)
		}
		st.Close()
		db, err := sql.Open("sqlite", "file:"+n.home+"/tminus.db")
		if err == nil {
			var ok string
			if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
				r.problem("%s: SQLite integrity check: %q %v", n.handle, ok, err)
			}
			db.Close()
		}
	}
}

func describeHashes(hashes map[int]string) string {
	groups := map[string][]string{}
	for i, h := range hashes {
		groups[h] = append(groups[h], fmt.Sprintf("n%d", i))
	}
	var parts []string
	for h, ns := range groups {
		sort.Strings(ns)
		if len(h) > 16 {
			h = h[:16]
		}
		parts = append(parts, fmt.Sprintf("%s on %s", h, strings.Join(ns, ",")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func first(s []string, k int) []string { return s[:min(k, len(s))] }

// converge is the heals' convergence times in ms, p50 and p99 (nearest
// rank); a heal that never converged counts as the whole wait.
func converge(heals []*heal, end time.Time) (p50, p99 int64) {
	var ms []int64
	for _, h := range heals {
		done := h.doneAt
		if done.IsZero() {
			done = end
		}
		ms = append(ms, done.Sub(h.at).Milliseconds())
	}
	return percentile(ms, 50), percentile(ms, 99)
}

// percentile is the nearest-rank percentile of xs (0 for none).
func percentile(xs []int64, p int) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := (p*len(s) + 99) / 100 // ceil(p/100 × n)
	return s[max(k, 1)-1]
}

func (s *spread) has(i int, event string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.have[i][event]
}
