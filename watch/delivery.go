package watch

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Delivery is one webhook body decoded alert by alert. Only a body that is
// wrong as a whole (not JSON, the wrong shape, an unknown version) is
// refused whole; an alert that is wrong on its own is refused alone, so the
// good alerts of its delivery are stored: Alertmanager does not retry a 4xx,
// and refusing the whole group lost them.
type Delivery struct {
	Total    int       // entries in the body
	Alerts   []Alert   // those that decoded, in body order
	Refused  []Refusal // those that did not, in body order
	Warnings []string  // what was accepted but is worth a look (an unmapped severity)
}

// Refusal is one alert of a delivery that is not stored, and why.
type Refusal struct {
	Index       int    `json:"index"`       // its position in the body's alerts, from 0
	Fingerprint string `json:"fingerprint"` // as sent or derived; "" when unreadable
	Reason      string `json:"reason"`
	err         error
}

// strict is a delivery as the exported decoders return it: the first
// refusal refuses everything.
func (d Delivery) strict() ([]Alert, error) {
	if len(d.Refused) > 0 {
		return nil, d.Refused[0].err
	}
	return d.Alerts, nil
}

func (d *Delivery) refuse(i int, fp string, err error) {
	d.Refused = append(d.Refused, Refusal{Index: i, Fingerprint: cutFingerprint(fp), Reason: err.Error(), err: err})
}

// cutFingerprint keeps a refused alert's fingerprint short enough to echo:
// one too long is itself a reason for refusal.
func cutFingerprint(fp string) string {
	if len(fp) <= maxFingerprintLen {
		return fp
	}
	return quoteShort(fp)
}

// elementProblem is jsonProblem for one entry of a body's alerts, at the
// entry's path (alerts[3], [3] or alert).
func elementProblem(at string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := at
		if te.Field != "" {
			field += "." + te.Field
		}
		return payloadErr("%s: got a JSON %s, want %s", field, te.Value, jsonKind(te.Type))
	}
	return payloadErr("%s: %v", at, err)
}

// elements splits a JSON array into its entries, so that each is decoded
// (and refused) alone.
func elements(body []byte) ([]json.RawMessage, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, jsonProblem(err)
	}
	return raw, nil
}

// severityWarning says that an alert's severity means nothing to the map,
// so it is stored without one.
func severityWarning(at, fp, value string, severities map[string]string) string {
	return fmt.Sprintf("%s (fingerprint %s): severity %s is not one of %s (the severity map); stored without a severity, the value kept in its labels",
		at, quoteShort(fp), quoteShort(value), severityNames(severities))
}
