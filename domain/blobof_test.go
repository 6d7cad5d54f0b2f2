package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
)

// BlobOf names the blob of the three kinds that point at one, and nothing
// for other kinds or bodies that do not decode.
func TestBlobOf(t *testing.T) {
	h := strings.Repeat("ab", 32)
	body := func(b domain.Body) []byte {
		t.Helper()
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var inc domain.ID
	inc[0] = 1
	for _, tc := range []struct {
		name, kind string
		body       []byte
		want       string
	}{
		{"evidence", domain.KindEvidenceAdd, body(&domain.EvidenceAdd{Incident: inc, Name: "f", SHA256: h, Size: 1}), h},
		{"run output", domain.KindRunbookExec, body(&domain.RunbookExec{Proposal: inc, Output: h}), h},
		{"alert payload", domain.KindAlertObserve, body(&domain.AlertObserve{Fingerprint: "fp", Title: "t", Source: "s", Status: domain.AlertFiring, Payload: h}), h},
		{"alert without payload", domain.KindAlertObserve, body(&domain.AlertObserve{Fingerprint: "fp", Title: "t", Source: "s", Status: domain.AlertFiring}), ""},
		{"other kind", domain.KindIncidentDeclare, body(&domain.IncidentDeclare{Title: "x", Severity: "P1"}), ""},
		{"malformed", domain.KindEvidenceAdd, []byte(`{"sha256":"nope"`), ""},
		{"bad hash", domain.KindEvidenceAdd, []byte(`{"incident":"` + inc.String() + `","name":"f","sha256":"ABC","size":1}`), ""},
	} {
		if got := domain.BlobOf(tc.kind, tc.body); got != tc.want {
			t.Errorf("%s: BlobOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
