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
	// Status is optional: "firing" when absent. A script resolving its
	// alert sent "resolved" and, the field unread, re-fired it.
	Status string `json:"status"`
}

// SourceWebhook is the Source of a generic alert that names none.
const SourceWebhook = "webhook"

// DecodeGeneric decodes POST /alert: one object
// {"title","severity","source","fingerprint","labels","status"} or an array of them.
// title is required; severity is "", P1..P4 or a key of severities (nil
// means DefaultSeverityMap), and anything else is refused because, unlike
// Alertmanager, the sender is a script that can fix it. status is "firing"
// (the default) or "resolved", in any case; StartsAt is zero.
//
// A missing fingerprint is LabelsFingerprint of the labels with
// alertname=title added when labels have no alertname. So a generic alert
// carrying the same labels as an Alertmanager one gets the same fingerprint
// (one alert arriving by two paths), and one with no labels is identified by
// its title. Any bad alert refuses the body here; the webhook refuses that
// alert alone (decodeGeneric). Errors wrap ErrPayload.
func DecodeGeneric(body []byte, severities map[string]string) ([]Alert, error) {
	d, err := decodeGeneric(body, severities)
	if err != nil {
		return nil, err
	}
	return d.strict()
}

// decodeGeneric is DecodeGeneric alert by alert: an error only for a body
// wrong as a whole, each bad alert a Refusal.
func decodeGeneric(body []byte, severities map[string]string) (Delivery, error) {
	if severities == nil {
		severities = DefaultSeverityMap()
	}
	var raws []json.RawMessage
	switch firstByte(body) {
	case '{':
		if !json.Valid(body) {
			return Delivery{}, jsonProblem(json.Unmarshal(body, new(any)))
		}
		raws = []json.RawMessage{body}
	case '[':
		// The whole array in one pass; only when an alert has a wrong JSON
		// type, each alert alone, so that it is refused without the others.
		var all []genericAlert
		if err := json.Unmarshal(body, &all); err == nil {
			d := Delivery{Total: len(all), Alerts: make([]Alert, 0, len(all))}
			for i, g := range all {
				d.judgeGeneric(i, fmt.Sprintf("[%d]", i), g, severities)
			}
			return d, nil
		}
		var err error
		if raws, err = elements(body); err != nil {
			return Delivery{}, err
		}
	case 0:
		return Delivery{}, payloadErr("empty body, want an alert object {\"title\":...} or an array of them")
	default:
		if !json.Valid(body) {
			return Delivery{}, jsonProblem(json.Unmarshal(body, new(any)))
		}
		return Delivery{}, payloadErr("want an alert object {\"title\":...} or an array of them, got another JSON value")
	}
	d := Delivery{Total: len(raws), Alerts: make([]Alert, 0, len(raws))}
	for i, raw := range raws {
		at := "alert"
		if firstByte(body) == '[' {
			at = fmt.Sprintf("[%d]", i)
		}
		var g genericAlert
		if err := json.Unmarshal(raw, &g); err != nil {
			d.refuse(i, strings.TrimSpace(g.Fingerprint), elementProblem(at, err))
			continue
		}
		d.judgeGeneric(i, at, g, severities)
	}
	return d, nil
}

// judgeGeneric accepts or refuses alert i, found at at.
func (d *Delivery) judgeGeneric(i int, at string, g genericAlert, severities map[string]string) {
	a, err := g.alert(at, severities)
	if err != nil {
		d.refuse(i, g.fingerprint(), err)
		return
	}
	d.Alerts = append(d.Alerts, a)
}

// fingerprint names an alert for a refusal: as sent, or derived as an
// accepted one's would be when it has a title.
func (g genericAlert) fingerprint() string {
	if fp := strings.TrimSpace(g.Fingerprint); fp != "" {
		return fp
	}
	if title := strings.TrimSpace(g.Title); title != "" {
		labels := g.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		return genericFingerprint(title, labels)
	}
	return ""
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
	status := strings.ToLower(strings.TrimSpace(g.Status))
	switch status {
	case "":
		status = StatusFiring
	case StatusFiring, StatusResolved:
	default:
		return Alert{}, payloadErr("%s.status: %q, want \"firing\" or \"resolved\" (or leave it out for firing)", at, g.Status)
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
	source := oneLine(g.Source)
	if source == "" {
		source = SourceWebhook
	}
	return Alert{
		Fingerprint: fp,
		Title:       oneLine(title), // the fingerprint above is the raw title's, as it always was
		Source:      source,
		Severity:    sev,
		Status:      status,
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
