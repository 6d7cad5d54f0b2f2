package runbooks

import (
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// TestGateNamesLineEndings: a checkout that converts line endings (git's core.autocrlf on
// a Windows laptop) or an editor that adds a BOM gives the same runbook another hash, and
// exec refused the proposal as made from a different file, with nothing to say why. The
// refusal stands (the hash is the file's exact bytes) and now says what differs.
func TestGateNamesLineEndings(t *testing.T) {
	crlf := strings.ReplaceAll(cliExample, "\n", "\r\n")
	tests := []struct {
		name, local, proposer string
		hint                  bool
	}{
		{"CRLF here", crlf, cliExample, true},
		{"CRLF at the proposer's", cliExample, crlf, true},
		{"BOM at the proposer's", cliExample, "\ufeff" + cliExample, true},
		{"BOM and CRLF here", "\ufeff" + crlf, cliExample, true},
		{"edited", cliExample, strings.Replace(cliExample, "ps auxww", "ps aux", 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local, proposer := mustParse(t, tc.local), mustParse(t, tc.proposer)
			b, err := proposer.Proposal(domain.ID{1}, 1, map[string]string{"host": "web-1"})
			if err != nil {
				t.Fatal(err)
			}
			p := &domain.Proposal{Incident: b.Incident, Runbook: b.Runbook, RunbookHash: b.RunbookHash, Step: b.Step,
				Params: b.Params, Command: b.Command, CommandHash: b.CommandHash, Risk: b.Risk, Quorum: b.Quorum,
				Approvers: b.Approvers, Approvals: []string{"alice", "bob"}}
			lib := &Library{byID: map[string]*Runbook{local.ID: local}}
			alice := &domain.Member{Handle: "alice", Active: true, Roles: []string{domain.RoleContainment}}
			_, conds := Gate(&domain.State{}, p, lib, alice)
			var found bool
			for _, c := range conds {
				if c.What != "local runbook file matches the proposal" {
					continue
				}
				found = true
				if c.OK {
					t.Fatal("the copies differ in bytes, yet the gate passed")
				}
				if got := strings.Contains(c.Why, "same but for line endings or a byte-order mark"); got != tc.hint {
					t.Errorf("hint %v, want %v: %s", got, tc.hint, c.Why)
				}
			}
			if !found {
				t.Fatalf("no content hash condition: %+v", conds)
			}
		})
	}
}
