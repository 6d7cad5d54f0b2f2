package domain_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

// onChainSubjectCases are TestSubject's cases for the on-chain kinds.
func onChainSubjectCases(t *testing.T, inc domain.ID) []struct {
	body domain.Body
	own  bool
	want domain.ID
} {
	t.Helper()
	prop := domain.ID{4}
	tx := safeTx(t, 1337, 0, safe.Call)
	heads := []domain.ChainHead{{Author: common.HexToAddress("0x01"), Seq: 1, ID: domain.ID{1}}}
	sh := strings.Repeat("cd", 32)
	root, err := domain.LogRoot(heads, sh)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		body domain.Body
		own  bool
		want domain.ID
	}{
		{proposeBody(inc, tx), false, inc},
		{&domain.SafeSign{Proposal: prop, Owner: ownerAddr(0), Signature: ownerSig(t, 0, tx.Hash())}, false, prop},
		{execBody(&domain.Event{ID: prop}, domain.SafeExecutionSuccess), false, prop},
		{&domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Root: root, StateHash: sh, Heads: heads}, false, domain.ID{}},
	}
}

// LogRoot as docs/design.md defines it, computed by hand for three heads.
func TestLogRootDefinition(t *testing.T) {
	a, b, c := common.HexToAddress("0x0a"), common.HexToAddress("0x0b"), common.HexToAddress("0x0c")
	heads := []domain.ChainHead{{Author: c, Seq: 3, ID: domain.ID{3}}, {Author: a, Seq: 1, ID: domain.ID{1}}, {Author: b, Seq: 2, ID: domain.ID{2}}}
	leaf := func(h domain.ChainHead) []byte {
		seq := make([]byte, 8)
		seq[7] = byte(h.Seq)
		return crypto.Keccak256(h.Author[:], seq, h.ID[:])
	}
	la, lb, lc := leaf(heads[1]), leaf(heads[2]), leaf(heads[0])
	want := crypto.Keccak256(crypto.Keccak256(la, lb), lc)
	sh := strings.Repeat("0f", 32)
	shBytes := common.FromHex(sh)
	wantRoot := crypto.Keccak256Hash([]byte("tminus-logroot-v1"), want, shBytes)
	got, err := domain.LogRoot(heads, sh)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantRoot {
		t.Fatalf("LogRoot = %s, want %s", got.Hex(), wantRoot.Hex())
	}
	if domain.HeadsRoot(nil) != (common.Hash{}) {
		t.Error("the root of no heads should be zero")
	}
	one := domain.HeadsRoot(heads[1:2])
	if one != common.BytesToHash(la) {
		t.Error("the root of one head should be its leaf")
	}
	// Any change to a head or to the state hash moves the root.
	for i, mut := range []func([]domain.ChainHead) string{
		func(h []domain.ChainHead) string { h[0].Seq++; return sh },
		func(h []domain.ChainHead) string { h[1].ID[5] ^= 1; return sh },
		func(h []domain.ChainHead) string { h[2].Author[0] ^= 0x80; return sh },
		func(h []domain.ChainHead) string { return strings.Repeat("0e", 32) },
	} {
		hs := append([]domain.ChainHead(nil), heads...)
		s := mut(hs)
		if r, err := domain.LogRoot(hs, s); err != nil || r == got {
			t.Errorf("change %d: root %s, %v: did not move", i, r.Hex(), err)
		}
	}
	dup := []domain.ChainHead{heads[0], heads[0]}
	if _, err := domain.LogRoot(dup, sh); err == nil {
		t.Error("two heads for one author should be refused")
	}
}

// anchored builds a workspace, records its anchor, and returns the events
// and the record.
func anchored(t *testing.T) ([]*domain.Event, *domain.AnchorRecord) {
	t.Helper()
	tm, inc := safeTeam(t)
	do(t, tm, 1, &domain.Note{Incident: inc.ID, Text: "looking"})
	do(t, tm, 0, &domain.Note{Incident: inc.ID, Text: "pausing"})
	st := fold(tm.Events)
	last := map[common.Address]*domain.Event{}
	for _, e := range tm.Events {
		last[e.Author] = e
	}
	var heads []domain.ChainHead
	for a, e := range last {
		heads = append(heads, domain.ChainHead{Author: a, Seq: e.Seq, ID: e.ID})
	}
	domain.SortHeads(heads)
	sh := stateHash(t, st)
	root, err := domain.LogRoot(heads, sh)
	if err != nil {
		t.Fatal(err)
	}
	rec := &domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Block: 9, Root: root, StateHash: sh, Heads: heads}
	do(t, tm, 0, rec)
	do(t, tm, 1, &domain.Note{Incident: inc.ID, Text: "after the anchor"})
	st = fold(tm.Events)
	if st.Anchor == nil || st.Anchor.Root != root || st.Anchor.By != "alice" {
		t.Fatalf("anchor in state: %+v", st.Anchor)
	}
	return tm.Events, rec
}

