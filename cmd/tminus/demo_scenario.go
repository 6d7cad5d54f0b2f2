package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/safe"
	"github.com/tminus-ir/tminus/runbooks"
	"github.com/tminus-ir/tminus/store"
)

// The demo incident follows COCKPIT.md: an on-chain anomaly seen by two of three
// watchers, a P1 declared from it 41 minutes ago, leads, tasks (one overdue), a
// containment check due in 15 minutes, a comms update every 30, notes, a pause proposal
// waiting for its second approval, and a resolved incident from yesterday. The roster
// has identity proofs, one expiring soon, and a member below containment's minimum.
const (
	fpBridge  = "chain-bridge-outflow-19442001"
	fpRelayer = "chain-relayer-unseen-ip"
	fpDisk    = "am-disk-archive-2"
	fpSeqLag  = "l2mon-sequencer-lag"
	fpEscrow  = "chain-l1-escrow-withdrawal"

	titleBridge  = "Bridge vault outflow 12x above 7d baseline"
	titleRelayer = "Relayer key signed from an unseen IP"
)

// seedDemo writes the demo workspace into dir, its events dated relative to now.
func seedDemo(ctx context.Context, dir string, now time.Time) (*demo, error) {
	d, err := newDemoHome(dir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, "tminus.db"))
	if err != nil {
		return nil, err
	}
	d.st = st
	if err := d.seed(ctx, now); err != nil {
		st.Close()
		return nil, fmt.Errorf("demo scenario: %w", err)
	}
	return d, nil
}

// seeder appends scripted events, each dated by setting the store's clock: the event
// times are for display, order comes from the chains.
type seeder struct {
	ctx context.Context
	d   *demo
	now time.Time
	err error
}

func (s *seeder) at(ago time.Duration, who string, b domain.Body) domain.ID {
	if s.err != nil {
		return domain.ID{}
	}
	t := s.now.Add(-ago)
	s.d.st.Now = func() time.Time { return t }
	ev, err := s.d.st.Append(s.ctx, s.d.signers[who], b)
	if err != nil {
		s.err = fmt.Errorf("%s %s: %w", who, b.Kind(), err)
		return domain.ID{}
	}
	return ev.ID
}

