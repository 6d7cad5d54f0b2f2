package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingSink stores in memory; err, when set, fails every Observe, and
// gate, when set, holds Observe until it is closed.
type recordingSink struct {
	mu     sync.Mutex
	calls  int
	alerts []Alert
	err    error
	gate   chan struct{}
}

func (s *recordingSink) Observe(ctx context.Context, alerts []Alert) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.calls++
	s.alerts = append(s.alerts, alerts...)
	return nil
}

func (s *recordingSink) stored() (int, []Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, append([]Alert(nil), s.alerts...)
}

type reply struct {
	code   int
	body   map[string]any
	header http.Header
}

func post(t *testing.T, url, token, body string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{code: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("status %d: body %q is not JSON: %v", resp.StatusCode, raw, err)
	}
	return r
}

func (r reply) stored() (int, int) {
	s, _ := r.body["stored"].(float64)
	d, _ := r.body["duplicates"].(float64)
	return int(s), int(d)
}

func (r reply) reason() string { s, _ := r.body["error"].(string); return s }

func serve(t *testing.T, sink Sink, opts HandlerOptions) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(sink, opts))
	t.Cleanup(srv.Close)
	return srv
}

func TestWebhookStoresAlertmanagerPayload(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	r := post(t, srv.URL+"/alertmanager", "", string(readFixture(t, "alertmanager.json")))
	if s, d := r.stored(); r.code != http.StatusOK || s != 2 || d != 0 {
		t.Fatalf("got %d %v, want 200 stored 2", r.code, r.body)
	}
	if _, alerts := sink.stored(); len(alerts) != 2 || alerts[0].Fingerprint != "bb99f42553862d2c" {
		t.Fatalf("sink got %+v", alerts)
	}
}

