package tui

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/muesli/termenv"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
)

var (
	tuiSafe   = common.HexToAddress("0x5aFE3855358E112B5647B952709E6165e1c1eEEe")
	tuiTarget = common.HexToAddress("0x5e4e65926ba27467555eb562121fac00d24e9dd2")
)

// safeProposal adds to the scenario a 2-of-3 Safe's pause() of the bridge, proposed
// by bob at 03:35 and signed by owner 0 (recorded by alice); op picks the operation.
func (s *scenario) safeProposal(t testing.TB, op safe.Operation, nonce int64) domain.ID {
	t.Helper()
	owners := make([]common.Address, 3)
	for i := range owners {
		k, _ := crypto.ToECDSA(crypto.Keccak256([]byte{byte(i), 's', 'a', 'f', 'e'}))
		owners[i] = crypto.PubkeyToAddress(k.PublicKey)
	}
	data, _ := safe.EncodeCall("pause()", nil)
	tx := &safe.Tx{ChainID: big.NewInt(1), Safe: tuiSafe, To: tuiTarget, Value: new(big.Int), Data: data, Operation: op,
		SafeTxGas: new(big.Int), BaseGas: new(big.Int), GasPrice: new(big.Int), Nonce: big.NewInt(nonce)}
	id := s.apply("bob", &domain.SafePropose{Incident: s.p1, Runbook: "contract-pause", RunbookHash: domain.CommandHash("contract-pause.md"),
		Function: "pause()", Args: []string{}, AllowDelegateCall: op == safe.DelegateCall, Tx: tx, Version: "1.4.1", Owners: owners,
		Threshold: 2, DomainHash: tx.DomainHash(), MessageHash: tx.MessageHash(), SafeTxHash: tx.Hash()}, at("03:35:00"))
	k, _ := crypto.ToECDSA(crypto.Keccak256([]byte{0, 's', 'a', 'f', 'e'}))
	sig, err := safe.Sign(k, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	s.apply("alice", &domain.SafeSign{Proposal: id, Owner: owners[0], Signature: sig}, at("03:36:00"))
	return id
}

// anchored records an anchor of the log at 03:45.
func (s *scenario) anchored(t testing.TB, apply func(string, domain.Body, time.Time) domain.ID) {
	t.Helper()
	heads := []domain.ChainHead{{Author: s.addr("alice"), Seq: 1, ID: domain.ID{1}}}
	sh := "ab" + string(bytes.Repeat([]byte("cd"), 31))
	root, err := domain.LogRoot(heads, sh)
	if err != nil {
		t.Fatal(err)
	}
	apply("alice", &domain.AnchorRecord{ChainID: 1, TxHash: common.Hash{7}, Block: 9, Root: root, StateHash: sh, Heads: heads}, at("03:45:00"))
}

func TestSafeProposalInRunbooksPane(t *testing.T) {
	s := newScenario(t)
	id := s.safeProposal(t, safe.Call, 12)
	sp := s.st.Safe[id]
	h := newHarness(t, s.fake, 160, 48)
	h.press("4")
	// The pane is 62 columns wide here: who proposed it and when stay whole in the row,
	// the call's target gives way.
	h.contains("Runbooks · 5 · 2 pending", "SAFE TXS", "▸contract-pause         1/2 sigs  12    pause() · bob 03:35", "PROPOSALS")
	// A hash or address that does not fit keeps both its ends; the nonce, the value and
	// what to do next stay whole.
	hx, safeHex, to := sp.SafeTxHash.Hex(), tuiSafe.Hex(), tuiTarget.Hex()
	h.contains("─ Safe "+safeHex[:12], safeHex[len(safeHex)-12:]+" v1.4.1 chain 1 · bob 03:35",
		"call pause() → "+to[:10], to[len(to)-10:]+" · nonce 12 · value 0",
		"safeTxHash "+hx[:20], hx[len(hx)-20:], "1 of 2 owner signatures: 0x", " · tminus safe sign "+id.Short())
	h.press("y")
	h.contains("copied the safeTxHash of the contract-pause Safe transaction")
	// Moving down reaches bob's runbook proposal, unchanged.
	h.press("j")
	h.contains("▸contract-pause         1/2 appr", "proposed by bob 03:33")
	// Executed: the row and the detail say how.
	s.external("bob", &domain.SafeSign{Proposal: id, Owner: sp.Owners[1], Signature: ownerSigFor(t, 1, sp.SafeTxHash)}, at("03:38:00"))
	s.external("bob", &domain.SafeExec{Proposal: id, TxHash: common.Hash{9}, Block: 19442007, Status: 1,
		Event: domain.SafeExecutionSuccess, From: s.addr("bob")}, at("03:40:00"))
	h.poll()
	h.press("k")
	h.contains("contract-pause         executed", "ExecutionSuccess block 19442007 · by bob 03:40 · tx 0x09")
	// Wide enough, every hash shows whole.
	h.send(tea.WindowSizeMsg{Width: 300, Height: 100})
	h.contains("safeTxHash "+hx, "domain  "+sp.DomainHash.Hex(), "message "+sp.MessageHash.Hex(),
		"call pause() → "+tuiTarget.Hex()+" · nonce 12 · value 0", "─ Safe "+safeHex+" v1.4.1 chain 1 · bob 03:35",
		"ExecutionSuccess block 19442007 · by bob 03:40 · tx 0x09000")
}

func ownerSigFor(t testing.TB, i byte, h common.Hash) []byte {
	t.Helper()
	k, _ := crypto.ToECDSA(crypto.Keccak256([]byte{i, 's', 'a', 'f', 'e'}))
	sig, err := safe.Sign(k, h)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// A DELEGATECALL reads as one in words, whatever the colours (and in red where there are).
func TestSafeDelegateCallShown(t *testing.T) {
	s := newScenario(t)
	s.safeProposal(t, safe.DelegateCall, 3)
	h := newHarness(t, s.fake, 80, 24)
	h.press("4")
	h.contains("1/2 sigs  DELEGATECALL pause()", "DELEGATECALL pause() → ")
	// 80 columns: the target's middle gives way to the nonce and value.
	to := tuiTarget.Hex()
	h.contains("DELEGATECALL pause() → "+to[:10], to[len(to)-10:]+" · nonce 3 · value 0")
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.contains("DELEGATECALL pause() → " + to + " · nonce 3 · value 0")
}

func TestHeaderShowsAnchorAge(t *testing.T) {
	s := newScenario(t)
	h := newHarness(t, s.fake, 80, 24)
	h.lacks("anchored")
	s.anchored(t, s.external)
	h.poll()
	h.contains("anchored 12m ago · ")
	h.tick(2 * time.Hour)
	h.contains("anchored 2h ago · ")
	for _, c := range []struct {
		secs int64
		want string
	}{{-5, "just now"}, {5, "5s ago"}, {125, "2m ago"}, {3 * 3600, "3h ago"}, {72 * 3600, "3d ago"}} {
		if got := ago(0, c.secs*1000); got != c.want {
			t.Errorf("ago(%ds) = %q, want %q", c.secs, got, c.want)
		}
	}
}

// TestSafeGolden is the runbooks tab with a Safe transaction waiting for its second
// signature and an anchor in the header, at 80x24 and 160x48.
func TestSafeGolden(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	for _, tt := range []struct {
		name string
		w, h int
	}{{"safe-80x24", 80, 24}, {"safe-160x48", 160, 48}} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t)
			s.safeProposal(t, safe.Call, 12)
			s.anchored(t, s.apply)
			goldenRun(t, s.fake, "dark", tt.w, tt.h, []string{"4", "wait:SAFE TXS"})
		})
	}
}
