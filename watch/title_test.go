package watch

import "testing"

// A title is one line. A sender's summary with a line feed or tab in it
// forged lines wherever the title is printed (alert list, incident show's
// timeline, serve's log): the decoders fold its whitespace to single spaces.
// The generic webhook's derived fingerprint stays the raw title's, so an
// alert keeps its identity.
func TestTitlesAreOneLine(t *testing.T) {
	am, err := DecodeAlertmanager([]byte(`{"version":"4","alerts":[`+
		`{"status":"firing","labels":{"alertname":"A"},"annotations":{"summary":"first line\nFAKE  P1  firing\tx\r\n"}},`+
		`{"status":"firing","labels":{"alertname":"Only\nname"}}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if am[0].Title != "first line FAKE P1 firing x" || am[1].Title != "Only name" {
		t.Errorf("alertmanager titles %q, %q", am[0].Title, am[1].Title)
	}
	if am[1].Labels["alertname"] != "Only\nname" {
		t.Errorf("the label changed: %q", am[1].Labels["alertname"])
	}
	g, err := DecodeGeneric([]byte(`{"title":"disk\nfull  on\tarchive","source":"ops\nbot"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if g[0].Title != "disk full on archive" || g[0].Source != "ops bot" {
		t.Errorf("generic title %q source %q", g[0].Title, g[0].Source)
	}
	if want := LabelsFingerprint(map[string]string{"alertname": "disk\nfull  on\tarchive"}); g[0].Fingerprint != want {
		t.Errorf("fingerprint %s, want %s (the raw title's)", g[0].Fingerprint, want)
	}
}
