package watch

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a Log a handler writes from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// One bad alert is refused alone; the good alerts of its delivery are
// stored and the answer names each refused one and why. A body wrong as a
// whole still refuses everything. An Alertmanager severity the map does
// not know is stored without a severity, with a warning.
func TestWebhookJudgesEachAlert(t *testing.T) {
	am := func(alerts ...string) string { return `{"version":"4","alerts":[` + strings.Join(alerts, ",") + `]}` }
	good := func(fp string) string {
		return `{"status":"firing","labels":{"alertname":"A-` + fp + `"},"fingerprint":"` + fp + `"}`
	}
	derived := LabelsFingerprint(map[string]string{"alertname": "When"})
	longFP := strings.Repeat("f", 300)
	type refusal struct {
		index       int
		fingerprint string
		reason      string
	}
	for _, tc := range []struct {
		name, path, body string
		code             int
		stored           []string // fingerprints, in order
		refused          []refusal
		error            string // in the answer's error
		warning          string // in the answer's warnings and the log
	}{
		{name: "all good", path: "/alertmanager", body: am(good("a"), good("b")), code: 200, stored: []string{"a", "b"}},
		{name: "bad status between good ones", path: "/alertmanager",
			body: am(good("a"), `{"status":"pending","labels":{"alertname":"P"},"fingerprint":"p"}`, good("c")),
			code: 400, stored: []string{"a", "c"}, refused: []refusal{{1, "p", `alerts[1].status: "pending"`}},
			error: `alert 2 of 3 (fingerprint "p"): invalid payload: alerts[1].status: "pending", want "firing" or "resolved"; 1 of 3 refused, the rest were stored`},
		{name: "wrong JSON type in one alert", path: "/alertmanager",
			body: am(`{"status":"firing","labels":{"alertname":7},"fingerprint":"typed"}`, good("b")),
			code: 400, stored: []string{"b"}, refused: []refusal{{0, "typed", "alerts[0].labels: got a JSON number, want a string"}},
			error: "alert 1 of 2",
		},
		{name: "bad time, fingerprint derived from labels", path: "/alertmanager",
			body: am(good("a"), `{"status":"firing","labels":{"alertname":"When"},"startsAt":"yesterday"}`),
			code: 400, stored: []string{"a"}, refused: []refusal{{1, derived, "alerts[1].startsAt"}}},
		{name: "null and untitled", path: "/alertmanager", body: am(`null`, `{"status":"firing","labels":{"job":"x"}}`),
			code: 400, refused: []refusal{{0, "", "alerts[0].status: missing"}, {1, LabelsFingerprint(map[string]string{"job": "x"}), "no annotations.summary"}},
			error: "2 of 2 refused, none were stored"},
		{name: "long fingerprint echoed cut", path: "/alertmanager", body: am(`{"status":"firing","labels":{"alertname":"L"},"fingerprint":"` + longFP + `"}`),
			code: 400, refused: []refusal{{0, quoteShort(longFP), "300 bytes, at most 256"}}},
		{name: "unknown severity kept, warned", path: "/alertmanager",
			body: am(`{"status":"firing","labels":{"alertname":"S","severity":"sev9"},"fingerprint":"s"}`, good("b")),
			code: 200, stored: []string{"s", "b"},
			warning: `alerts[0] (fingerprint "s"): severity "sev9" is not one of P1, P2, P3, P4, critical, error, high, info, warning (the severity map); stored without a severity`},
		{name: "whole body malformed", path: "/alertmanager", body: `{"version":"4","alerts":[` + good("a"), code: 400, error: "malformed JSON"},
		{name: "whole body wrong version", path: "/alertmanager", body: `{"version":"5","alerts":[` + good("a") + `]}`, code: 400, error: `version "5"`},

		{name: "generic: unknown severity refused alone", path: "/alert",
			body: `[{"title":"ok","fingerprint":"g1"},{"title":"bad","severity":"urgent","fingerprint":"g2"}]`,
			code: 400, stored: []string{"g1"}, refused: []refusal{{1, "g2", `[1].severity: "urgent", want one of P1, P2, P3, P4, critical, error, high, info, warning`}}},
		{name: "generic: one object refused", path: "/alert", body: `{"title":"bad","severity":"P5","fingerprint":"g3"}`,
			code: 400, refused: []refusal{{0, "g3", `alert.severity: "P5"`}}, error: "1 of 1 refused, none were stored"},
		{name: "generic: a number among objects", path: "/alert", body: `[{"title":"ok","fingerprint":"g4"},5]`,
			code: 400, stored: []string{"g4"}, refused: []refusal{{1, "", "[1]: got a JSON number, want an object"}}},
		{name: "generic: untitled, fingerprint as sent", path: "/alert", body: `[{"fingerprint":"g5"},{"title":"ok","fingerprint":"g6"}]`,
			code: 400, stored: []string{"g6"}, refused: []refusal{{0, "g5", "[0].title: missing"}}},
		{name: "generic: whole body malformed", path: "/alert", body: `[{"title":"ok"}`, code: 400, error: "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordingSink{}
			var log lockedBuffer
			srv := serve(t, sink, HandlerOptions{Log: &log})
			r := post(t, srv.URL+tc.path, "", tc.body)
			if r.code != tc.code {
				t.Fatalf("got %d %v, want %d", r.code, r.body, tc.code)
			}
			if !strings.Contains(r.reason(), tc.error) {
				t.Errorf("error %q, want %q", r.reason(), tc.error)
			}
			_, alerts := sink.stored()
			var fps []string
			for _, a := range alerts {
				fps = append(fps, a.Fingerprint)
			}
			if fmt.Sprint(fps) != fmt.Sprint(tc.stored) {
				t.Errorf("stored %v, want %v", fps, tc.stored)
			}
			if s, _ := r.stored(); (r.body["stored"] != nil || len(tc.stored) > 0) && s != len(tc.stored) {
				t.Errorf("answer says stored %d, want %d", s, len(tc.stored))
			}
			got, _ := r.body["refused"].([]any)
			if len(got) != len(tc.refused) {
				t.Fatalf("refused %v, want %d", r.body["refused"], len(tc.refused))
			}
			for i, want := range tc.refused {
				g := got[i].(map[string]any)
				if g["index"] != float64(want.index) || g["fingerprint"] != want.fingerprint || !strings.Contains(g["reason"].(string), want.reason) {
					t.Errorf("refused[%d] = %v, want %+v", i, g, want)
				}
				if !strings.Contains(log.String(), fmt.Sprintf("refused alert %d of", want.index+1)) {
					t.Errorf("log does not name refused alert %d:\n%s", want.index+1, log.String())
				}
			}
			warnings := fmt.Sprint(r.body["warnings"])
			if tc.warning == "" && r.body["warnings"] != nil || !strings.Contains(warnings, tc.warning) || !strings.Contains(log.String(), tc.warning) {
				t.Errorf("warnings %s, log %q; want %q", warnings, log.String(), tc.warning)
			}
		})
	}
}

