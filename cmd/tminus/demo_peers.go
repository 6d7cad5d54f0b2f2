package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// demoStep is one thing a simulated teammate does, given the state as they see it. It
// returns nil when it no longer applies (the task is already done), and is skipped.
type demoStep struct {
	who string
	do  func(s *domain.State, p1 *domain.Incident) domain.Body
}

// The first steps play once, in order; then the teammates keep talking, forever.
var demoOnce = []demoStep{
	{"carol", observe(fpBridge, titleBridge, "chain", "P1", domain.AlertFiring)}, // 3/3 now
	{"bob", note("Pause tx simulated on a mainnet fork: succeeds, 48k gas")},
	{"carol", observe(fpRelayer, titleRelayer, "chain", "P2", domain.AlertFiring)},
	{"dave", note("Relayer host logs pulled: 2 SSH logins from an unknown ASN at 02:58")},
	{"bob", taskDone("Snapshot vault balances at block 19,442,001")},
	{"carol", func(s *domain.State, _ *domain.Incident) domain.Body {
		for _, inc := range s.Incidents {
			if inc.Title == "Docs site 502 on /bridge" && inc.Severity == "P3" {
				return &domain.IncidentSeverity{Incident: inc.ID, Severity: "P2"}
			}
		}
		return nil
	}},
	{"carol", taskDone("Post kickoff to #incident and the forum")},
	{"carol", note("Kickoff posted on #incident and the governance forum")},
	{"bob", observe(fpEscrow, "Large withdrawal queued on the L1 escrow", "chain", "P2", domain.AlertFiring)},
	{"dave", note("Checkpoint: 3 outflow txs, last at block 19,442,118; no new ones since")},
	{"carol", observe(fpDisk, "Disk 85% on archive-2", "am", "P4", domain.AlertResolved)},
}

var demoLoop = []demoStep{
	{"bob", observe(fpBridge, titleBridge, "chain", "P1", domain.AlertFiring)},
	{"dave", note("Recorder: timeline reviewed, evidence hashes match the archive node")},
	{"carol", note("Two exchanges acknowledged the deposit freeze request")},
	{"bob", note("Second pauser key holder online; ready to sign once approved")},
	{"carol", observe(fpDisk, "Disk 85% on archive-2", "am", "P4", domain.AlertFiring)},
	{"dave", note("Attacker address funded 3 h ago through a mixer (per chain analysis)")},
	{"carol", observe(fpDisk, "Disk 85% on archive-2", "am", "P4", domain.AlertResolved)},
	{"bob", note("No outflow in the last 10 blocks")},
}

func note(text string) func(*domain.State, *domain.Incident) domain.Body {
	return func(_ *domain.State, p1 *domain.Incident) domain.Body {
		if p1 == nil {
			return nil
		}
		return &domain.Note{Incident: p1.ID, Text: text}
	}
}

func observe(fp, title, src, sev, status string) func(*domain.State, *domain.Incident) domain.Body {
	return func(*domain.State, *domain.Incident) domain.Body {
		return &domain.AlertObserve{Fingerprint: fp, Title: title, Source: src, Severity: sev, Status: status}
	}
}

func taskDone(title string) func(*domain.State, *domain.Incident) domain.Body {
	return func(s *domain.State, p1 *domain.Incident) domain.Body {
		for _, t := range s.Tasks {
			if t.Title == title && !t.Done {
				return &domain.TaskDone{Task: t.ID}
			}
		}
		return nil
	}
}

// demoPeers are the simulated teammates as rows of the peer table. Each is a member
// whose replica lives in this process and signs straight into the store, so while
// simulate runs they are connected and never behind: the header reads "peers 3/3 ·
// synced" because that is true. Their enode URLs carry their device keys and no
// address: there is nothing to dial.
func (d *demo) demoPeers(connected bool) []store.Peer {
	var out []store.Peer
	for _, m := range demoMembers {
		if m.handle == "alice" {
			continue // the home's own key
		}
		k := d.signers[m.handle].Key
		out = append(out, store.Peer{Enode: enode.NewV4(&k.PublicKey, nil, 0, 0).URLv4(), Connected: connected})
	}
	return out
}

// demoRetries is how many beats in a row the teammates' writes may fail before they
// stop: a store busy with another writer for one busy timeout (10 s) is a hiccup, a
// minute of failures is a broken store.
const demoRetries = 5

var errDemoWrites = errors.New("the simulated teammates stopped")

// appendAs signs body as who into the store (d.write, when a test sets it).
func (d *demo) appendAs(ctx context.Context, who string, b domain.Body) error {
	if d.write != nil {
		return d.write(ctx, who, b)
	}
	_, err := d.st.Append(ctx, d.signers[who], b)
	return err
}

// simulate makes bob, carol and dave sign into the store every few seconds until ctx
// ends, each from their own key, as their replicas would after a sync. It reads through
// its own View: the cockpit's state belongs to the cockpit's goroutine. Like a running
// node, it heartbeats their peer rows (store.PeerHeartbeat) and marks them
// disconnected when it stops. A beat whose read or write fails (the store was busy
// with another writer past its busy timeout) is tried again at the next one; it used to
// end the teammates for the rest of the demo.
func (d *demo) simulate(ctx context.Context, every time.Duration) (err error) {
	defer func() {
		if ctx.Err() != nil {
			err = nil // --for ran out, or ctrl-c: whatever it cut short is the end, not a failure
		}
	}()
	v, err := d.st.NewView(ctx)
	if err != nil {
		return err
	}
	if err := d.st.SeePeers(ctx, d.demoPeers(true)); err != nil {
		return err
	}
	defer func() {
		// ctx is over; the store is still open until simulate returns.
		lctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d.st.SeePeers(lctx, d.demoPeers(false))
	}()
	beat := time.NewTicker(store.PeerHeartbeat)
	defer beat.Stop()
	steps := append([]demoStep(nil), demoOnce...)
	failures := 0
	failed := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		if failures++; failures >= demoRetries {
			return fmt.Errorf("%w: %d writes in a row failed, the last: %w", errDemoWrites, failures, err)
		}
		return nil
	}
	for i := 0; ; i++ {
		// Jitter: a steady beat would look like what it is.
		next := time.After(every/2 + rand.N(every))
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-beat.C:
				// A missed heartbeat only lets the header count them offline for a beat.
				d.st.SeePeers(ctx, d.demoPeers(true))
			case <-next:
				break wait
			}
		}
		if _, err := v.Refresh(ctx); err != nil {
			if err := failed(err); err != nil {
				return err
			}
			continue
		}
		s := v.State()
		var p1 *domain.Incident
		for _, inc := range s.SortedIncidents() {
			if inc.Title == "Vault drain on the L2 bridge" {
				p1 = inc
			}
		}
		var step demoStep
		once := len(steps) > 0
		if once {
			step = steps[0]
		} else {
			step = demoLoop[i%len(demoLoop)]
		}
		if b := step.do(s, p1); b != nil {
			if err := d.appendAs(ctx, step.who, b); err != nil {
				if err := failed(err); err != nil {
					return err
				}
				continue // the scripted step is tried again
			}
		}
		failures = 0
		if once {
			steps = steps[1:]
		}
	}
}
