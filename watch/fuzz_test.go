package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// checkAccepted is the contract every decoder keeps for what it accepts.
func checkAccepted(t *testing.T, alerts []Alert) {
	t.Helper()
	for i, a := range alerts {
		if a.Fingerprint == "" || a.Title == "" {
			t.Fatalf("alert %d accepted without fingerprint or title: %+v", i, a)
		}
		if a.Status != StatusFiring && a.Status != StatusResolved {
			t.Fatalf("alert %d accepted with status %q", i, a.Status)
		}
		if !validSeverity(a.Severity) {
			t.Fatalf("alert %d accepted with severity %q", i, a.Severity)
		}
		if len(a.Fingerprint) > maxFingerprintLen {
			t.Fatalf("alert %d accepted with a %d-byte fingerprint", i, len(a.Fingerprint))
		}
	}
}

func FuzzAlertmanagerPayload(f *testing.F) {
	f.Add(readFixture(f, "alertmanager.json"))
	for _, s := range []string{
		`{"version":"4","alerts":[]}`,
		`{"alerts":[{"status":"firing","labels":{"alertname":"A","severity":"critical"},"endsAt":"0001-01-01T00:00:00Z"}]}`,
		`{"alerts":[{"status":"resolved","labels":{"x":""},"annotations":{"summary":" "}}]}`,
		`[{"status":"firing"}]`, `{"alerts":null}`, `{"alerts":[null]}`, `{`, ``, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := DecodeAlertmanager(body, nil)
		if err != nil {
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("refusal %v does not wrap ErrPayload", err)
			}
			return
		}
		checkAccepted(t, alerts)
	})
}

func FuzzGenericAlert(f *testing.F) {
	for _, s := range []string{
		`{"title":"Bridge paused","severity":"P1","source":"ops","fingerprint":"abc","labels":{"chain":"eth"}}`,
		`[{"title":"a"},{"title":"b","severity":"warning","labels":{"alertname":"B"}}]`,
		`{"title":" ","fingerprint":"  "}`, `[]`, `[null]`, `null`, `{"title":"x","severity":"p9"}`, `[[]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := DecodeGeneric(body, nil)
		if err != nil {
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("refusal %v does not wrap ErrPayload", err)
			}
			return
		}
		checkAccepted(t, alerts)
	})
}

// FuzzChainLog feeds arbitrary log contents, as a hostile or broken RPC
// endpoint could return them, through rule matching.
func FuzzChainLog(f *testing.F) {
	f.Add([]byte{}, uint8(1), false, uint64(3), uint(0))
	f.Add(make([]byte, 32), uint8(3), true, uint64(1<<63), uint(1<<20))
	f.Add([]byte{0xff}, uint8(0), false, uint64(0), uint(7))
	rules := []compiledRule{}
	for _, r := range []ChainRule{
		{Name: "paused", Event: EventPaused, Severity: "P1"},
		{Name: "big", Event: EventTransfer, Severity: "P2", MinValue: big.NewInt(10)},
		{Name: "vault", Event: EventTransfer, Addresses: []common.Address{vault}},
	} {
		c, err := compileRule(r)
		if err != nil {
			f.Fatal(err)
		}
		rules = append(rules, c)
	}
	topics := []common.Hash{EventTopic(EventTransfer), EventTopic(EventPaused), {1}, {}}
	f.Fuzz(func(t *testing.T, data []byte, ntopics uint8, removed bool, block uint64, index uint) {
		l := types.Log{Address: vault, Data: data, Removed: removed, BlockNumber: block, Index: index}
		for i := range int(ntopics % 5) {
			l.Topics = append(l.Topics, topics[(i+len(data))%len(topics)])
		}
		a, ok := chainAlert(rules, 1, l, time.Time{}, time.Time{})
		if !ok {
			return
		}
		checkAccepted(t, []Alert{a})
		if a.Reorged != removed || a.Fingerprint != ChainFingerprint(l) {
			t.Fatalf("alert %+v from log %+v", a, l)
		}
	})
}

// FuzzWebhook drives the whole handler, as a sender on the network would,
// with a sink that refuses alerts of more than one label: the status is
// one the handler documents, an unauthorised or refused-whole request
// stores nothing, and the reply counts exactly what the sink was given,
// with refusals in body order.
func FuzzWebhook(f *testing.F) {
	for _, s := range []struct {
		path, auth, body string
	}{
		{"/alert", "Bearer t0k", `[{"title":"a","fingerprint":"1"},{"title":"b","labels":{"x":"1","y":"2"}},{"title":5},{"title":"a","fingerprint":"1"}]`},
		{"/alertmanager", "bearer  t0k ", `{"alerts":[{"status":"firing","labels":{"alertname":"A"}},null,{"status":"resolved","labels":{"alertname":"B","x":"y"}}]}`},
		{"/alert", "", `{"title":"x"}`}, {"/healthz", "Bearer t0k", ``}, {"/nope", "Basic t0k", `{}`},
	} {
		f.Add(s.path, s.auth, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, path, auth string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		sink := &checkingSink{max: 1}
		h := NewHandler(sink, HandlerOptions{Token: "t0k", MaxBody: 4 << 10, MaxAlerts: 8})
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		req.URL.Path = path
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var reply struct {
			Stored, Duplicates int
			Refused            []Refusal
			Error              string
		}
		if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil {
			t.Fatalf("%d: reply %q is not JSON: %v", w.Code, w.Body.Bytes(), err)
		}
		_, alerts := sink.stored()
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest:
		case http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
			if len(alerts) > 0 {
				t.Fatalf("%d, and %d alerts stored", w.Code, len(alerts))
			}
			return
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
		if scheme, token, _ := strings.Cut(auth, " "); !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) != "t0k" {
			t.Fatalf("%d without the token (%q)", w.Code, auth)
		}
		if reply.Stored != len(alerts) || (w.Code == http.StatusOK) != (reply.Error == "") || (w.Code == http.StatusOK && len(reply.Refused) > 0) {
			t.Fatalf("%d: reply %+v, %d alerts stored", w.Code, reply, len(alerts))
		}
		checkAccepted(t, alerts)
		for _, a := range alerts {
			if len(a.Labels) > 1 {
				t.Fatalf("stored an alert the sink refuses: %+v", a)
			}
		}
		for i, r := range reply.Refused {
			if i > 0 && r.Index <= reply.Refused[i-1].Index {
				t.Fatalf("refusals out of body order: %+v", reply.Refused)
			}
		}
	})
}
