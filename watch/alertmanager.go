package watch

import (
	"encoding/json"
	"fmt"
	"strings"
)

// amPayload is Alertmanager's webhook body, version "4" (notify/webhook
// Message embedding template.Data). Fields we do not use are still named so
// the shape is documented in one place; unknown ones are ignored by
// encoding/json, so newer Alertmanagers keep working. A is amAlert, or
// json.RawMessage to decode each alert alone when one of them does not.
type amPayload[A any] struct {
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
	Alerts *[]A `json:"alerts"`
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
// empty (the label keeps the value, and the webhook warns) rather than
// refusing the alert, because Alertmanager does not retry a 4xx and the
// alert would be lost. Any bad entry refuses the body here; the webhook
// refuses that entry alone (decodeAlertmanager). Errors wrap ErrPayload.
func DecodeAlertmanager(body []byte, severities map[string]string) ([]Alert, error) {
	d, err := decodeAlertmanager(body, severities)
	if err != nil {
		return nil, err
	}
	return d.strict()
}

// decodeAlertmanager is DecodeAlertmanager alert by alert: an error only
// for a body wrong as a whole, each bad entry a Refusal.
func decodeAlertmanager(body []byte, severities map[string]string) (Delivery, error) {
	if severities == nil {
		severities = DefaultSeverityMap()
	}
	switch firstByte(body) {
	case '{':
	case '[':
		return Delivery{}, payloadErr("got a JSON array, want the Alertmanager webhook object {\"version\":\"4\",\"alerts\":[...]}")
	case 0:
		return Delivery{}, payloadErr("empty body, want the Alertmanager webhook object")
	default:
		if !json.Valid(body) {
			return Delivery{}, jsonProblem(json.Unmarshal(body, new(any)))
		}
		return Delivery{}, payloadErr("want the Alertmanager webhook object, got another JSON value")
	}
	// The whole body in one pass; only when an alert has a wrong JSON
	// type, each alert alone, so that it is refused without its group.
	var p amPayload[amAlert]
	if err := json.Unmarshal(body, &p); err == nil {
		if err := p.check(); err != nil {
			return Delivery{}, err
		}
		d := Delivery{Total: len(*p.Alerts), Alerts: make([]Alert, 0, len(*p.Alerts))}
		for i, a := range *p.Alerts {
			d.judgeAM(i, a, severities)
		}
		d.truncated(p.TruncatedAlerts)
		return d, nil
	}
	var raw amPayload[json.RawMessage]
	if err := json.Unmarshal(body, &raw); err != nil {
		return Delivery{}, jsonProblem(err)
	}
	if err := raw.check(); err != nil {
		return Delivery{}, err
	}
	d := Delivery{Total: len(*raw.Alerts), Alerts: make([]Alert, 0, len(*raw.Alerts))}
	for i, r := range *raw.Alerts {
		var a amAlert
		if err := json.Unmarshal(r, &a); err != nil {
			d.refuse(i, a.fingerprint(), elementProblem(fmt.Sprintf("alerts[%d]", i), err)) // a holds what decoded
			continue
		}
		d.judgeAM(i, a, severities)
	}
	d.truncated(raw.TruncatedAlerts)
	return d, nil
}

// truncated warns of the alerts Alertmanager left out of the notification
// (its webhook_config's max_alerts): they never reach tminus, and nothing
// else would say so.
func (d *Delivery) truncated(n uint64) {
	if n > 0 {
		d.Warnings = append(d.Warnings, fmt.Sprintf(
			"truncatedAlerts: Alertmanager left %d alerts of this group out of the notification (max_alerts in its webhook_config); tminus never saw them: raise max_alerts or group more finely",
			n))
	}
}

// check refuses a body wrong as a whole: another version, no alerts.
func (p amPayload[A]) check() error {
	if p.Version != "" && p.Version != "4" {
		return payloadErr("version %q: only Alertmanager webhook version \"4\" is understood", p.Version)
	}
	if p.Alerts == nil {
		return payloadErr("alerts: missing, want an array of alerts")
	}
	return nil
}

// judgeAM accepts or refuses entry i, warning about a severity the map
// does not know.
func (d *Delivery) judgeAM(i int, a amAlert, severities map[string]string) {
	at := fmt.Sprintf("alerts[%d]", i)
	alert, err := a.alert(at, severities)
	if err != nil {
		d.refuse(i, a.fingerprint(), err)
		return
	}
	if v := a.Labels["severity"]; alert.Severity == "" && strings.TrimSpace(v) != "" {
		d.Warnings = append(d.Warnings, severityWarning(at, alert.Fingerprint, v, severities))
	}
	d.Alerts = append(d.Alerts, alert)
}

// fingerprint names an entry for a refusal: as sent, or derived from its
// labels as Alertmanager would.
func (a amAlert) fingerprint() string {
	if fp := strings.TrimSpace(a.Fingerprint); fp != "" || len(a.Labels) == 0 {
		return fp
	}
	return LabelsFingerprint(a.Labels)
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
	title := oneLine(a.Annotations["summary"])
	if title == "" {
		title = oneLine(a.Labels["alertname"])
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
