package watch

import (
	"errors"
	"strings"
	"testing"
)

// A script that posts {"title":...,"status":"resolved"} to POST /alert
// meant to resolve its alert; the field was ignored and the alert stored
// firing, the opposite. status is now read: "firing" (or absent) and
// "resolved", anything else refused for that alert, as alert raise
// --resolved does for a person.
func TestDecodeGenericStatus(t *testing.T) {
	for _, tc := range []struct {
		name, body, status string
	}{
		{"absent", `{"title":"x"}`, StatusFiring},
		{"firing", `{"title":"x","status":"firing"}`, StatusFiring},
		{"resolved", `{"title":"x","status":"resolved"}`, StatusResolved},
		{"any case and spaces", `{"title":"x","status":" Resolved "}`, StatusResolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeGeneric([]byte(tc.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Status != tc.status {
				t.Fatalf("got %+v, want one alert %s", got, tc.status)
			}
		})
	}
	for _, tc := range []struct{ name, body, reason string }{
		{"unknown", `{"title":"x","status":"ok"}`, `alert.status: "ok", want "firing" or "resolved"`},
		{"a number", `[{"title":"x","status":1}]`, "[0].status: got a JSON number, want a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGeneric([]byte(tc.body), nil)
			if !errors.Is(err, ErrPayload) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want an ErrPayload saying %q", err, tc.reason)
			}
		})
	}
}

// Firing, resolved, firing again through POST /alert: each is stored and
// the last word is firing (none is taken for a resend of another).
func TestWebhookGenericResolveThenFire(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	fp := LabelsFingerprint(map[string]string{"alertname": "Disk"})
	for _, status := range []string{"firing", "resolved", "firing"} {
		r := post(t, srv.URL+"/alert", "", `{"title":"Disk","status":"`+status+`"}`)
		if st, _ := r.stored(); r.code != 200 || st != 1 {
			t.Fatalf("%s: got %d %v, want stored 1", status, r.code, r.body)
		}
		if got := lastStatus(sink, fp); got != status {
			t.Fatalf("after %s the store says %q", status, got)
		}
	}
}
