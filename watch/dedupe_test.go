package watch

import (
	"testing"
	"time"
)

// A resend is a repeat of what was last stored for a fingerprint, not of
// anything stored within the window: Alertmanager resolves an alert on a
// timeout (Prometheus silent past endsAt) and sends it firing again, same
// startsAt, once Prometheus is back. Dropping that as a duplicate left the
// alert resolved while it fired, until the next repeat_interval (4h).
func TestWebhookRefireAfterResolveIsStored(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{Now: func() time.Time { return now }, DedupeWindow: time.Hour})
	am := func(status, fp string) string {
		return `{"version":"4","groupKey":"{}:{alertname=\"A\"}","status":"` + status + `","alerts":[{"status":"` + status +
			`","labels":{"alertname":"A"},"startsAt":"2025-03-14T09:00:00Z","fingerprint":"` + fp + `"}]}`
	}
	steps := []struct {
		name, body  string
		stored, dup int
		status      string // what the sink last stored for the fingerprint
	}{
		{"firing", am("firing", "f1"), 1, 0, "firing"},
		{"repeat", am("firing", "f1"), 0, 1, "firing"},
		{"resolved", am("resolved", "f1"), 1, 0, "resolved"},
		{"firing again, same startsAt", am("firing", "f1"), 1, 0, "firing"},
		{"resolved again", am("resolved", "f1"), 1, 0, "resolved"},
		{"resolved repeat", am("resolved", "f1"), 0, 1, "resolved"},
		{"another alert's firing does not hide f1's", am("firing", "f2"), 1, 0, "resolved"},
	}
	for _, s := range steps {
		now = now.Add(time.Second)
		r := post(t, srv.URL+"/alertmanager", "", s.body)
		if st, d := r.stored(); r.code != 200 || st != s.stored || d != s.dup {
			t.Fatalf("%s: got %d %v, want stored %d duplicates %d", s.name, r.code, r.body, s.stored, s.dup)
		}
		if got := lastStatus(sink, "f1"); got != s.status {
			t.Fatalf("%s: f1 is %q in the store, want %q", s.name, got, s.status)
		}
	}
}

// One body may say firing then resolved for one fingerprint: both are
// stored, in order, and only an exact repeat is collapsed.
func TestWebhookBatchKeepsEachChange(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	alert := func(status string) string {
		return `{"status":"` + status + `","labels":{"alertname":"A"},"startsAt":"2025-03-14T09:00:00Z","fingerprint":"f1"}`
	}
	body := `{"version":"4","alerts":[` + alert("firing") + `,` + alert("firing") + `,` + alert("resolved") + `,` +
		alert("firing") + `]}`
	r := post(t, srv.URL+"/alertmanager", "", body)
	if st, d := r.stored(); r.code != 200 || st != 3 || d != 1 {
		t.Fatalf("got %d %v, want stored 3 duplicates 1", r.code, r.body)
	}
	if got := lastStatus(sink, "f1"); got != StatusFiring {
		t.Fatalf("f1 is %q in the store, want firing (the body's last word)", got)
	}
}

func lastStatus(s *recordingSink, fp string) string {
	_, alerts := s.stored()
	status := ""
	for _, a := range alerts {
		if a.Fingerprint == fp {
			status = a.Status
		}
	}
	return status
}

// Alertmanager re-sends a whole group every group_interval (default 5m)
// whenever one of its alerts changes: the unchanged ones come again each
// time. With a window of exactly 5m each of them was stored again on every
// notification, an event per alert per 5m for as long as the group churned.
// Over an hour of a three-alert group with one alert flapping, the two
// steady alerts are stored once (and again only after the window), the
// flapping one at each change.
func TestWebhookGroupResendsAreDuplicates(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{Now: func() time.Time { return now }}) // the default window
	alert := func(fp, status string) string {
		return `{"status":"` + status + `","labels":{"alertname":"` + fp + `"},"startsAt":"2025-03-14T09:00:00Z","fingerprint":"` + fp + `"}`
	}
	stored := map[string]int{}
	for i := 0; i < 12; i++ { // an hour of notifications, 5m apart
		flap := "firing"
		if i%2 == 1 {
			flap = "resolved"
		}
		body := `{"version":"4","groupKey":"{}:{job=\"api\"}","status":"firing","alerts":[` +
			alert("steady-1", "firing") + "," + alert("steady-2", "firing") + "," + alert("flap", flap) + `]}`
		if r := post(t, srv.URL+"/alertmanager", "", body); r.code != 200 {
			t.Fatalf("notification %d: %d %v", i, r.code, r.body)
		}
		now = now.Add(5*time.Minute + time.Second)
	}
	_, alerts := sink.stored()
	for _, a := range alerts {
		stored[a.Fingerprint]++
	}
	if stored["steady-1"] != 1 || stored["steady-2"] != 1 || stored["flap"] != 12 {
		t.Fatalf("stored %v, want each steady alert once and the flapping one 12 times", stored)
	}
}
