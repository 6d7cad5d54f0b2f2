package watch

import (
	"bytes"
	"strings"
	"testing"
)

// Alertmanager cuts a group's notification at the webhook_config's
// max_alerts and says how many it left out in truncatedAlerts. Those alerts
// never reach tminus: the answer warns and serve's log says so, where it
// used to store the rest without a word.
func TestWebhookWarnsOfTruncatedAlerts(t *testing.T) {
	var log bytes.Buffer
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{Log: &log})
	for _, tc := range []struct {
		name, body string
		warn       bool
	}{
		{"none truncated", `{"version":"4","truncatedAlerts":0,"alerts":[{"status":"firing","labels":{"alertname":"A"}}]}`, false},
		{"seven truncated", `{"version":"4","truncatedAlerts":7,"alerts":[{"status":"firing","labels":{"alertname":"B"}}]}`, true},
		{"seven truncated, an alert of a wrong type", `{"version":"4","truncatedAlerts":7,"alerts":[` +
			`{"status":"firing","labels":{"alertname":"C"}},{"status":1}]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.Reset()
			r := post(t, srv.URL+"/alertmanager", "", tc.body)
			if st, _ := r.stored(); st != 1 {
				t.Fatalf("got %d %v, want the one good alert stored", r.code, r.body)
			}
			warnings, _ := r.body["warnings"].([]any)
			said := len(warnings) == 1 && strings.Contains(warnings[0].(string), "left 7 alerts") &&
				strings.Contains(warnings[0].(string), "max_alerts")
			if said != tc.warn || (len(warnings) > 0) != tc.warn {
				t.Errorf("warnings %v, want a truncation warning: %v", warnings, tc.warn)
			}
			if logged := strings.Contains(log.String(), "left 7 alerts"); logged != tc.warn {
				t.Errorf("log %q, want the truncation logged: %v", log.String(), tc.warn)
			}
		})
	}
}