func TestCheckAnchor(t *testing.T) {
	events, rec := anchored(t)
	got, err := domain.CheckAnchor(events, rec)
	if err != nil {
		t.Fatal(err)
	}
	if got.StateHash != rec.StateHash || got.Redacted != 0 || got.Covered != len(events)-2 {
		t.Fatalf("check: %+v (of %d events)", got, len(events))
	}
	// Redacted events keep their ids: the heads still check, the state hash is not recomputed.
	red := append([]*domain.Event(nil), events...)
	r, _ := red[3].Redact()
	red[3] = r
	if got, err := domain.CheckAnchor(red, rec); err != nil || got.Redacted != 1 || got.StateHash != "" {
		t.Fatalf("redacted: %+v, %v", got, err)
	}
	// A head's event missing: truncated.
	headOf := func(a common.Address) int {
		for i, e := range events {
			for _, h := range rec.Heads {
				if e.ID == h.ID && e.Author == a {
					return i
				}
			}
		}
		t.Fatal("head not found")
		return 0
	}
	cut := headOf(rec.Heads[0].Author)
	trunc := append(append([]*domain.Event(nil), events[:cut]...), events[cut+1:]...)
	if _, err := domain.CheckAnchor(trunc, rec); err == nil || !strings.Contains(err.Error(), "not in the file") {
		t.Fatalf("truncated: %v", err)
	}
	// An earlier event missing.
	gap := append(append([]*domain.Event(nil), events[:1]...), events[2:]...)
	if _, err := domain.CheckAnchor(gap, rec); err == nil {
		t.Fatal("a file missing an early event passed")
	}
	// Another head id for the same seq: an edited (re-signed) chain.
	edited := *rec
	edited.Heads = append([]domain.ChainHead(nil), rec.Heads...)
	edited.Heads[0].ID[0] ^= 1
	edited.Root, _ = domain.LogRoot(edited.Heads, edited.StateHash)
	if _, err := domain.CheckAnchor(events, &edited); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Fatalf("edited: %v", err)
	}
	// A state hash the events do not fold to.
	lie := *rec
	lie.StateHash = strings.Repeat("00", 32)
	lie.Root, _ = domain.LogRoot(lie.Heads, lie.StateHash)
	if _, err := domain.CheckAnchor(events, &lie); err == nil || !strings.Contains(err.Error(), "fold to state hash") {
		t.Fatalf("state hash lie: %v", err)
	}
}

// A fork in a file: a twin at an anchored head's seq is no edit when the
// anchored head is in the file too, and the state hash is judged with the
// fork (the store that anchored held both). A twin signed after the anchor
// changes that fold, so it cannot pass for what was anchored.
func TestCheckAnchorWithAFork(t *testing.T) {
	tm, inc := safeTeam(t)
	head := do(t, tm, 1, &domain.Note{Incident: inc.ID, Text: "looking"})
	twin, err := tm.Nodes[1].Equivocate(head, &domain.Note{Incident: inc.ID, Text: "the copy's story"})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]*domain.Event(nil), tm.Events...), twin)
	forks := map[common.Address]uint64{head.Author: head.Seq}
	record := func(events []*domain.Event, forks map[common.Address]uint64) *domain.AnchorRecord {
		last := map[common.Address]*domain.Event{}
		for _, e := range events {
			if l, ok := last[e.Author]; !ok || e.Seq > l.Seq {
				last[e.Author] = e
			}
		}
		var heads []domain.ChainHead
		for a, e := range last {
			heads = append(heads, domain.ChainHead{Author: a, Seq: e.Seq, ID: e.ID})
		}
		domain.SortHeads(heads)
		sh := stateHash(t, domain.Fold(events, forks))
		root, err := domain.LogRoot(heads, sh)
		if err != nil {
			t.Fatal(err)
		}
		return &domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Block: 9, Root: root, StateHash: sh, Heads: heads}
	}
	// Anchored with both twins held: the file with both checks out,
	// whichever twin comes first.
	rec := record(all, forks)
	for _, file := range [][]*domain.Event{all, append(append([]*domain.Event(nil), tm.Events[:len(tm.Events)-1]...), twin, head)} {
		if _, err := domain.CheckAnchor(file, rec); err != nil {
			t.Errorf("a file holding the anchored fork: %v", err)
		}
	}
	// The twin alone, without the anchored head: edited.
	alone := append(append([]*domain.Event(nil), tm.Events[:len(tm.Events)-1]...), twin)
	if _, err := domain.CheckAnchor(alone, rec); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Errorf("the twin without the anchored head: %v", err)
	}
	// Anchored before the twin existed: the twin voids the author's events
	// from its seq, so the file no longer folds to the anchored state.
	before := record(tm.Events, nil)
	if _, err := domain.CheckAnchor(all, before); err == nil || !strings.Contains(err.Error(), "fold to state hash") {
		t.Errorf("a twin signed after the anchor: %v", err)
	}
}