func (d *demo) seed(ctx context.Context, now time.Time) error {
	s := &seeder{ctx: ctx, d: d, now: now}
	defer func() { d.st.Now = time.Now }()
	m := time.Minute
	founder := demoMembers[0]
	s.at(90*m, "alice", &domain.Genesis{Name: "acme-sec", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: d.signers["alice"].Address(), Handle: founder.handle, Roles: founder.roles}})
	for _, mb := range demoMembers[1:] {
		s.at(89*m, "alice", &domain.MemberPropose{Action: domain.ActionAdd,
			Member: domain.MemberSpec{Address: d.signers[mb.handle].Address(), Handle: mb.handle, Roles: mb.roles}})
	}
	s.identity(88 * m)

	// Yesterday's incident, resolved: it carries the 72 h retro deadline.
	oracle := s.at(26*time.Hour, "carol", &domain.IncidentDeclare{Title: "Oracle drift on ETH/USD", Severity: "P2"})
	s.at(25*time.Hour, "bob", &domain.IncidentStatus{Incident: oracle, Status: domain.StatusContained})
	s.at(21*time.Hour, "carol", &domain.IncidentStatus{Incident: oracle, Status: domain.StatusResolved})

	// Three watchers (alice, bob, carol) have ever raised alerts, so the bridge alert
	// seen by alice's and bob's reads 2/3.
	obs := func(ago time.Duration, who, fp, title, src, sev, status string, labels map[string]string) domain.ID {
		s.at(ago, who, &domain.AlertObserve{Fingerprint: fp, Title: title, Source: src, Severity: sev, Status: status, Labels: labels})
		return domain.AlertID(fp)
	}
	obs(76*m, "carol", fpDisk, "Disk 85% on archive-2", "am", "P4", domain.AlertFiring, map[string]string{"instance": "archive-2"})
	obs(67*m, "carol", fpSeqLag, "Sequencer lag 90s", "l2mon", "P3", domain.AlertFiring, nil)
	obs(59*m, "carol", fpSeqLag, "Sequencer lag 90s", "l2mon", "P3", domain.AlertResolved, nil)
	vault := map[string]string{"contract": "BridgeVault", "chain": "mainnet", "block": "19442001"}
	bridge := obs(43*m, "alice", fpBridge, titleBridge, "chain", "P1", domain.AlertFiring, vault)
	obs(43*m-7*time.Second, "bob", fpBridge, titleBridge, "chain", "P1", domain.AlertFiring, vault)
	relayer := obs(42*m, "bob", fpRelayer, titleRelayer, "chain", "P2", domain.AlertFiring, nil)
	s.at(41*m+30*time.Second, "alice", &domain.AlertAck{Alert: relayer})

	p1 := s.at(41*m+7*time.Second, "alice", &domain.IncidentDeclare{Title: "Vault drain on the L2 bridge", Severity: "P1",
		Alerts: []domain.ID{bridge}})
	for _, l := range [][2]string{{"triage", "alice"}, {"containment", "bob"}, {"comms", "carol"}, {"recorder", "dave"}} {
		s.at(40*m+30*time.Second, "alice", &domain.IncidentAssign{Incident: p1, Role: l[0], Member: l[1]})
	}
	s.at(39*m, "alice", &domain.IncidentStatus{Incident: p1, Status: domain.StatusTriaged})
	task := func(ago time.Duration, title, owner string, due time.Duration) domain.ID {
		b := &domain.TaskAdd{Incident: p1, Title: title, Owner: owner}
		if due != 0 {
			b.Due = now.Add(due).UnixMilli()
		}
		return s.at(ago, "alice", b)
	}
	task(38*m, "Snapshot vault balances at block 19,442,001", "bob", -(2*m + 13*time.Second))
	draft := task(38*m, "Draft pause tx for BridgeVault", "bob", 0)
	task(37*m, "Post kickoff to #incident and the forum", "carol", 8*m+12*time.Second)
	task(37*m, "Collect relayer host logs (last 6 h)", "dave", 0)
	s.at(36*m, "bob", &domain.Note{Incident: p1, Text: "Outflow goes to 0x7a3f…c9e1: 3 txs, 1,840 ETH so far"})
	s.at(35*m, "dave", &domain.Note{Incident: p1, Text: "Evidence: vault balances snapshot requested from the archive node"})
	s.at(32*m, "alice", &domain.TimerSet{Incident: p1, Label: "Containment check", Due: now.Add(15 * m).UnixMilli()})
	s.at(31*m, "carol", &domain.TimerSet{Incident: p1, Label: "Comms update", Due: now.Add(-11 * m).UnixMilli(),
		Every: (30 * m).Milliseconds()})
	s.at(27*m, "carol", &domain.IncidentDeclare{Title: "Docs site 502 on /bridge", Severity: "P3"})
	s.at(26*m, "bob", &domain.TaskDone{Task: draft})
	if lib, err := runbooks.Load(""); err == nil {
		if rb, ok := lib.Get("contract-pause"); ok && len(rb.Steps) >= 2 {
			if b, err := rb.Proposal(p1, 2, map[string]string{"contract": "0x5e4e65926ba27467555eb562121fac00d24e9dd2",
				"rpc": "mainnet", "signer": "--ledger"}); err == nil {
				s.at(24*m, "bob", b)
			}
		}
	}
	s.safePause(p1, 22*m)
	s.at(20*m, "carol", &domain.Note{Incident: p1, Text: "Holding statement drafted; posting once triage confirms scope"})
	return s.err
}

// safePause is the pause as the Safe that owns the bridge vault sends it: bob
// proposes contract-pause's safe: step, and one of the Safe's two needed owners
// has signed (recorded by alice). The owners' keys are the demo's own, made up.
func (s *seeder) safePause(inc domain.ID, ago time.Duration) {
	lib, err := runbooks.Load("")
	if err != nil {
		return
	}
	rb, ok := lib.Get("contract-pause")
	if !ok || rb.Safe == nil {
		return
	}
	var owners []common.Address
	var keys []*ecdsa.PrivateKey
	for i := range 3 {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("tminus/demo/safe-owner/%d", i))))
		if err != nil {
			s.err = err
			return
		}
		owners, keys = append(owners, crypto.PubkeyToAddress(k.PublicKey)), append(keys, k)
	}
	b, err := rb.SafeProposal(inc, map[string]string{"safe": "0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063",
		"contract": "0x5e4e65926ba27467555eb562121fac00d24e9dd2", "chain_id": "1"},
		runbooks.SafeState{Version: "1.4.1", Owners: owners, Threshold: 2, Nonce: big.NewInt(41)})
	if err != nil {
		s.err = err
		return
	}
	id := s.at(ago, "bob", b)
	sig, err := safe.Sign(keys[1], b.SafeTxHash)
	if err != nil {
		s.err = err
		return
	}
	s.at(ago-2*time.Minute, "alice", &domain.SafeSign{Proposal: id, Owner: owners[1], Signature: sig})
}
