package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// writer writes on one node through the CLI until ctx ends: notes, tasks
// and their completion, alerts and acks, severity changes. Through the
// node's serve (node.sock) while it runs, into the store while it is down.
type writer struct {
	r   *run
	n   *node
	rng *rand.Rand
	// alerts this member acknowledged: a second ack is refused
	acked map[string]bool
}

func (r *run) writer(n *node) *writer {
	return &writer{r: r, n: n, rng: r.rng(uint64(1000 + n.i)), acked: map[string]bool{}}
}

func (w *writer) loop(ctx context.Context) {
	for k := 0; ctx.Err() == nil; k++ {
		w.once(ctx, k)
		pause := time.Duration(w.rng.Int64N(int64(2 * w.r.cfg.WriteEvery)))
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// once makes one write; whether it is acknowledged is recorded.
func (w *writer) once(ctx context.Context, k int) {
	r := w.r
	r.mu.Lock()
	tasks, alerts := len(r.tasks), len(r.alerts)
	var task, alert string
	if tasks > 0 {
		task = r.tasks[w.rng.IntN(tasks)]
	}
	if alerts > 0 {
		alert = r.alerts[w.rng.IntN(alerts)]
	}
	r.mu.Unlock()
	var op string
	var args []string
	switch p := w.rng.IntN(100); {
	case p < 40:
		op, args = "note", []string{"note", r.incident, fmt.Sprintf("%s note %d: outflow checked", w.n.handle, k)}
	case p < 55:
		op, args = "task add", []string{"task", "add", r.incident, "--title", fmt.Sprintf("%s task %d", w.n.handle, k)}
	case p < 62 && task != "":
		op, args = "task done", []string{"task", "done", task}
	case p < 75:
		op, args = "alert raise", []string{"alert", "raise", "--title", fmt.Sprintf("%s alert %d", w.n.handle, k), "--json"}
	case p < 85 && alert != "" && !w.acked[alert]:
		op, args = "alert ack", []string{"alert", "ack", alert}
	default:
		op, args = "severity", []string{"incident", "severity", r.incident, fmt.Sprintf("P%d", 1+w.rng.IntN(4))}
	}
	started := time.Now()
	out, err := r.cli.run(ctx, w.n.env, w.n.home, args...)
	if ctx.Err() != nil && err != nil {
		return // cut short by the end of the run: neither acknowledged nor refused
	}
	if err != nil {
		r.mu.Lock()
		r.failed++
		r.mu.Unlock()
		r.logf("%s: %s refused: %s", w.n.handle, op, lastLines(err.Error(), 1))
		return
	}
	event := out
	switch op {
	case "alert raise":
		var v struct{ ID, Event string }
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Event == "" {
			r.problem("%s: alert raise --json printed %q, no event id", w.n.handle, out)
			return
		}
		event = v.Event
		r.mu.Lock()
		r.alerts = append(r.alerts, v.ID)
		r.mu.Unlock()
	case "task add":
		r.mu.Lock()
		r.tasks = append(r.tasks, out)
		r.mu.Unlock()
	case "alert ack":
		w.acked[alert] = true
	case "task done":
		r.mu.Lock()
		r.tasks = slices.DeleteFunc(r.tasks, func(t string) bool { return t == task })
		r.mu.Unlock()
	}
	if len(event) != 64 || strings.Trim(event, "0123456789abcdef") != "" {
		r.problem("%s: %s printed %q, not an event id", w.n.handle, op, out)
		return
	}
	r.ack(write{node: w.n.i, op: op, event: event, started: started})
}

func (r *run) ack(w write) {
	r.mu.Lock()
	r.acked = append(r.acked, w)
	r.mu.Unlock()
}
