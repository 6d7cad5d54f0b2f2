package main

import "github.com/tminus-ir/tminus/runbooks"

// runbookView is one runbook as runbook list --json prints it. Lists are
// [] when empty (a low-risk runbook has no approvers), never null.
type runbookView struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	When      string   `json:"when"`
	Severity  []string `json:"severity"`
	Risk      string   `json:"risk"`
	Quorum    int      `json:"quorum"`
	Approvers []string `json:"approvers"`
	Steps     int      `json:"steps"`
	Hash      string   `json:"content_hash"`
	Source    string   `json:"source"`
}

func viewRunbook(r *runbooks.Runbook) runbookView {
	return runbookView{r.ID, r.Title, r.When, append([]string{}, r.Severity...), string(r.Risk), r.Quorum,
		append([]string{}, r.Approvers...), len(r.Steps), r.ContentHash, r.Source}
}

// runbookDetail is runbook show --json: the list's fields, with the steps
// and parameters themselves in place of the step count.
type runbookDetail struct {
	runbookView
	Steps  []runbookStepView  `json:"steps"`
	Params []runbookParamView `json:"params"`
	Safe   *runbookSafeView   `json:"safe,omitempty"` // only for a runbook with a safe: block
}

type runbookStepView struct {
	Number  int    `json:"number"`
	Title   string `json:"title"`
	Command string `json:"command"` // with its {{param}} placeholders
	Notes   string `json:"notes"`
}

type runbookParamView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Pattern     string `json:"pattern"`
}

type runbookSafeView struct {
	ChainID   string   `json:"chain_id"`
	Address   string   `json:"address"`
	To        string   `json:"to"`
	Function  string   `json:"function"`
	Args      []string `json:"args"`
	Value     string   `json:"value"`
	Operation string   `json:"operation"`
}

func viewRunbookDetail(r *runbooks.Runbook) runbookDetail {
	d := runbookDetail{runbookView: viewRunbook(r), Steps: []runbookStepView{}, Params: []runbookParamView{}}
	for _, s := range r.Steps {
		d.Steps = append(d.Steps, runbookStepView{s.Number, s.Title, s.Command, s.Notes})
	}
	for _, p := range r.Params {
		d.Params = append(d.Params, runbookParamView{p.Name, p.Description, p.Pattern})
	}
	if sf := r.Safe; sf != nil {
		d.Safe = &runbookSafeView{sf.ChainID, sf.Address, sf.To, sf.Function, append([]string{}, sf.Args...), sf.Value, sf.Operation.String()}
	}
	return d
}
