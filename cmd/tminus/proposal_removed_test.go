package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// incident show lists every approval on record, and says which ones no
// longer count: an approver removed since (a stolen laptop's member).
func TestIncidentShowMarksRemovedApprovers(t *testing.T) {
	id := domain.ID{7}
	s := &domain.State{
		Members:   map[string]*domain.Member{"alice": {Handle: "alice", Active: true}, "dave": {Handle: "dave"}},
		Proposals: map[domain.ID]*domain.Proposal{id: {ID: id, Runbook: "host-quarantine", Step: 1, Command: "ssh web1 quarantine", Risk: domain.RiskHigh, Quorum: 2, Approvals: []string{"dave", "alice"}, By: "dave"}},
	}
	inc := &domain.Incident{Proposals: []domain.ID{id}, Leads: map[string]string{}, Reached: map[string]int64{}}
	d := viewIncidentDetail(s, inc, nil, 0)
	var out bytes.Buffer
	printProposals(&out, d.Proposals)
	if !strings.Contains(out.String(), "approved by dave (removed: not counted), alice): awaiting approvals") {
		t.Errorf("incident show's proposals:\n%s", out.String())
	}
}
