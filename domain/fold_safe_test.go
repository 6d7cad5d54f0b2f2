package domain_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/safe"
)

// Owner keys of the test Safe: not members' keys, as in life.
func ownerKey(i int) *ecdsa.PrivateKey { return domaintest.Key(99, i) }

func ownerAddr(i int) common.Address { return crypto.PubkeyToAddress(ownerKey(i).PublicKey) }

var (
	testSafe   = common.HexToAddress("0x5aFE3855358E112B5647B952709E6165e1c1eEEe")
	testTarget = common.HexToAddress("0x6B175474E89094C44Da98b954EedeAC495271d0F")
)

// safeTx is pause() on the target from the test Safe at a nonce.
func safeTx(t *testing.T, chain, nonce int64, op safe.Operation) *safe.Tx {
	t.Helper()
	data, err := safe.EncodeCall("pause()", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &safe.Tx{ChainID: big.NewInt(chain), Safe: testSafe, To: testTarget, Value: new(big.Int), Data: data,
		Operation: op, SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: big.NewInt(nonce)}
}

// proposeBody is a valid proposal of tx on a 2-of-3 Safe owned by owner keys 0, 1 and 2.
func proposeBody(inc domain.ID, tx *safe.Tx) *domain.SafePropose {
	return &domain.SafePropose{Incident: inc, Runbook: "contract-pause", RunbookHash: domain.CommandHash("contract-pause.md"),
		Params: map[string]string{"safe": testSafe.Hex(), "contract": testTarget.Hex()}, Function: "pause()", Args: []string{},
		Tx: tx, Version: "1.4.1", Owners: []common.Address{ownerAddr(0), ownerAddr(1), ownerAddr(2)}, Threshold: 2,
		DomainHash: tx.DomainHash(), MessageHash: tx.MessageHash(), SafeTxHash: tx.Hash()}
}

func ownerSig(t *testing.T, i int, h common.Hash) []byte {
	t.Helper()
	sig, err := safe.Sign(ownerKey(i), h)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// safeTeam: alice (containment, triage) and bob (triage) are members, node 2 is not.
func safeTeam(t *testing.T) (*domaintest.Team, *domain.Event) {
	t.Helper()
	tm := domaintest.NewTeam(31, 3)
	found(t, tm, quorum1, domain.RoleContainment, domain.RoleTriage)
	add(t, tm, 0, member(tm, 1, "bob", domain.RoleTriage))
	return tm, do(t, tm, 0, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
}

func sign(t *testing.T, tm *domaintest.Team, by int, p *domain.Event, owner int, sig []byte) *domain.Event {
	t.Helper()
	return do(t, tm, by, &domain.SafeSign{Proposal: p.ID, Owner: ownerAddr(owner), Signature: sig})
}

func execBody(p *domain.Event, event string) *domain.SafeExec {
	return &domain.SafeExec{Proposal: p.ID, TxHash: common.HexToHash("0xfeed"), Block: 7, Status: 1, Event: event,
		From: common.HexToAddress("0x1234")}
}

func TestSafeHappyPath(t *testing.T) {
	tm, inc := safeTeam(t)
	tx := safeTx(t, 1337, 0, safe.Call)
	p := do(t, tm, 1, proposeBody(inc.ID, tx))
	s0 := sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
	s1 := sign(t, tm, 1, p, 2, ownerSig(t, 2, tx.Hash()))
	x := do(t, tm, 0, execBody(p, domain.SafeExecutionSuccess))
	st := fold(tm.Events)
	accepted(t, st, p, s0, s1, x)
	sp := st.Safe[p.ID]
	if sp == nil || sp.Confirmations() != 2 || sp.Exec == nil || !sp.Exec.Success || sp.Exec.By != "alice" || sp.By != "bob" {
		t.Fatalf("proposal: %+v", sp)
	}
	if sp.Signatures[1].By != "bob" || sp.Signatures[1].Owner != ownerAddr(2) {
		t.Errorf("the second signature should be owner 2's, recorded by bob: %+v", sp.Signatures[1])
	}
	if got := st.Incidents[inc.ID].SafeTxs; len(got) != 1 || got[0] != p.ID {
		t.Errorf("incident's safe txs = %v", got)
	}
	// The timeline tells the story, hashes and all.
	var texts []string
	for _, e := range st.Timeline(st.Incidents[inc.ID], tm.Events) {
		texts = append(texts, e.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"proposed Safe tx contract-pause pause() on " + testSafe.Hex() + " nonce 0, safeTxHash " + tx.Hash().Hex(),
		"owner " + ownerAddr(2).Hex() + " signed Safe tx contract-pause (2/2)", "executed Safe tx contract-pause: ExecutionSuccess"} {
		if !strings.Contains(all, want) {
			t.Errorf("timeline lacks %q:\n%s", want, all)
		}
	}
	// The state, snapshot and all, round-trips with its Safe proposals.
	assertSnapshotRoundTrip(t, st)
}

// Each bad input the fold owns, with the reason it gives.
func TestSafeFoldRefuses(t *testing.T) {
	tx := safeTx(t, 1337, 0, safe.Call)
	other := func(chain, nonce int64, safeAddr common.Address) common.Hash {
		x := safeTx(t, chain, nonce, safe.Call)
		x.Safe = safeAddr
		return x.Hash()
	}
	stranger, _ := crypto.GenerateKey()
	strangerSig, _ := safe.Sign(stranger, tx.Hash())
	cases := []struct {
		name string
		run  func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event
		want string
	}{
		{"non-owner signature", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return do(t, tm, 0, &domain.SafeSign{Proposal: p.ID, Owner: crypto.PubkeyToAddress(stranger.PublicKey), Signature: strangerSig})
		}, "is not an owner"},
		{"signature over another nonce", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return sign(t, tm, 0, p, 0, ownerSig(t, 0, other(1337, 1, testSafe)))
		}, "not over safe_tx_hash"},
		{"signature over another chain id", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return sign(t, tm, 0, p, 0, ownerSig(t, 0, other(1, 0, testSafe)))
		}, "not over safe_tx_hash"},
		{"signature over another Safe", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return sign(t, tm, 0, p, 0, ownerSig(t, 0, other(1337, 0, testTarget)))
		}, "not over safe_tx_hash"},
		{"owner's signature claimed for another owner", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return sign(t, tm, 0, p, 1, ownerSig(t, 0, tx.Hash()))
		}, "recovers to " + ownerAddr(0).Hex()},
		{"approved-hash form", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sig := make([]byte, 65)
			copy(sig[12:32], ownerAddr(0).Bytes())
			sig[64] = 1
			return sign(t, tm, 0, p, 0, sig)
		}, "approveHash"},
		{"duplicate by one owner counted once", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			return sign(t, tm, 1, p, 0, ownerSig(t, 0, tx.Hash()))
		}, "already signed"},
		{"replay after exec", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			sign(t, tm, 0, p, 1, ownerSig(t, 1, tx.Hash()))
			do(t, tm, 0, execBody(p, domain.SafeExecutionSuccess))
			return sign(t, tm, 1, p, 2, ownerSig(t, 2, tx.Hash()))
		}, "replay"},
		{"threshold not met at exec", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			return do(t, tm, 0, execBody(p, domain.SafeExecutionSuccess))
		}, "1 of 2 owner signatures: threshold not met"},
		{"exec without the containment role", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			sign(t, tm, 0, p, 1, ownerSig(t, 1, tx.Hash()))
			return do(t, tm, 1, execBody(p, domain.SafeExecutionSuccess))
		}, "needs the containment role"},
		{"second exec", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			sign(t, tm, 0, p, 1, ownerSig(t, 1, tx.Hash()))
			do(t, tm, 0, execBody(p, domain.SafeExecutionFailure))
			return do(t, tm, 0, execBody(p, domain.SafeExecutionSuccess))
		}, "already executed"},
		{"sign by a non-member", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return sign(t, tm, 2, p, 0, ownerSig(t, 0, tx.Hash()))
		}, "is not a member"},
		{"unknown proposal", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return do(t, tm, 0, &domain.SafeSign{Proposal: domain.ID{9}, Owner: ownerAddr(0), Signature: ownerSig(t, 0, tx.Hash())})
		}, "not found"},
		{"proposal on an unknown incident", func(t *testing.T, tm *domaintest.Team, p *domain.Event) *domain.Event {
			return do(t, tm, 0, proposeBody(domain.ID{7}, tx))
		}, "incident"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm, inc := safeTeam(t)
			p := do(t, tm, 1, proposeBody(inc.ID, tx))
			e := c.run(t, tm, p)
			st := fold(tm.Events)
			rejected(t, st, e, c.want)
			if sp := st.Safe[p.ID]; sp != nil {
				for _, sg := range sp.Signatures {
					if sg.Event == e.ID {
						t.Error("a refused signature counts")
					}
				}
			}
		})
	}
}