// An alert stored without a severity keeps the sender's value in its
// labels, where the cockpit and alert list show it.
func TestUnmappedSeverityStaysInLabels(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	r := post(t, srv.URL+"/alertmanager", "", `{"alerts":[{"status":"firing","labels":{"alertname":"S","severity":"Sev-9"}}]}`)
	if r.code != http.StatusOK {
		t.Fatalf("got %d %v", r.code, r.body)
	}
	if _, alerts := sink.stored(); len(alerts) != 1 || alerts[0].Severity != "" || alerts[0].Labels["severity"] != "Sev-9" {
		t.Errorf("stored %+v, want no severity and the label kept", alerts)
	}
}

// FuzzDelivery holds the alert-by-alert decoders to their contract: every
// entry is either accepted or refused, in body order, refusals wrap
// ErrPayload, and the strict decoders refuse exactly when one was refused.
func FuzzDelivery(f *testing.F) {
	for _, s := range []string{
		`{"alerts":[{"status":"firing","labels":{"alertname":"A"}},{"status":"x"},null,5]}`,
		`{"alerts":[{"status":"firing","labels":{"alertname":"A","severity":"sev9"}}]}`,
		`[{"title":"a"},{"title":"b","severity":"urgent"},[],{"title":5}]`,
		`{"title":"x"}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dec := range []struct {
			name   string
			each   decoder
			strict func([]byte, map[string]string) ([]Alert, error)
		}{{"alertmanager", decodeAlertmanager, DecodeAlertmanager}, {"generic", decodeGeneric, DecodeGeneric}} {
			d, err := dec.each(body, nil)
			_, strictErr := dec.strict(body, nil)
			if err != nil {
				if !errors.Is(err, ErrPayload) || strictErr == nil {
					t.Fatalf("%s: body refusal %v (strict %v)", dec.name, err, strictErr)
				}
				continue
			}
			if len(d.Alerts)+len(d.Refused) != d.Total {
				t.Fatalf("%s: %d accepted + %d refused != %d entries", dec.name, len(d.Alerts), len(d.Refused), d.Total)
			}
			checkAccepted(t, d.Alerts)
			for i, r := range d.Refused {
				if r.Index < 0 || r.Index >= d.Total || (i > 0 && r.Index <= d.Refused[i-1].Index) || !errors.Is(r.err, ErrPayload) {
					t.Fatalf("%s: refusal %d %+v out of order or not ErrPayload", dec.name, i, r)
				}
				if len(r.Fingerprint) > maxFingerprintLen+8 {
					t.Fatalf("%s: refusal echoes a %d-byte fingerprint", dec.name, len(r.Fingerprint))
				}
			}
			if (strictErr != nil) != (len(d.Refused) > 0) {
				t.Fatalf("%s: strict error %v with %d refusals", dec.name, strictErr, len(d.Refused))
			}
		}
	})
}

// A Checker's refusals name the alert's place in the body, counting the
// alerts the decoder refused before it, and join them in body order.
func TestWebhookCheckerRefusalsKeepBodyOrder(t *testing.T) {
	sink := &checkingSink{max: 1}
	srv := serve(t, sink, HandlerOptions{})
	body := `[{"fingerprint":"untitled"},{"title":"many","fingerprint":"c1","labels":{"a":"1","b":"2"}},` +
		`{"title":"ok","fingerprint":"ok"},{"title":5,"fingerprint":"typed"},{"title":"many2","fingerprint":"c2","labels":{"a":"1","b":"2"}}]`
	r := post(t, srv.URL+"/alert", "", body)
	want := "[map[fingerprint:untitled index:0 reason:invalid payload: [0].title: missing or empty, every alert needs a title] " +
		"map[fingerprint:c1 index:1 reason:2 labels, limit 1] " +
		"map[fingerprint:typed index:3 reason:invalid payload: [3].title: got a JSON number, want a string] " +
		"map[fingerprint:c2 index:4 reason:2 labels, limit 1]]"
	if r.code != http.StatusBadRequest || fmt.Sprint(r.body["refused"]) != want {
		t.Fatalf("got %d %v\nwant refused %s", r.code, r.body, want)
	}
	if _, alerts := sink.stored(); len(alerts) != 1 || alerts[0].Fingerprint != "ok" {
		t.Errorf("stored %+v, want ok alone", alerts)
	}
}

// namingSink refuses every alert, repeating a label name as it came.
type namingSink struct{ recordingSink }

func (s *namingSink) Check(a Alert) error {
	for k := range a.Labels {
		return fmt.Errorf("label %s is not allowed", k)
	}
	return nil
}

// A label name with a newline cannot forge a line of the webhook's log.
func TestWebhookLogIsOneLineAnAlert(t *testing.T) {
	var log lockedBuffer
	srv := serve(t, &namingSink{}, HandlerOptions{Log: &log})
	r := post(t, srv.URL+"/alert", "", `{"title":"x","labels":{"a\nwebhook /alert: forged":"v"}}`)
	if r.code != http.StatusBadRequest {
		t.Fatalf("got %d %v", r.code, r.body)
	}
	if got := log.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `a\nwebhook /alert: forged`) {
		t.Errorf("log %q, want one line with the newline escaped", got)
	}
}
