package domain

import (
	"fmt"
	"sort"
)

// Where an incident's evidence came from.
const (
	EvidenceFile    = "file"    // evidence.add: a file a member stored
	EvidenceRunbook = "runbook" // runbook.exec: a run's captured output
	EvidenceAlert   = "alert"   // alert.observe: the delivery an alert came in
)

// EvidenceItem is one blob an incident's record names.
type EvidenceItem struct {
	SHA256 string
	Name   string
	Size   int64 // -1 when the event does not say (an alert's payload)
	By     string
	At     int64 // unix ms, the signer's clock
	Source string
	Event  ID // the event that names the blob
}

// EvidenceOf lists what the incident's record names as evidence, oldest
// first: files and runbook outputs from the state, and the payloads of its
// alerts' observations among events (read on demand like a timeline; events
// that are not applied observations of its alerts are skipped). A payload
// shared by several observations is listed once, at its first.
func (s *State) EvidenceOf(inc *Incident, events []*Event) []EvidenceItem {
	var out []EvidenceItem
	for _, ev := range inc.Evidence {
		out = append(out, EvidenceItem{SHA256: ev.SHA256, Name: ev.Name, Size: ev.Size, By: ev.By, At: ev.At,
			Source: EvidenceFile, Event: ev.Event})
	}
	for _, id := range inc.Proposals {
		p, ok := s.Proposals[id]
		if !ok || p.Exec == nil {
			continue
		}
		x := p.Exec
		out = append(out, EvidenceItem{SHA256: x.Output, Name: fmt.Sprintf("%s step %d output%s", p.Runbook, p.Step, runOutcome(x)),
			Size: x.OutputSize, By: x.By, At: x.At, Source: EvidenceRunbook, Event: x.Event})
	}
	alerts := make(map[ID]bool, len(inc.Alerts))
	for _, id := range inc.Alerts {
		alerts[id] = true
	}
	applied := s.appliedFilter()
	seen := map[string]bool{}
	for _, e := range events {
		if e.Kind != KindAlertObserve || !applied(e) {
			continue
		}
		b, err := decodeBody(e.Kind, e.Body)
		if err != nil {
			continue
		}
		o := b.(*AlertObserve)
		if o.Payload == "" || seen[o.Payload] || !alerts[AlertID(o.Fingerprint)] {
			continue
		}
		seen[o.Payload] = true
		out = append(out, EvidenceItem{SHA256: o.Payload, Name: fmt.Sprintf("%s payload (%s)", o.Source, o.Fingerprint),
			Size: -1, By: s.Handle(e.Author), At: int64(e.Time), Source: EvidenceAlert, Event: e.ID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// runOutcome marks the output of a run that did not succeed, so evidence
// lists, exports and retros do not pass it off as a step that did its work.
func runOutcome(x *Execution) string {
	switch {
	case x.TimedOut:
		return fmt.Sprintf(" (timed out, exit %d)", x.ExitCode)
	case x.ExitCode != 0:
		return fmt.Sprintf(" (failed, exit %d)", x.ExitCode)
	}
	return ""
}

// BlobOf names the blob an event of this kind and body points at (an
// evidence file, a run's output, an alert's delivery), or "" for none or a
// body that does not decode. The store keeps what its events name and it
// lacks from this, and replication and bundles carry those blobs.
func BlobOf(kind string, body []byte) string {
	switch kind {
	case KindEvidenceAdd, KindRunbookExec, KindAlertObserve:
	default:
		return ""
	}
	b, err := decodeBody(kind, body)
	if err != nil {
		return ""
	}
	switch b := b.(type) {
	case *EvidenceAdd:
		return b.SHA256
	case *RunbookExec:
		return b.Output
	case *AlertObserve:
		return b.Payload
	}
	return ""
}
