package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// An Alertmanager group with one malformed alert and one of a severity the
// map does not know: the malformed one is refused alone (400 naming it),
// the others are stored, the unknown severity left empty with the raw
// value in the alert's labels, and the answer warns about it.
func TestWebhookAlertmanagerGroupPartlyBad(t *testing.T) {
	home, _ := newWorkspace(t)
	url := webhook(t, home)
	body := `{"version":"4","status":"firing","alerts":[
		{"status":"firing","labels":{"alertname":"BridgeDrain","severity":"critical"},"fingerprint":"am-good"},
		{"status":"pending","labels":{"alertname":"Odd"},"fingerprint":"am-bad"},
		{"status":"firing","labels":{"alertname":"DiskFull","severity":"sev9"},"fingerprint":"am-sev9"}]}`
	resp, err := http.Post(url+"/alertmanager", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Stored   int
		Error    string
		Warnings []string
		Refused  []struct {
			Index       int
			Fingerprint string
			Reason      string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || r.Stored != 2 || len(r.Refused) != 1 || r.Refused[0].Fingerprint != "am-bad" ||
		r.Refused[0].Index != 1 || !strings.Contains(r.Error, `alert 2 of 3 (fingerprint "am-bad")`) ||
		len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `severity "sev9" is not one of`) {
		t.Fatalf("got %d %+v", resp.StatusCode, r)
	}
	var alerts []alertView
	if err := json.Unmarshal([]byte(must(t, home, "alert", "list", "--json")), &alerts); err != nil {
		t.Fatal(err)
	}
	got := map[string]alertView{}
	for _, a := range alerts {
		got[a.Fingerprint] = a
	}
	if len(got) != 2 || got["am-good"].Severity != "P1" || got["am-sev9"].Severity != "" || got["am-sev9"].Labels["severity"] != "sev9" {
		t.Errorf("stored alerts: %+v", alerts)
	}
}