// The 2xx must mean "durably stored": while the sink has not returned, the
// sender must not have its answer.
func TestWebhookAnswersOnlyAfterSinkReturns(t *testing.T) {
	sink := &recordingSink{gate: make(chan struct{})}
	srv := serve(t, sink, HandlerOptions{})
	done := make(chan reply, 1)
	go func() { done <- post(t, srv.URL+"/alert", "", `{"title":"x"}`) }()
	select {
	case r := <-done:
		t.Fatalf("answered %d before the sink returned", r.code)
	case <-time.After(150 * time.Millisecond):
	}
	close(sink.gate)
	select {
	case r := <-done:
		if r.code != http.StatusOK {
			t.Fatalf("got %d %v", r.code, r.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer after the sink returned")
	}
}

func TestWebhookSinkFailure(t *testing.T) {
	sink := &recordingSink{err: errors.New("disk full")}
	srv := serve(t, sink, HandlerOptions{})
	body := `{"title":"x"}`
	r := post(t, srv.URL+"/alert", "", body)
	if r.code != http.StatusInternalServerError || !strings.Contains(r.reason(), "disk full") {
		t.Fatalf("got %d %v, want 500 naming the sink error", r.code, r.body)
	}
	// A failed store is not remembered as delivered: the retry goes through.
	sink.mu.Lock()
	sink.err = nil
	sink.mu.Unlock()
	if s, _ := post(t, srv.URL+"/alert", "", body).stored(); s != 1 {
		t.Fatalf("retry after a failed store stored %d, want 1", s)
	}
	sink.mu.Lock()
	sink.err = fmt.Errorf("store closing: %w", context.Canceled)
	sink.mu.Unlock()
	if r := post(t, srv.URL+"/alert", "", `{"title":"y"}`); r.code != http.StatusServiceUnavailable {
		t.Fatalf("sink cancelled: got %d, want 503", r.code)
	}
}

// Dedupe scenarios, on (fingerprint, startsAt, status):
//  1. the same notification again: not forwarded;
//  2. the same alert resolved: forwarded;
//  3. the same firing alert with a newer startsAt: forwarded;
//  4. the same notification after the window: forwarded (last-seen update);
//  5. repeats inside one body: forwarded once;
//  6. evicted from a full cache: forwarded.
func TestWebhookDedupesRedelivery(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{Now: clock, DedupeWindow: time.Minute, DedupeSize: 3})
	amNamed := func(name, status, startsAt string) string {
		return `{"version":"4","alerts":[{"status":"` + status + `","labels":{"alertname":"` + name + `"},"startsAt":"` + startsAt +
			`","endsAt":"0001-01-01T00:00:00Z"}]}`
	}
	am := func(status, startsAt string) string { return amNamed("A", status, startsAt) }
	steps := []struct {
		name, body  string
		advance     time.Duration
		stored, dup int
	}{
		{"first delivery", am("firing", "2025-03-14T09:00:00Z"), 0, 1, 0},
		{"1. redelivery", am("firing", "2025-03-14T09:00:00Z"), 0, 0, 1},
		{"2. resolved", am("resolved", "2025-03-14T09:00:00Z"), 0, 1, 0},
		{"3. newer startsAt", am("firing", "2025-03-14T09:30:00Z"), 0, 1, 0},
		{"4. after the window", am("firing", "2025-03-14T09:00:00Z"), 2 * time.Minute, 1, 0},
		{"5. repeats in one body", `{"alerts":[` + strings.Repeat(`{"status":"firing","labels":{"alertname":"B"}},`, 3) +
			`{"status":"firing","labels":{"alertname":"B"}}]}`, 0, 1, 3},
		{"6a. fill the cache", amNamed("C", "firing", "2025-03-14T09:40:00Z"), 0, 1, 0},
		{"6b. past its size", amNamed("D", "firing", "2025-03-14T09:40:00Z"), 0, 1, 0},
		{"6c. A evicted, forwarded", am("firing", "2025-03-14T09:00:00Z"), 0, 1, 0},
		{"6d. recent, still remembered", amNamed("D", "firing", "2025-03-14T09:40:00Z"), 0, 0, 1},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		r := post(t, srv.URL+"/alertmanager", "", s.body)
		if st, d := r.stored(); r.code != 200 || st != s.stored || d != s.dup {
			t.Errorf("%s: got %d %v, want stored %d duplicates %d", s.name, r.code, r.body, s.stored, s.dup)
		}
	}
}

func TestWebhookRefusesBadInput(t *testing.T) {
	srv := serve(t, &recordingSink{}, HandlerOptions{})
	for _, tc := range []struct {
		name, path, body string
		code             int
		reason           string
	}{
		{"malformed JSON", "/alertmanager", `{"alerts":[{"status":`, 400, "malformed JSON"},
		{"array where an object is expected", "/alertmanager", `[{"status":"firing"}]`, 400, "got a JSON array"},
		{"missing field", "/alertmanager", `{"alerts":[{"labels":{"alertname":"A"}}]}`, 400, "alerts[0].status: missing"},
		{"wrong type", "/alertmanager", `{"alerts":"many"}`, 400, "alerts: got a JSON string, want an array"},
		{"generic without title", "/alert", `{"severity":"P1"}`, 400, "title: missing"},
		{"generic bad severity", "/alert", `{"title":"x","severity":"sev0"}`, 400, `"sev0"`},
		{"unknown path", "/alerts", `{}`, 404, "POST /alertmanager"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv.URL+tc.path, "", tc.body)
			if r.code != tc.code || !strings.Contains(r.reason(), tc.reason) {
				t.Errorf("got %d %q, want %d saying %q", r.code, r.reason(), tc.code, tc.reason)
			}
		})
	}
}

func TestWebhookIgnoresUnknownFields(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	r := post(t, srv.URL+"/alert", "", `{"title":"x","color":"red","nested":{"a":[1,{"b":null}]}}`)
	if s, _ := r.stored(); r.code != 200 || s != 1 {
		t.Fatalf("got %d %v", r.code, r.body)
	}
}

