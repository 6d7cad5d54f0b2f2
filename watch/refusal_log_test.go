package watch

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Alertmanager logs a refused notification as "unexpected status code 413"
// and the receiver's URL, never the answer's body (notify/webhook checks
// the status with no body), and does not resend a 4xx. So a delivery
// refused whole must be said on serve's stderr with its reason, or nobody
// learns why a group never arrived: a body over the limit, a version the
// webhook does not read, a wrong token, a store that failed.
func TestWebhookLogsWholeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, path, token, body string
		sinkErr                 error
		code                    int
		logged                  []string
	}{
		{"not JSON", "/alertmanager", "Bearer t", "garbage", nil, http.StatusBadRequest,
			[]string{"webhook /alertmanager: refused a delivery", "400", "malformed JSON"}},
		{"another version", "/alertmanager", "Bearer t", `{"version":"5","alerts":[]}`, nil, http.StatusBadRequest,
			[]string{"400", `version "5"`}},
		{"oversized", "/alertmanager", "Bearer t", `{"version":"4","alerts":[],"x":"` + strings.Repeat("x", 2048) + `"}`, nil,
			http.StatusRequestEntityTooLarge, []string{"413", "body over 1024 bytes", "max_alerts"}},
		{"too many alerts", "/alert", "Bearer t", `[{"title":"a"},{"title":"b"},{"title":"c"}]`, nil,
			http.StatusRequestEntityTooLarge, []string{"413", "3 alerts in one body, at most 2", "max_alerts"}},
		{"wrong token", "/alert", "Bearer nope", `{"title":"a"}`, nil, http.StatusUnauthorized,
			[]string{"401", "bearer token"}},
		{"store failed", "/alert", "Bearer t", `{"title":"a"}`, errors.New("disk full"), http.StatusInternalServerError,
			[]string{"500", "disk full"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log lockedBuffer
			srv := serve(t, &recordingSink{err: tc.sinkErr}, HandlerOptions{Token: "t", MaxBody: 1024, MaxAlerts: 2, Log: &log})
			r := post(t, srv.URL+tc.path, tc.token, tc.body)
			if r.code != tc.code {
				t.Fatalf("got %d %v, want %d", r.code, r.body, tc.code)
			}
			got := log.String()
			for _, want := range append(tc.logged, "webhook "+tc.path+": refused a delivery from 127.0.0.1") {
				if !strings.Contains(got, want) {
					t.Errorf("log %q does not say %q", got, want)
				}
			}
			if strings.Count(got, "\n") != 1 {
				t.Errorf("log %q, want one line", got)
			}
		})
	}
}

// A delivery with a refused alert is answered 400 after its good alerts are
// stored. Alertmanager does not resend a 4xx, so nothing is stored twice;
// a sender that does resend it gets the same answer, its good alerts
// counted as duplicates, not stored again.
func TestWebhookPartialRefusalResentStoresNothingTwice(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	body := `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"a"},` +
		`{"status":"pending","labels":{"alertname":"B"},"fingerprint":"b"}]}`
	for i, want := range [][2]int{{1, 0}, {0, 1}} {
		r := post(t, srv.URL+"/alertmanager", "", body)
		if st, d := r.stored(); r.code != http.StatusBadRequest || st != want[0] || d != want[1] {
			t.Fatalf("delivery %d: got %d %v, want 400 stored %d duplicates %d", i+1, r.code, r.body, want[0], want[1])
		}
	}
	if _, alerts := sink.stored(); len(alerts) != 1 || alerts[0].Fingerprint != "a" {
		t.Fatalf("stored %+v, want alert a once", alerts)
	}
}
