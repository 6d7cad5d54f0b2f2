package watch

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeAlertmanagerFixture(t *testing.T) {
	alerts, err := DecodeAlertmanager(readFixture(t, "alertmanager.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 {
		t.Fatalf("got %d alerts, want 2", len(alerts))
	}
	fire, res := alerts[0], alerts[1]
	if fire.Fingerprint != "bb99f42553862d2c" || fire.Title != "bridge-api is failing 12% of requests" ||
		fire.Source != SourceAlertmanager || fire.Severity != "P1" || fire.Status != StatusFiring {
		t.Errorf("firing alert decoded as %+v", fire)
	}
	if want := time.Date(2025, 3, 14, 9, 26, 53, 589e6, time.UTC); !fire.StartsAt.Equal(want) {
		t.Errorf("startsAt %v, want %v", fire.StartsAt, want)
	}
	if !fire.EndsAt.IsZero() {
		t.Errorf("firing endsAt %v, want the zero time", fire.EndsAt)
	}
	if fire.Labels["service"] != "bridge-api" || !strings.HasPrefix(fire.GeneratorURL, "http://prometheus-0:9090/graph") {
		t.Errorf("labels or generatorURL lost: %+v", fire)
	}
	// No summary: the title falls back to alertname.
	if res.Title != "OracleStale" || res.Status != StatusResolved || res.Severity != "P3" || res.EndsAt.IsZero() {
		t.Errorf("resolved alert decoded as %+v", res)
	}
	// The fixture's fingerprints are Alertmanager's, so deriving must agree.
	for _, a := range alerts {
		if got := LabelsFingerprint(a.Labels); got != a.Fingerprint {
			t.Errorf("%s: derived %s, Alertmanager sent %s", a.Title, got, a.Fingerprint)
		}
	}
}

func TestDecodeAlertmanagerMissingFingerprintIsDerived(t *testing.T) {
	body := strings.Replace(string(readFixture(t, "alertmanager.json")), `"fingerprint": "bb99f42553862d2c"`, `"fingerprint": ""`, 1)
	body = strings.Replace(body, `"fingerprint": "7046fd6cff91730f"`, `"other": 1`, 1)
	alerts, err := DecodeAlertmanager([]byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if alerts[0].Fingerprint != "bb99f42553862d2c" || alerts[1].Fingerprint != "7046fd6cff91730f" {
		t.Errorf("derived %s and %s, want Alertmanager's bb99f42553862d2c and 7046fd6cff91730f",
			alerts[0].Fingerprint, alerts[1].Fingerprint)
	}
}

func TestDecodeAlertmanagerSeverity(t *testing.T) {
	custom := map[string]string{"page": "P1", "ticket": "P4"}
	for _, tc := range []struct {
		label string
		m     map[string]string
		want  string
	}{
		{"critical", nil, "P1"},
		{"HIGH", nil, "P2"},
		{"error", nil, "P2"},
		{"warning", nil, "P3"},
		{"info", nil, "P4"},
		{"p2", nil, "P2"},
		{"", nil, ""},
		{"bogus", nil, ""}, // unknown: kept as a label, never refuses the group
		{"page", custom, "P1"},
		{"critical", custom, ""},
	} {
		body := `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","severity":"` + tc.label + `"}}]}`
		alerts, err := DecodeAlertmanager([]byte(body), tc.m)
		if err != nil {
			t.Fatalf("%q: %v", tc.label, err)
		}
		if alerts[0].Severity != tc.want {
			t.Errorf("severity label %q with map %v: got %q, want %q", tc.label, tc.m, alerts[0].Severity, tc.want)
		}
	}
}

func TestDecodeAlertmanagerRefuses(t *testing.T) {
	valid := `{"status":"firing","labels":{"alertname":"A"},"startsAt":"2025-01-01T00:00:00Z"}`
	for _, tc := range []struct {
		name, body, reason string
	}{
		{"malformed JSON", `{"version":"4","alerts":[`, "malformed JSON"},
		{"trailing garbage", `{"version":"4","alerts":[]} x`, "malformed JSON"},
		{"not JSON", `hello`, "malformed JSON"},
		{"empty body", ``, "empty body"},
		{"array instead of object", `[` + valid + `]`, "got a JSON array"},
		{"scalar instead of object", `"alerts"`, "got another JSON value"},
		{"null", `null`, "got another JSON value"},
		{"alerts missing", `{"version":"4","status":"firing"}`, "alerts: missing"},
		{"alerts not an array", `{"version":"4","alerts":{"a":1}}`, "alerts: got a JSON object, want an array"},
		{"label value a number", `{"alerts":[{"status":"firing","labels":{"alertname":7}}]}`, "got a JSON number, want a string"},
		{"status a number", `{"alerts":[{"status":1,"labels":{"alertname":"A"}}]}`, "status: got a JSON number, want a string"},
		{"unknown version", `{"version":"5","alerts":[]}`, `version "5"`},
		{"status missing", `{"alerts":[` + valid + `,{"labels":{"alertname":"A"}}]}`, "alerts[1].status: missing"},
		{"status pending", `{"alerts":[{"status":"pending","labels":{"alertname":"A"}}]}`, `alerts[0].status: "pending"`},
		{"labels missing", `{"alerts":[{"status":"firing"}]}`, "alerts[0].labels: missing"},
		{"no title", `{"alerts":[{"status":"firing","labels":{"job":"x"}}]}`, "no annotations.summary and no labels.alertname"},
		{"bad startsAt", `{"alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"yesterday"}]}`, "alerts[0].startsAt"},
		{"long fingerprint", `{"alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"` + strings.Repeat("f", 300) + `"}]}`, "alerts[0].fingerprint: 300 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeAlertmanager([]byte(tc.body), nil)
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("got %v, want an ErrPayload", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("reason %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestDecodeAlertmanagerIgnoresUnknownFields(t *testing.T) {
	body := `{"version":"4","futureField":{"x":[1,2]},"alerts":[{"status":"firing","labels":{"alertname":"A"},` +
		`"silencedBy":["s1"],"startsAt":"2025-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}],"truncatedAlerts":0}`
	alerts, err := DecodeAlertmanager([]byte(body), nil)
	if err != nil || len(alerts) != 1 || alerts[0].Title != "A" {
		t.Fatalf("got %+v, %v", alerts, err)
	}
}

func TestDecodeAlertmanagerEmptyAlerts(t *testing.T) {
	alerts, err := DecodeAlertmanager([]byte(`{"version":"4","alerts":[]}`), nil)
	if err != nil || len(alerts) != 0 {
		t.Fatalf("got %v, %v; an empty group is accepted with nothing to store", alerts, err)
	}
}