// Bodies whose fields do not follow from each other never reach the fold:
// they are malformed, refused by the decoder of every replica.
func TestSafeBodiesRefused(t *testing.T) {
	tx := safeTx(t, 1337, 0, safe.Call)
	inc := domain.ID{1}
	mut := func(f func(b *domain.SafePropose)) *domain.SafePropose {
		b := proposeBody(inc, safeTx(t, 1337, 0, safe.Call))
		f(b)
		return b
	}
	heads := []domain.ChainHead{{Author: common.HexToAddress("0x01"), Seq: 3, ID: domain.ID{3}}}
	sh := strings.Repeat("ab", 32)
	root, err := domain.LogRoot(heads, sh)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		body domain.Body
		want string
	}{
		{"safe_tx_hash mismatch", mut(func(b *domain.SafePropose) { b.SafeTxHash[0] ^= 1 }), "hash mismatch"},
		{"domain_hash mismatch", mut(func(b *domain.SafePropose) { b.DomainHash = common.Hash{} }), "domain_hash"},
		{"hashes of another nonce", mut(func(b *domain.SafePropose) { b.Tx.Nonce = big.NewInt(5) }), "hash mismatch"},
		{"data differs from the function and args", mut(func(b *domain.SafePropose) {
			b.Tx.Data, _ = safe.EncodeCall("unpause()", nil)
			b.DomainHash, b.MessageHash, b.SafeTxHash = b.Tx.DomainHash(), b.Tx.MessageHash(), b.Tx.Hash()
		}), "not the encoding of pause()"},
		{"delegatecall not allowed", mut(func(b *domain.SafePropose) {
			b.Tx.Operation = safe.DelegateCall
			b.DomainHash, b.MessageHash, b.SafeTxHash = b.Tx.DomainHash(), b.Tx.MessageHash(), b.Tx.Hash()
		}), "DELEGATECALL"},
		{"threshold above owners", mut(func(b *domain.SafePropose) { b.Threshold = 4 }), "impossible"},
		{"owner twice", mut(func(b *domain.SafePropose) { b.Owners[1] = b.Owners[0] }), "twice"},
		{"no tx", mut(func(b *domain.SafePropose) { b.Tx = nil }), "nil transaction"},
		{"short signature", &domain.SafeSign{Proposal: inc, Owner: ownerAddr(0), Signature: make([]byte, 64)}, "64 bytes"},
		{"reverted exec", &domain.SafeExec{Proposal: inc, TxHash: common.Hash{1}, Status: 0, Event: domain.SafeExecutionSuccess}, "status 0"},
		{"exec without event", &domain.SafeExec{Proposal: inc, TxHash: common.Hash{1}, Status: 1}, "event"},
		{"anchor root mismatch", &domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Root: common.Hash{2}, StateHash: sh, Heads: heads},
			"not the log root"},
		{"anchor without heads", &domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Root: root, StateHash: sh}, "0 heads"},
		{"anchor bad state hash", &domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Root: root, StateHash: "xyz", Heads: heads},
			"state hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := domain.EncodeBody(c.body); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("EncodeBody = %v, want an error with %q", err, c.want)
			}
			data, err := json.Marshal(c.body)
			if err != nil {
				return // an invalid Tx does not even marshal
			}
			if _, err := domain.DecodeBody(c.body.Kind(), data); !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("DecodeBody = %v, want ErrMalformed", err)
			}
		})
	}
	good := proposeBody(inc, tx)
	data, err := domain.EncodeBody(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := domain.DecodeBody(domain.KindSafePropose, data); err != nil {
		t.Fatalf("a valid proposal does not decode: %v", err)
	}
}

