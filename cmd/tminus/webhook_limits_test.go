package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tminus-ir/tminus/watch"
	"github.com/tminus-ir/tminus/workspace"
)

// webhook serves home's alert webhook in-process on loopback, as serve does.
func webhook(t *testing.T, home string) string {
	t.Helper()
	h := &workspace.Home{Dir: home}
	t.Cleanup(func() { h.Close() })
	srv := httptest.NewServer(watch.NewHandler(alertSink{h}, watch.HandlerOptions{}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func postAlert(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/alert", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Error
}

// An alert the domain would refuse is answered 400 naming it and the limit,
// and is not stored, where it was 500 (retry) and Alertmanager retried it
// for ever; the good alerts of its delivery are stored (Alertmanager does
// not retry a 4xx, so refusing the delivery lost them). A title over the
// limit is cut at a rune boundary and stored.
func TestWebhookLimits(t *testing.T) {
	home, _ := newWorkspace(t)
	url := webhook(t, home)
	before := eventCount(t, home)

	labels := map[string]string{}
	for i := range 65 {
		labels[fmt.Sprintf("l%02d", i)] = "v"
	}
	many, _ := json.Marshal([]map[string]any{{"title": "fine", "fingerprint": "fp-fine"}, {"title": "x", "fingerprint": "fp-65", "labels": labels}})
	huge, _ := json.Marshal(map[string]any{"title": "x", "fingerprint": "fp-huge", "labels": map[string]string{"dump": strings.Repeat("a", 300_000)}})
	for _, tc := range []struct {
		name, body, want string
	}{
		{"65 labels", string(many), `alert 2 of 2 (fingerprint "fp-65"): 65 labels, limit 64; 1 of 2 refused, the rest were stored`},
		{"300 kB label", string(huge), `alert 1 of 1 (fingerprint "fp-huge"): label dump is 300000 bytes, limit 2000; 1 of 1 refused, none were stored`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, reason := postAlert(t, url, tc.body)
			if code != http.StatusBadRequest || !strings.Contains(reason, tc.want) {
				t.Errorf("got %d %q, want 400 saying %q", code, reason, tc.want)
			}
		})
	}
	var stored []alertView
	if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Fingerprint != "fp-fine" {
		t.Fatalf("alerts = %+v, want only fp-fine, the good alert of the refused one's delivery", stored)
	}
	if n := eventCount(t, home); n != before+1 {
		t.Fatalf("the deliveries stored %d events, want 1 (fp-fine)", n-before)
	}

	// 300 two-byte runes: 600 bytes, cut to at most 500 without splitting one.
	long, _ := json.Marshal(map[string]any{"title": strings.Repeat("é", 300), "fingerprint": "fp-long"})
	if code, reason := postAlert(t, url, string(long)); code != http.StatusOK {
		t.Fatalf("long title: got %d %q, want 200", code, reason)
	}
	var al []alertView
	if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &al); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(al, func(a alertView) bool { return a.Fingerprint == "fp-long" })
	if len(al) != 2 || i < 0 {
		t.Fatalf("alerts = %+v, want fp-fine and fp-long", al)
	}
	if title := al[i].Title; len(title) > 500 || !utf8.ValidString(title) || !strings.HasSuffix(title, "é...") {
		t.Errorf("cut title = %q (%d bytes), want valid UTF-8 of at most 500 bytes ending in é...", title, len(title))
	}
}

func TestCutText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ..."},
		{"aé€😀x", 10, "aé€..."}, // the cut at 7 falls inside 😀: back to 6
		{"😀😀", 5, "..."},
	} {
		if got := cutText(tc.in, tc.max); got != tc.want || len(got) > tc.max && len(tc.in) > tc.max || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
