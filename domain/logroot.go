package domain

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ChainHead is one author's newest event: what a log root commits to for
// that author. Every earlier event of the author is reachable from it by
// prev, so the head fixes the whole chain.
type ChainHead struct {
	Author common.Address `json:"author"`
	Seq    uint64         `json:"seq"`
	ID     ID             `json:"id"`
}

func headLess(a, b ChainHead) bool { return bytes.Compare(a.Author[:], b.Author[:]) < 0 }

// SortHeads orders heads as LogRoot and AnchorRecord want them: by author.
func SortHeads(heads []ChainHead) {
	sort.Slice(heads, func(i, j int) bool { return headLess(heads[i], heads[j]) })
}

// logRootTag separates a log root from any other keccak256 of 64 bytes.
var logRootTag = []byte("tminus-logroot-v1")

// LogRoot is what `tminus anchor` puts on a chain (docs/design.md, "On
// chain"): keccak256("tminus-logroot-v1" || headsRoot || stateHash), where
// headsRoot is the Merkle root of the heads sorted by author, each leaf
// keccak256(author (20 bytes) || seq (8 bytes, big-endian) || id (32
// bytes)), each inner node keccak256(left || right), an odd node carried up
// unchanged; and stateHash is the 32 bytes of State.Hash.
func LogRoot(heads []ChainHead, stateHash string) (common.Hash, error) {
	sh, err := hex.DecodeString(stateHash)
	if err != nil || len(sh) != 32 {
		return common.Hash{}, fmt.Errorf("state hash %q: want 64 hex characters", stateHash)
	}
	sorted := append([]ChainHead(nil), heads...)
	SortHeads(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Author == sorted[i-1].Author {
			return common.Hash{}, fmt.Errorf("two heads for %s", sorted[i].Author.Hex())
		}
	}
	root := HeadsRoot(sorted)
	return crypto.Keccak256Hash(logRootTag, root[:], sh), nil
}

// HeadsRoot is the Merkle root of heads in the order given (LogRoot sorts
// them first); the zero hash for none. A leaf hashes 60 bytes and a node
// 64, so no leaf can pass for a node.
func HeadsRoot(heads []ChainHead) common.Hash {
	if len(heads) == 0 {
		return common.Hash{}
	}
	level := make([]common.Hash, len(heads))
	var leaf [20 + 8 + 32]byte
	for i, h := range heads {
		copy(leaf[:20], h.Author[:])
		binary.BigEndian.PutUint64(leaf[20:28], h.Seq)
		copy(leaf[28:], h.ID[:])
		level[i] = crypto.Keccak256Hash(leaf[:])
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			next = append(next, crypto.Keccak256Hash(level[i][:], level[i+1][:]))
		}
		level = next
	}
	return level[0]
}

// AnchorCheck is what CheckAnchor found.
type AnchorCheck struct {
	// Covered counts the file's events the anchor covers: every event of
	// each anchored author up to its head.
	Covered int
	// Redacted counts covered events without their body; with any, the
	// state hash cannot be recomputed and the record's is used, itself
	// bound by the root.
	Redacted int
	// StateHash is the recomputed state hash, "" when Redacted > 0.
	StateHash string
}

// CheckAnchor checks that events (a file's, in fold order, already
// audited: signatures and unbroken chains) reproduce an anchor record: each
// recorded head is in them with its id, nothing of an anchored author
// before its head is missing, and, when no covered event is redacted, the
// fold of the covered events has the recorded state hash. Together with
// the record's own check (root = LogRoot(heads, state hash)) and the root
// read from the chain, that binds the file to what was anchored: a
// truncated file lacks a head, an edited one has another id for it.
func CheckAnchor(events []*Event, rec *AnchorRecord) (AnchorCheck, error) {
	var out AnchorCheck
	if err := rec.Validate(); err != nil {
		return out, fmt.Errorf("anchor record: %w", err)
	}
	heads := make(map[common.Address]ChainHead, len(rec.Heads))
	for _, h := range rec.Heads {
		heads[h.Author] = h
	}
	// A fork's twin at a head's seq is no edit when the anchored head is in
	// the file too: the store held both when it anchored, and the fold
	// below votes the author out from there, as the store's did.
	inFile := make(map[ID]bool, len(events))
	for _, e := range events {
		inFile[e.ID] = true
	}
	seqs := map[common.Address]map[uint64]bool{}
	at := map[chainAt]ID{}
	forks := map[common.Address]uint64{}
	var covered []*Event
	for _, e := range events {
		h, ok := heads[e.Author]
		if !ok || e.Seq > h.Seq {
			continue
		}
		if e.Seq == h.Seq && e.ID != h.ID && !inFile[h.ID] {
			return out, fmt.Errorf("%s seq %d is event %s in the file, the anchor has %s (an edited or forked chain)",
				e.Author.Hex(), e.Seq, e.ID.Short(), h.ID.Short())
		}
		k := chainAt{e.Author, e.Seq}
		if other, ok := at[k]; ok && other != e.ID {
			if f, ok := forks[e.Author]; !ok || e.Seq < f {
				forks[e.Author] = e.Seq
			}
		}
		at[k] = e.ID
		if seqs[e.Author] == nil {
			seqs[e.Author] = map[uint64]bool{}
		}
		seqs[e.Author][e.Seq] = true
		covered = append(covered, e)
		if e.Redacted {
			out.Redacted++
		}
	}
	for _, h := range rec.Heads {
		if !seqs[h.Author][h.Seq] { // the head itself, its id checked above
			return out, fmt.Errorf("%s's anchored head (seq %d, event %s) is not in the file (a truncated export?)",
				h.Author.Hex(), h.Seq, h.ID.Short())
		}
		if n := uint64(len(seqs[h.Author])); n != h.Seq {
			return out, fmt.Errorf("%s has %d of its %d anchored events in the file (events removed?)", h.Author.Hex(), n, h.Seq)
		}
	}
	out.Covered = len(covered)
	if out.Redacted > 0 {
		return out, nil
	}
	sh, err := Fold(covered, forks).Hash()
	if err != nil {
		return out, err
	}
	out.StateHash = sh
	if sh != rec.StateHash {
		return out, fmt.Errorf("the file's events fold to state hash %s, the anchor has %s", sh[:16], rec.StateHash[:16])
	}
	return out, nil
}

type chainAt struct {
	author common.Address
	seq    uint64
}
