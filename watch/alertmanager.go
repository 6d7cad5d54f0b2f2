package watch

import (
	"encoding/json"
	"fmt"
	"strings"
)

// amPayload is Alertmanager's webhook body, version "4" (notify/webhook
// Message embedding template.Data). Fields we do not use are still named so
// the shape is documented in one place; unknown ones are ignored by
// encoding/json, so newer Alertmanagers keep working.
type amPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	// A pointer tells a missing "alerts" (a sender bug) from an empty one.
	Alerts *[]amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	// Times are parsed by hand so a bad one is reported with its index.
	StartsAt     string `json:"startsAt"`
	EndsAt       string `json:"endsAt"`
	GeneratorURL string `json:"generatorURL"`
	Fingerprint  string `json:"fingerprint"`
}

// SourceAlertmanager is the Source of alerts decoded from Alertmanager.
const SourceAlertmanager = "alertmanager"

// DecodeAlertmanager decodes one Alertmanager webhook body into one Alert per
// entry of alerts[]. Title is annotations.summary, else labels.alertname; a
// missing fingerprint is derived with LabelsFingerprint, as Alertmanager
// would. Severity comes from the `severity` label through severities (nil
// means DefaultSeverityMap); a value the map does not know leaves Severity
// empty rather than refusing the batch, because Alertmanager does not retry
// a 4xx and the whole group would be lost. Errors wrap ErrPayload.
func DecodeAlertmanager(body []byte, severities map[string]string) ([]Alert, error) {
	if severities == nil {
		severities = DefaultSeverityMap()
	}
	switch firstByte(body) {
	case '{':
	case '[':
		return nil, payloadErr("got a JSON array, want the Alertmanager webhook object {\"version\":\"4\",\"alerts\":[...]}")
	case 0:
		return nil, payloadErr("empty body, want the Alertmanager webhook object")
	default:
		if !json.Valid(body) {
			return nil, jsonProblem(json.Unmarshal(body, new(any)))
		}
		return nil, payloadErr("want the Alertmanager webhook object, got another JSON value")
	}
	var p amPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, jsonProblem(err)
	}
	if p.Version != "" && p.Version != "4" {
		return nil, payloadErr("version %q: only Alertmanager webhook version \"4\" is understood", p.Version)
	}
	if p.Alerts == nil {
		return nil, payloadErr("alerts: missing, want an array of alerts")
	}
	out := make([]Alert, 0, len(*p.Alerts))
	for i, a := range *p.Alerts {
		alert, err := a.alert(fmt.Sprintf("alerts[%d]", i), severities)
		if err != nil {
			return nil, err
		}
		out = append(out, alert)
	}
	return out, nil
}

func (a amAlert) alert(at string, severities map[string]string) (Alert, error) {
	if a.Status != StatusFiring && a.Status != StatusResolved {
		if a.Status == "" {
			return Alert{}, payloadErr("%s.status: missing, want \"firing\" or \"resolved\"", at)
		}
		return Alert{}, payloadErr("%s.status: %q, want \"firing\" or \"resolved\"", at, a.Status)
	}
	if len(a.Labels) == 0 {
		return Alert{}, payloadErr("%s.labels: missing or empty (Alertmanager always sends at least alertname)", at)
	}
	title := strings.TrimSpace(a.Annotations["summary"])
	if title == "" {
		title = strings.TrimSpace(a.Labels["alertname"])
	}
	if title == "" {
		return Alert{}, payloadErr("%s: no annotations.summary and no labels.alertname to title it", at)
	}
	starts, err := parseTime(at+".startsAt", a.StartsAt)
	if err != nil {
		return Alert{}, err
	}
	ends, err := parseTime(at+".endsAt", a.EndsAt)
	if err != nil {
		return Alert{}, err
	}
	fp, err := checkFingerprint(at+".fingerprint", a.Fingerprint)
	if err != nil {
		return Alert{}, err
	}
	if fp == "" {
		fp = LabelsFingerprint(a.Labels)
	}
	sev, _ := mapSeverity(a.Labels["severity"], severities)
	return Alert{
		Fingerprint:  fp,
		Title:        title,
		Source:       SourceAlertmanager,
		Severity:     sev,
		Status:       a.Status,
		Labels:       a.Labels,
		StartsAt:     starts,
		EndsAt:       ends,
		GeneratorURL: a.GeneratorURL,
	}, nil
}