// A DELEGATECALL the runbook allows is recorded, and shown as such.
func TestSafeDelegateCallAllowed(t *testing.T) {
	tm, inc := safeTeam(t)
	b := proposeBody(inc.ID, safeTx(t, 1337, 0, safe.DelegateCall))
	b.AllowDelegateCall = true
	p := do(t, tm, 0, b)
	st := fold(tm.Events)
	accepted(t, st, p)
	tl := st.Timeline(st.Incidents[inc.ID], tm.Events)
	if last := tl[len(tl)-1].Text; !strings.Contains(last, "DELEGATECALL") {
		t.Errorf("timeline %q does not flag the DELEGATECALL", last)
	}
}

// A successful Safe execution is containment for the metrics, unless the
// team moved the incident to contained earlier; a failed one is not.
func TestSafeExecCountsAsContainment(t *testing.T) {
	tx := safeTx(t, 1337, 0, safe.Call)
	for _, c := range []struct {
		name      string
		event     string
		statusAt  int // index of the status change among the steps; -1 for none
		wantAfter int64
	}{
		{"success contains", domain.SafeExecutionSuccess, -1, 5},
		{"failure does not", domain.SafeExecutionFailure, -1, 0},
		{"earlier status wins", domain.SafeExecutionSuccess, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm, inc := safeTeam(t)
			if c.statusAt == 0 {
				do(t, tm, 0, &domain.IncidentStatus{Incident: inc.ID, Status: domain.StatusContained})
			} else {
				tm.Clock += 1000
			}
			p := do(t, tm, 1, proposeBody(inc.ID, tx))
			sign(t, tm, 0, p, 0, ownerSig(t, 0, tx.Hash()))
			sign(t, tm, 0, p, 1, ownerSig(t, 1, tx.Hash()))
			x := do(t, tm, 0, execBody(p, c.event))
			st := fold(tm.Events)
			accepted(t, st, x)
			m := domain.MetricsOf(st, st.Incidents[inc.ID])
			got, ok := m.Times[domain.PhaseContain]
			if c.wantAfter == 0 {
				if ok {
					t.Fatalf("contained after %s, want not contained", got)
				}
				return
			}
			if !ok || got.Milliseconds() != c.wantAfter*1000 {
				t.Fatalf("time to contain %v (%v), want %ds", got, ok, c.wantAfter)
			}
			ms := domain.Milestones(st, st.Incidents[inc.ID])
			if ms[len(ms)-1].Phase != domain.PhaseContain || ms[len(ms)-1].By != "alice" {
				t.Errorf("milestones %+v", ms)
			}
		})
	}
}

