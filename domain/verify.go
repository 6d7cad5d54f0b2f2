package domain

import (
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// Problem is one thing wrong with a line of an event file.
type Problem struct {
	Line int    `json:"line"` // 1-based; 0 for the file as a whole
	Msg  string `json:"msg"`
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.Msg
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
}

// Audit checks a sequence of events offline, as a file of lines presents
// them: every signature, fold order, one workspace, unbroken chains from
// seq 1, and lamports that follow their prev and deps. It needs nothing
// but the events; redacted ones verify like any other.
type Audit struct {
	WS       ID
	Events   int
	Redacted int
	Signers  map[common.Address]int
	Problems []Problem

	seen    map[ID]int // id -> line
	lamport map[ID]uint64
	chains  map[common.Address]map[uint64]auditEntry
	last    Key
	lastSet bool
	pending []auditEntry // lamport checks waiting for every line
	refused int          // lines that failed to parse or verify
}

type auditEntry struct {
	line int
	ev   *Event
}

func NewAudit() *Audit {
	return &Audit{Signers: map[common.Address]int{}, seen: map[ID]int{}, lamport: map[ID]uint64{},
		chains: map[common.Address]map[uint64]auditEntry{}}
}

func (a *Audit) problem(line int, format string, args ...any) {
	a.Problems = append(a.Problems, Problem{line, fmt.Sprintf(format, args...)})
}

// Line checks one line's bytes; line numbers count from 1.
func (a *Audit) Line(n int, data []byte) {
	e, err := ParseLine(data)
	if err != nil {
		a.refused++
		a.problem(n, "%v", err)
		return
	}
	a.Event(n, e)
}

// Event checks one decoded event found at line n.
func (a *Audit) Event(n int, e *Event) {
	if err := e.Verify(); err != nil {
		a.refused++
		a.problem(n, "%v", err)
		return
	}
	if m, ok := a.seen[e.ID]; ok {
		a.problem(n, "duplicates line %d (event %s)", m, e.ID.Short())
		return
	}
	a.seen[e.ID] = n
	a.lamport[e.ID] = e.Lamport
	a.Events++
	if e.Redacted {
		a.Redacted++
	}
	a.Signers[e.Author]++
	if a.lastSet && !a.last.Less(e.Key()) {
		a.problem(n, "out of order: event %s sorts before the line above it (lines must be in (lamport, id) order)", e.ID.Short())
	}
	a.last, a.lastSet = e.Key(), true
	ws := e.WS
	if e.Kind == KindGenesis {
		ws = e.ID
	}
	switch {
	case a.WS.IsZero():
		a.WS = ws
	case ws != a.WS:
		a.problem(n, "event %s belongs to workspace %s, the file to %s", e.ID.Short(), ws.Short(), a.WS.Short())
	}
	c := a.chains[e.Author]
	if c == nil {
		c = map[uint64]auditEntry{}
		a.chains[e.Author] = c
	}
	if prev, ok := c[e.Seq]; ok {
		a.problem(n, "equivocation: %s signed seq %d twice (also line %d)", e.Author.Hex(), e.Seq, prev.line)
		return
	}
	c[e.Seq] = auditEntry{n, e}
	a.pending = append(a.pending, auditEntry{n, e})
}

// Finish checks what needs every line: chains and lamports. It returns the
// problems found, in line order.
func (a *Audit) Finish() []Problem {
	for author, c := range a.chains {
		seqs := make([]uint64, 0, len(c))
		for s := range c {
			seqs = append(seqs, s)
		}
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		want := uint64(1)
		for _, s := range seqs {
			for ; want < s; want++ {
				why := "a removed line?"
				if a.refused > 0 {
					why = "a removed line, or one refused above?"
				}
				a.problem(0, "%s: seq %d is missing (%s)", author.Hex(), want, why)
			}
			want = s + 1
			e := c[s]
			if s > 1 {
				if p, ok := c[s-1]; ok && p.ev.ID != e.ev.Prev {
					a.problem(e.line, "seq %d: prev does not match seq %d (broken chain)", s, s-1)
				}
			}
		}
	}
	for _, p := range a.pending {
		max := uint64(0)
		ok := true
		refs := append([]ID{}, p.ev.Deps...)
		if p.ev.Seq > 1 {
			refs = append(refs, p.ev.Prev)
		}
		for _, r := range refs {
			l, found := a.lamport[r]
			if !found {
				if a.refused > 0 {
					a.problem(p.line, "refers to %s, which is not in the file (or is a line refused above)", r.Short())
				} else {
					a.problem(p.line, "refers to %s, which is not in the file", r.Short())
				}
				ok = false
				continue
			}
			if l > max {
				max = l
			}
		}
		if ok && p.ev.Lamport != max+1 {
			a.problem(p.line, "lamport %d, want %d (1 + the highest of its prev and deps)", p.ev.Lamport, max+1)
		}
	}
	// A line's own problem comes first: a gap in a chain (line 0) is most
	// often what a bad line leaves behind.
	sort.SliceStable(a.Problems, func(i, j int) bool {
		li, lj := a.Problems[i].Line, a.Problems[j].Line
		if (li == 0) != (lj == 0) {
			return lj == 0
		}
		return li < lj
	})
	return a.Problems
}