func TestWebhookMethods(t *testing.T) {
	srv := serve(t, &recordingSink{}, HandlerOptions{Token: "s3cret"})
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{http.MethodGet, "/alert", 405, "POST"},
		{http.MethodPut, "/alertmanager", 405, "POST"},
		{http.MethodPost, "/healthz", 405, "GET, HEAD"},
		{http.MethodGet, "/healthz", 200, ""}, // no token needed to probe
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{}"))
		r := do(t, req)
		if r.code != tc.code || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: got %d Allow %q, want %d Allow %q", tc.method, tc.path, r.code, r.header.Get("Allow"), tc.code, tc.allow)
		}
	}
}

func TestWebhookToken(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{Token: "s3cret"})
	for _, tc := range []struct {
		header string
		code   int
	}{
		{"", 401},
		{"Bearer wrong", 401},
		{"Bearer s3cre", 401},
		{"Bearer s3cret0", 401},
		{"Basic s3cret", 401},
		{"s3cret", 401},
		{"Bearer s3cret", 200},
		{"bearer s3cret", 200},
	} {
		r := post(t, srv.URL+"/alert", tc.header, `{"title":"x"}`)
		if r.code != tc.code {
			t.Errorf("Authorization %q: got %d, want %d", tc.header, r.code, tc.code)
		}
		if tc.code == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %q: 401 without a Bearer challenge", tc.header)
		}
	}
	if calls, _ := sink.stored(); calls != 1 {
		t.Errorf("sink called %d times, want once (only the authorised request)", calls)
	}
}

func TestWebhookOversized(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	big := `{"title":"` + strings.Repeat("x", 1<<20) + `"}`
	if r := post(t, srv.URL+"/alert", "", big); r.code != http.StatusRequestEntityTooLarge || !strings.Contains(r.reason(), "1048576") {
		t.Errorf("with Content-Length: got %d %q, want 413", r.code, r.reason())
	}
	// Without a Content-Length (chunked) the limit is met while reading.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/alert", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	if r := do(t, req); r.code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: got %d %q, want 413", r.code, r.reason())
	}
	if calls, _ := sink.stored(); calls != 0 {
		t.Errorf("sink called for an oversized body")
	}
}