func assertSnapshotRoundTrip(t *testing.T, st *domain.State) {
	t.Helper()
	dec := domain.NewStateDecoder()
	if err := st.EncodeParts(512, func(p domain.Part) error { return dec.Add(p) }); err != nil {
		t.Fatal(err)
	}
	if stateHash(t, dec.State()) != stateHash(t, st) {
		t.Fatal("the state restored from its snapshot parts hashes differently")
	}
}

// FuzzDecodeOnChain feeds the on-chain bodies' decoder mutations of valid
// bodies: it must refuse or return a body that validates and re-encodes
// to the same bytes.
func FuzzDecodeOnChain(f *testing.F) {
	t := &testing.T{}
	tx := safeTx(t, 1337, 3, safe.Call)
	sig, _ := safe.Sign(ownerKey(0), tx.Hash())
	heads := []domain.ChainHead{{Author: common.HexToAddress("0x01"), Seq: 1, ID: domain.ID{1}}}
	sh := strings.Repeat("cd", 32)
	root, _ := domain.LogRoot(heads, sh)
	for _, b := range []domain.Body{proposeBody(domain.ID{1}, tx),
		&domain.SafeSign{Proposal: domain.ID{4}, Owner: ownerAddr(0), Signature: sig},
		execBody(&domain.Event{ID: domain.ID{4}}, domain.SafeExecutionFailure),
		&domain.AnchorRecord{ChainID: 1337, TxHash: common.Hash{1}, Root: root, StateHash: sh, Heads: heads}} {
		data, err := domain.EncodeBody(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b.Kind(), data)
	}
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		b, err := domain.DecodeBody(kind, data)
		if err != nil {
			if !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := domain.EncodeBody(b)
		if err != nil || string(again) != string(data) {
			t.Fatalf("decoded body re-encodes to %s, %v", again, err)
		}
	})
}

