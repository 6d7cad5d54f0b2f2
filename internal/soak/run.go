package soak

import (
	"context"
	"slices"
	"sync"
	"time"
)

// soak runs the writers and the fault schedule for the configured
// duration, heals everything, waits for the nodes to agree and checks
// them.
func (r *run) soak(ctx context.Context) Result {
	cfg := r.cfg
	p := r.plan
	at := func(frac float64) time.Time { return r.start.Add(time.Duration(frac * float64(cfg.Duration))) }
	sleepUntil := func(t time.Time) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Until(t)):
			return true
		}
	}
	res := Result{Nodes: cfg.Nodes, Seed: cfg.Seed}

	r.logf("%s runs 10 minutes ahead", r.nodes[p.skewed].handle)
	s, err := openSpread(r.nodes)
	if err != nil {
		r.problem("open the stores to watch: %v", err)
		return r.result(res, 0, 0)
	}
	defer s.close()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go r.watch(wctx, s)

	// Writers, one per node; the removed member's stops before its removal.
	runCtx, stopWriters := context.WithCancel(ctx)
	var writers sync.WaitGroup
	stopOne := make([]context.CancelFunc, len(r.nodes))
	for _, n := range r.nodes {
		wc, cancel := context.WithCancel(runCtx)
		stopOne[n.i] = cancel
		writers.Add(1)
		go func() { defer writers.Done(); r.writer(n).loop(wc) }()
	}
	// Faults run on ctx, not the writers' context: one still under way
	// when the writers stop (an approval waiting for a redial) finishes,
	// each bounded by its own deadline.
	var faults sync.WaitGroup
	spawn := func(f func()) { faults.Add(1); go func() { defer faults.Done(); f() }() }

	// Garbage: junk bytes and junk sessions, spread over the run.
	m, err := r.startMallory()
	if err != nil {
		r.problem("mallory: %v", err)
	} else {
		defer m.srv.Stop()
		spawn(func() {
			rng := r.rng(3)
			for k := 0; ; k++ {
				if !sleepUntil(time.Now().Add(cfg.Duration/10)) || time.Now().After(at(0.9)) {
					return
				}
				i := rng.IntN(cfg.Nodes)
				if k%2 == 0 {
					r.sendJunk(rng, i)
				} else {
					r.mallorySession(m, i)
				}
			}
		})
	}

	steps := []struct {
		at float64
		do func()
	}{
		{0.08, func() { r.partition(p.part2) }},
		{0.18, func() {
			spawn(func() {
				r.rosterChange(ctx, p.rosterBy, -1, []string{"member", "add", r.newbie.addr, "--handle", r.newbie.handle, "--role", "reporter"}, "add newbie")
			})
		}},
		{0.28, func() { r.checkCut(ctx, s, p.part2); r.partition(nil); r.healed("end of the two-way partition") }},
		{0.32, func() { spawn(func() { r.killDuringWrite(ctx, p.killWrite, p.killDelay) }) }},
		{0.40, func() { r.partition(p.part3); spawn(func() { r.bulk(ctx, p.bulkAt) }) }},
		{0.60, func() {
			// The kill is aimed at the bulk chain crossing the healed
			// partition: on a loaded machine the import that brings it
			// can outlast the partition, and the kill then lands on
			// whatever else arrives. Wait for it, bounded.
			select {
			case <-r.bulkDone:
			case <-time.After(bulkWait):
				r.logf("bulk: import still running after %v; healing without it", bulkWait)
			case <-ctx.Done():
			}
			before := s.count(ctx, p.killImport)
			r.checkCut(ctx, s, p.part3)
			r.partition(nil)
			r.healed("end of the three-way partition")
			spawn(func() { r.killDuringImport(ctx, s, p.killImport, p.bulkAt, before) })
		}},
		{0.62, func() { stopOne[p.removed]() }},
		{0.66, func() {
			spawn(func() { r.remove(ctx, s, p) })
		}},
		{0.72, func() { spawn(func() { r.diskFull(ctx, p.diskFull, time.Duration(0.14*float64(cfg.Duration))) }) }},
	}
	for _, st := range steps {
		if !sleepUntil(at(st.at)) {
			break
		}
		st.do()
	}
	sleepUntil(at(1))
	stopWriters()
	writers.Wait()
	faults.Wait()
	r.partition(nil)
	for _, n := range r.nodes {
		if n.pid() == 0 {
			r.problem("%s: serve not running at the end: %s", n.handle, lastLines(n.log.String(), 5))
			if err := n.start(r.cli); err != nil {
				r.problem("%s: %v", n.handle, err)
			}
		}
	}
	res.Seconds = time.Since(r.start).Seconds()
	r.healed("end of the run")
	r.mu.Lock()
	end := r.heals[len(r.heals)-1]
	r.mu.Unlock()
	hashes, agreed := r.settle(ctx, s)
	r.mu.Lock()
	if agreed && end.doneAt.Before(time.Now()) {
		end.doneAt = time.Now() // the end of the run converges when the hashes agree
	}
	r.mu.Unlock()
	stopWatch()
	for _, n := range r.nodes {
		n.sampleRSS()
	}
	lost, events := r.final(ctx, hashes, agreed)
	for _, n := range r.nodes {
		n.stop()
	}
	r.stores(ctx)
	return r.result(res, lost, events)
}

