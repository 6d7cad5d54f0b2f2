package watch

import (
	"errors"
	"math/big"
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
