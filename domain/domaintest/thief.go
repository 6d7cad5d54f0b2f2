package domaintest

import (
	"maps"
	"math/rand"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/domain"
)

// Head is the seq of a's newest event the node holds, 0 when it holds
// none: what a revocation written on this node cuts a's key at.
func (n *Node) Head(a common.Address) uint64 {
	if e, ok := n.heads[a]; ok {
		return e.Seq
	}
	return 0
}

// Clone copies the node, key and replica: a thief's copy of a device.
// From here the two write apart; if both write, the key equivocates.
func (n *Node) Clone() *Node {
	c := *n
	c.known = maps.Clone(n.known)
	c.events = slices.Clone(n.events)
	c.heads = maps.Clone(n.heads)
	c.refs = maps.Clone(n.refs)
	return &c
}

// WriteBackdated signs b as the node's next event naming no deps, as the
// holder of a key who hides what it heard may: its lamport is 1 + its
// prev's, so it sorts before what the others wrote since, and a store
// accepts it (lamport is 1 + the highest of prev and deps).
func (n *Node) WriteBackdated(b domain.Body, t int64) (*domain.Event, error) {
	data, err := domain.EncodeBody(b)
	if err != nil {
		return nil, err
	}
	h := domain.Header{WS: n.WS, Seq: n.seq + 1, Prev: n.prev, Lamport: n.lamport + 1, Time: uint64(t), Kind: b.Kind()}
	e, err := domain.Seal(h, data, n.Signer)
	if err != nil {
		return nil, err
	}
	n.commit(e, nil)
	return e, nil
}

// Forks maps each author with two events at one seq to the lowest such
// seq: the forks a store records for events.
func Forks(events []*domain.Event) map[common.Address]uint64 {
	type slot struct {
		a   common.Address
		seq uint64
	}
	seen := map[slot]domain.ID{}
	out := map[common.Address]uint64{}
	for _, e := range events {
		k := slot{e.Author, e.Seq}
		if id, ok := seen[k]; ok && id != e.ID {
			if have, ok := out[e.Author]; !ok || e.Seq < have {
				out[e.Author] = e.Seq
			}
		}
		seen[k] = e.ID
	}
	return out
}

// CausalOrder is events in a random order in which every event comes
// after its prev and deps that are among them: one way a replica may
// receive them, each author's chain interleaved with the others' at
// random. Prevs and deps outside events are taken as already held.
func CausalOrder(rng *rand.Rand, events []*domain.Event) []*domain.Event {
	in := make(map[domain.ID]bool, len(events))
	for _, e := range events {
		in[e.ID] = true
	}
	waiting := map[domain.ID]int{}          // missing causes per event
	next := map[domain.ID][]*domain.Event{} // events waiting on an id
	var ready []*domain.Event
	for _, e := range events {
		for _, c := range append([]domain.ID{e.Prev}, e.Deps...) {
			if in[c] {
				waiting[e.ID]++
				next[c] = append(next[c], e)
			}
		}
		if waiting[e.ID] == 0 {
			ready = append(ready, e)
		}
	}
	out := make([]*domain.Event, 0, len(events))
	for len(ready) > 0 {
		i := rng.Intn(len(ready))
		e := ready[i]
		ready[i] = ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		out = append(out, e)
		for _, w := range next[e.ID] {
			if waiting[w.ID]--; waiting[w.ID] == 0 {
				ready = append(ready, w)
			}
		}
	}
	return out
}
