package watch

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// genericAlert is CLI.md's documented generic webhook object.
type genericAlert struct {
	Title       string            `json:"title"`
	Severity    string            `json:"severity"`
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
}

// SourceWebhook is the Source of a generic alert that names none.
const SourceWebhook = "webhook"

// DecodeGeneric decodes POST /alert: one object
// {"title","severity","source","fingerprint","labels"} or an array of them.
// title is required; severity is "", P1..P4 or a key of severities (nil
// means DefaultSeverityMap), and anything else is refused because, unlike
// Alertmanager, the sender is a script that can fix it. Alerts are firing,
// with a zero StartsAt.
//
// A missing fingerprint is LabelsFingerprint of the labels with
// alertname=title added when labels have no alertname. So a generic alert
// carrying the same labels as an Alertmanager one gets the same fingerprint
// (one alert arriving by two paths), and one with no labels is identified by
// its title. Errors wrap ErrPayload.
func DecodeGeneric(body []byte, severities map[string]string) ([]Alert, error) {
	if severities == nil {
		severities = DefaultSeverityMap()
	}
	var in []genericAlert
	switch firstByte(body) {
	case '{':
		var one genericAlert
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, jsonProblem(err)
		}
		in = []genericAlert{one}
	case '[':
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, jsonProblem(err)
		}
	case 0:
		return nil, payloadErr("empty body, want an alert object {\"title\":...} or an array of them")
	default:
		if !json.Valid(body) {
			return nil, jsonProblem(json.Unmarshal(body, new(any)))
		}
		return nil, payloadErr("want an alert object {\"title\":...} or an array of them, got another JSON value")
	}
	out := make([]Alert, 0, len(in))
	for i, g := range in {
		at := "alert"
		if firstByte(body) == '[' {
			at = fmt.Sprintf("[%d]", i)
		}
		a, err := g.alert(at, severities)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (g genericAlert) alert(at string, severities map[string]string) (Alert, error) {
	title := strings.TrimSpace(g.Title)
	if title == "" {
		return Alert{}, payloadErr("%s.title: missing or empty, every alert needs a title", at)
	}
	sev, ok := mapSeverity(g.Severity, severities)
	if !ok {
		return Alert{}, payloadErr("%s.severity: %q, want one of %s", at, g.Severity, severityNames(severities))
	}
	fp, err := checkFingerprint(at+".fingerprint", g.Fingerprint)
	if err != nil {
		return Alert{}, err
	}
	labels := g.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	if fp == "" {
		fp = genericFingerprint(title, labels)
	}
	source := strings.TrimSpace(g.Source)
	if source == "" {
		source = SourceWebhook
	}
	return Alert{
		Fingerprint: fp,
		Title:       title,
		Source:      source,
		Severity:    sev,
		Status:      StatusFiring,
		Labels:      labels,
	}, nil
}

func genericFingerprint(title string, labels map[string]string) string {
	if _, ok := labels["alertname"]; ok {
		return LabelsFingerprint(labels)
	}
	withName := make(map[string]string, len(labels)+1)
	maps.Copy(withName, labels)
	withName["alertname"] = title
	return LabelsFingerprint(withName)
}