// 10,000 alerts in one body are accepted in one Observe (the default
// MaxAlerts); one more is refused whole, with 413 and a reason.
func TestWebhookTenThousandAlerts(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, sink, HandlerOptions{})
	generic := func(n int) string {
		var b bytes.Buffer
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"title":"t%d"}`, i)
		}
		b.WriteString("]")
		return b.String()
	}
	if r := post(t, srv.URL+"/alert", "", generic(10000)); r.code != 200 {
		t.Fatalf("10,000 generic alerts: got %d %v", r.code, r.body)
	}
	if calls, alerts := sink.stored(); calls != 1 || len(alerts) != 10000 {
		t.Fatalf("sink: %d calls with %d alerts, want 1 with 10,000", calls, len(alerts))
	}
	r := post(t, srv.URL+"/alert", "", generic(10001))
	if r.code != http.StatusRequestEntityTooLarge || !strings.Contains(r.reason(), "10001 alerts") {
		t.Fatalf("10,001 alerts: got %d %q, want 413 naming the count", r.code, r.reason())
	}
	if calls, _ := sink.stored(); calls != 1 {
		t.Fatal("part of an over-limit batch was stored")
	}
	var b bytes.Buffer
	b.WriteString(`{"version":"4","status":"firing","alerts":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"A%d"},"startsAt":"2025-03-14T09:00:00Z"}`, i)
	}
	b.WriteString("]}")
	if r := post(t, srv.URL+"/alertmanager", "", b.String()); r.code != 200 {
		t.Fatalf("10,000 compact Alertmanager alerts (%d bytes): got %d %v", b.Len(), r.code, r.body)
	}
}

func TestWebhookBadSeverityMapFailsLoudly(t *testing.T) {
	bad := map[string]string{"critical": "SEV1"}
	if CheckSeverityMap(bad) == nil {
		t.Fatal("CheckSeverityMap accepted SEV1")
	}
	srv := serve(t, &recordingSink{}, HandlerOptions{SeverityMap: bad})
	if r := post(t, srv.URL+"/alert", "", `{"title":"x"}`); r.code != 500 || !strings.Contains(r.reason(), "SEV1") {
		t.Errorf("got %d %q, want 500 naming the bad map entry", r.code, r.reason())
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	if r := do(t, req); r.code != 503 {
		t.Errorf("healthz with a bad map: got %d, want 503", r.code)
	}
}

// checkingSink refuses, in Check, alerts with more labels than max, as the
// CLI's sink refuses what the domain would.
type checkingSink struct {
	recordingSink
	max int
}

func (s *checkingSink) Check(a Alert) error {
	if len(a.Labels) > s.max {
		return fmt.Errorf("%d labels, limit %d", len(a.Labels), s.max)
	}
	return nil
}

// An alert the sink can never store is refused alone with a 400 naming it
// and the limit, and the rest of its delivery is stored: Alertmanager does
// not retry a 4xx, so refusing the whole delivery lost the good alerts. A
// 500 would have it retry, for ever, what can never succeed. Scenarios:
//  1. Check refuses the second alert of two: 400 naming it, the first stored;
//  2. the same delivery again is judged again (a refusal is not remembered
//     as delivered), the first now a duplicate;
//  3. Observe refuses with ErrRefused (a sink without Check, or a limit only
//     Observe sees): 400;
//  4. Observe fails otherwise: still 500, worth retrying.
func TestWebhookRefusesWhatTheSinkCannotStore(t *testing.T) {
	sink := &checkingSink{max: 2}
	srv := serve(t, sink, HandlerOptions{})
	body := `[{"title":"ok","fingerprint":"fp-ok"},{"title":"many","fingerprint":"fp-many","labels":{"a":"1","b":"2","c":"3"}}]`
	for i, want := range []struct{ stored, duplicates int }{{1, 0}, {0, 1}} {
		r := post(t, srv.URL+"/alert", "", body)
		if r.code != http.StatusBadRequest || !strings.Contains(r.reason(), `alert 2 of 2 (fingerprint "fp-many"): 3 labels, limit 2`) ||
			!strings.Contains(r.reason(), "1 of 2 refused, the rest were stored") {
			t.Fatalf("delivery %d: got %d %q, want 400 naming alert 2 and the limit", i+1, r.code, r.reason())
		}
		if s, d := r.stored(); s != want.stored || d != want.duplicates || fmt.Sprint(r.body["refused"]) != "[map[fingerprint:fp-many index:1 reason:3 labels, limit 2]]" {
			t.Errorf("delivery %d: %v, want stored %d duplicates %d and fp-many refused", i+1, r.body, want.stored, want.duplicates)
		}
		if calls, alerts := sink.stored(); calls != 1 || len(alerts) != 1 || alerts[0].Fingerprint != "fp-ok" {
			t.Fatalf("delivery %d: the sink stored %d batches %+v, want fp-ok once", i+1, calls, alerts)
		}
	}

	plain := &recordingSink{err: fmt.Errorf("%w: alert %q: label x is 300000 bytes, limit 2000", ErrRefused, "fp")}
	srv2 := serve(t, plain, HandlerOptions{})
	if r := post(t, srv2.URL+"/alert", "", `{"title":"x"}`); r.code != http.StatusBadRequest || !strings.Contains(r.reason(), "limit 2000") {
		t.Fatalf("Observe refused: got %d %q, want 400 with its reason", r.code, r.reason())
	}
	plain.mu.Lock()
	plain.err = errors.New("disk full")
	plain.mu.Unlock()
	if r := post(t, srv2.URL+"/alert", "", `{"title":"y"}`); r.code != http.StatusInternalServerError {
		t.Fatalf("Observe failed: got %d %q, want 500", r.code, r.reason())
	}
}

func TestQuoteShort(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes: the cut falls inside a rune
	for _, tc := range []struct{ in, want string }{
		{"fp-1", `"fp-1"`},
		{long, strconv.Quote(strings.Repeat("é", 32)) + "..."},
	} {
		if got := quoteShort(tc.in); got != tc.want {
			t.Errorf("quoteShort(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