// remove takes the removed member out of the roster once every write its
// node acknowledged is held by the proposer's node (a removed member's
// node is refused by the others, so what only it holds would stay there).
func (r *run) remove(ctx context.Context, s *spread, p plan) {
	victim := r.nodes[p.removed]
	r.mu.Lock()
	var want []string
	for _, w := range r.acked {
		if w.node == victim.i {
			want = append(want, w.event)
		}
	}
	r.mu.Unlock()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		s.poll(ctx) // racing watch is harmless: both only add
		have := true
		for _, e := range want {
			if !s.has(p.removedBy, e) {
				have = false
			}
		}
		if have {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.problem("%s's writes did not reach %s within a minute; removing it anyway", victim.handle, r.nodes[p.removedBy].handle)
			break
		}
	}
	if r.rosterChange(ctx, p.removedBy, victim.i, []string{"member", "remove", victim.handle}, "remove "+victim.handle) {
		victim.mu.Lock()
		victim.removed = true
		victim.mu.Unlock()
	}
}

// checkCut proves a partition held: no write acknowledged in one group
// since it began reached another group. A leak would mean nodes found each
// other's real addresses around the links.
func (r *run) checkCut(ctx context.Context, s *spread, gs [][]int) {
	s.poll(ctx)
	group := map[int]int{}
	for g, ns := range gs {
		for _, i := range ns {
			group[i] = g
		}
	}
	r.mu.Lock()
	since := r.cutAt
	var during []write
	for _, w := range r.acked {
		if w.started.After(since) {
			during = append(during, w)
		}
	}
	r.mu.Unlock()
	for _, w := range during {
		for _, n := range r.nodes {
			if group[n.i] != group[w.node] && s.has(n.i, w.event) {
				r.problem("partition leaked: %s holds %s by n%d of another group", n.handle, w.event[:10], w.node)
			}
		}
	}
	r.logf("partition held: %d writes stayed in their group", len(during))
}

func (r *run) result(res Result, lost, events int) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Events, res.WritesAcked, res.WritesLost = events, len(r.acked), lost
	res.WritesFailed, res.Partitions, res.Kills, res.Garbage = r.failed, r.parts, r.kills, r.garbage
	res.KillsMidImport = r.midImport
	res.ConvergeP50, res.ConvergeP99 = converge(r.heals, time.Now())
	var hwm int64
	for _, n := range r.nodes {
		hwm = max(hwm, n.hwmKiB)
	}
	res.MaxRSSMiB = float64(hwm*10/1024) / 10
	res.Problems = slices.Clone(r.problems)
	return res
}