// A SafeProposal embeds its SafePropose: its JSON, part of the state hash,
// must keep the flat shape and key order it had before, so replicas of
// both versions agree on the state hash and old anchors still reproduce.
func TestSafeProposalEncodingUnchanged(t *testing.T) {
	tm, inc := safeTeam(t)
	p := do(t, tm, 0, proposeBody(inc.ID, safeTx(t, 1, 0, safe.Call)))
	raw, err := json.Marshal(fold(tm.Events).Safe[p.ID])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	want := "id incident runbook runbook_hash params function args tx version owners threshold domain_hash message_hash safe_tx_hash by at signatures"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("keys\n got %s\nwant %s", got, want)
	}
}

// A proposal whose Safe nonce another executed proposal used (or a later
// one) is superseded: it can never execute. Another Safe's, another
// chain's or an earlier nonce's execution does not supersede it, nor does
// its own.
func TestSafeSuperseded(t *testing.T) {
	tm, inc := safeTeam(t)
	p := do(t, tm, 0, proposeBody(inc.ID, safeTx(t, 1337, 3, safe.Call)))
	propose := func(chain, nonce int64, edit func(*safe.Tx)) *domain.Event {
		tx := safeTx(t, chain, nonce, safe.Call)
		if edit != nil {
			edit(tx)
		}
		e := do(t, tm, 0, proposeBody(inc.ID, tx))
		sign(t, tm, 0, e, 0, ownerSig(t, 0, tx.Hash()))
		sign(t, tm, 0, e, 1, ownerSig(t, 1, tx.Hash()))
		return e
	}
	var execs []*domain.Event
	exec := func(e *domain.Event) {
		b := execBody(e, domain.SafeExecutionFailure) // a failed execution uses its nonce too
		b.TxHash = common.Hash(e.ID)
		execs = append(execs, do(t, tm, 0, b))
	}
	superseded := func() *domain.SafeProposal {
		st := fold(tm.Events)
		return st.Superseded(st.Safe[p.ID])
	}
	exec(propose(1337, 2, nil))                                                             // an earlier nonce
	exec(propose(1, 3, nil))                                                                // another chain
	exec(propose(1337, 3, func(tx *safe.Tx) { tx.Safe = common.HexToAddress("0x5afe02") })) // another Safe
	propose(1337, 3, nil)                                                                   // same nonce, not executed
	if q := superseded(); q != nil {
		t.Fatalf("superseded by %s, want none", q.ID.Short())
	}
	later := propose(1337, 5, nil)
	exec(later)
	same := propose(1337, 3, func(tx *safe.Tx) { tx.Value = big.NewInt(1) })
	exec(same)
	if q := superseded(); q == nil || q.ID != same.ID {
		t.Fatalf("superseded by %v, want %s (same nonce before a later one)", q, same.ID.Short())
	}
	st := fold(tm.Events)
	accepted(t, st, execs...)
	if q := st.Superseded(st.Safe[same.ID]); q != nil {
		t.Errorf("an executed proposal is superseded by %s", q.ID.Short())
	}
}
