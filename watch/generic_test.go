package watch

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeGeneric(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []Alert
	}{
		{"one object", `{"title":"Bridge paused","severity":"P1","source":"ops-bot","fingerprint":"abc","labels":{"chain":"eth"}}`,
			[]Alert{{Fingerprint: "abc", Title: "Bridge paused", Source: "ops-bot", Severity: "P1", Status: StatusFiring, Labels: map[string]string{"chain": "eth"}}}},
		{"array", `[{"title":"a"},{"title":"b","severity":"critical"}]`,
			[]Alert{
				{Fingerprint: LabelsFingerprint(map[string]string{"alertname": "a"}), Title: "a", Source: SourceWebhook, Status: StatusFiring, Labels: map[string]string{}},
				{Fingerprint: LabelsFingerprint(map[string]string{"alertname": "b"}), Title: "b", Source: SourceWebhook, Severity: "P1", Status: StatusFiring, Labels: map[string]string{}},
			}},
		// With an alertname label, the fingerprint is the labels' alone, as
		// Alertmanager computes it, so both paths name the same alert.
		{"same as alertmanager", `{"title":"bridge-api is failing","labels":{"alertname":"HighErrorRate","chain":"ethereum","instance":"api-1.prod:9090","job":"api","service":"bridge-api","severity":"critical"}}`,
			[]Alert{{Fingerprint: "bb99f42553862d2c", Title: "bridge-api is failing", Source: SourceWebhook, Status: StatusFiring,
				Labels: map[string]string{"alertname": "HighErrorRate", "chain": "ethereum", "instance": "api-1.prod:9090", "job": "api", "service": "bridge-api", "severity": "critical"}}}},
		{"unknown fields ignored", `{"title":"x","extra":{"deep":[1]},"severity":"p4"}`,
			[]Alert{{Fingerprint: LabelsFingerprint(map[string]string{"alertname": "x"}), Title: "x", Source: SourceWebhook, Severity: "P4", Status: StatusFiring, Labels: map[string]string{}}}},
		{"empty array", `[]`, []Alert{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeGeneric([]byte(tc.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d alerts, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !sameAlert(got[i], tc.want[i]) {
					t.Errorf("alert %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDecodeGenericRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, body, reason string
	}{
		{"malformed JSON", `{"title":`, "malformed JSON"},
		{"number", `42`, "got another JSON value"},
		{"empty body", ` `, "empty body"},
		{"title missing", `{"severity":"P1"}`, "alert.title: missing"},
		{"title blank", `[{"title":"ok"},{"title":"  "}]`, "[1].title: missing"},
		{"title a number", `{"title":5}`, "title: got a JSON number, want a string"},
		{"labels an array", `{"title":"x","labels":["a"]}`, "labels: got a JSON array, want an object"},
		{"array of arrays", `[[{"title":"x"}]]`, "got a JSON array, want an object"},
		{"bad severity", `{"title":"x","severity":"urgent"}`, `severity: "urgent", want one of P1, P2, P3, P4, critical`},
		{"P5", `{"title":"x","severity":"P5"}`, `"P5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGeneric([]byte(tc.body), nil)
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("got %v, want an ErrPayload", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("reason %q does not say %q", err, tc.reason)
			}
		})
	}
}

func sameAlert(a, b Alert) bool {
	if a.Fingerprint != b.Fingerprint || a.Title != b.Title || a.Source != b.Source || a.Severity != b.Severity ||
		a.Status != b.Status || !a.StartsAt.Equal(b.StartsAt) || !a.EndsAt.Equal(b.EndsAt) ||
		a.GeneratorURL != b.GeneratorURL || a.Reorged != b.Reorged || len(a.Labels) != len(b.Labels) {
		return false
	}
	for k, v := range a.Labels {
		if bv, ok := b.Labels[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
