package proof

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestStatementRoundTrip(t *testing.T) {
	s := Statement{
		Workspace: "5f1c9a0e7b3d", Member: testMember, Kind: KindOpenPGP,
		Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567",
		IssuedAt:    t0.Add(500 * time.Millisecond), // truncated to the second
		Expires:     t0.Add(DefaultValidity).In(time.FixedZone("CET", 3600)),
	}
	b := s.Marshal()
	want := "tminus identity proof v1\n" +
		"workspace: 5f1c9a0e7b3d\n" +
		"member: " + testMember.Hex() + "\n" +
		"kind: openpgp\n" +
		"fingerprint: 0123456789ABCDEF0123456789ABCDEF01234567\n" +
		"issued-at: 2026-12-06T12:00:00Z\n" +
		"expires: 2027-06-07T12:00:00Z\n"
	if string(b) != want {
		t.Fatalf("Marshal:\n%s\nwant:\n%s", b, want)
	}
	got, err := ParseStatement(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Marshal(), b) || got.Member != testMember || !got.IssuedAt.Equal(t0) {
		t.Fatalf("round trip: %+v", got)
	}
}

func TestParseStatementRefuses(t *testing.T) {
	good := string(Statement{
		Workspace: "ws1", Member: testMember, Kind: KindSSH, Fingerprint: "SHA256:abc",
		IssuedAt: t0, Expires: t0.Add(time.Hour),
	}.Marshal())
	lower := strings.Replace(good, testMember.Hex(), strings.ToLower(testMember.Hex()), 1)
	cases := []struct {
		name, text string
		want       error
	}{
		{"no final newline", strings.TrimSuffix(good, "\n"), ErrStatement},
		{"extra newline", good + "\n", ErrStatement},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), ErrStatement},
		{"other header", strings.Replace(good, "v1", "v2", 1), ErrStatement},
		{"fields swapped", strings.Replace(strings.Replace(good, "kind: ssh\n", "", 1), "fingerprint: SHA256:abc\n", "fingerprint: SHA256:abc\nkind: ssh\n", 1), ErrStatement},
		{"extra field", good + "note: hi\n", ErrStatement},
		{"empty workspace", strings.Replace(good, "workspace: ws1", "workspace: ", 1), ErrStatement},
		{"space in workspace", strings.Replace(good, "workspace: ws1", "workspace: ws 1", 1), ErrStatement},
		{"two spaces after colon", strings.Replace(good, "kind: ssh", "kind:  ssh", 1), ErrStatement},
		{"unknown kind", strings.Replace(good, "kind: ssh", "kind: x509", 1), ErrStatement},
		{"bad address", strings.Replace(good, testMember.Hex(), "0x1234", 1), ErrStatement},
		{"address not checksummed", lower, ErrStatement},
		{"time with offset", strings.Replace(good, "2026-12-06T12:00:00Z", "2026-12-06T13:00:00+01:00", 1), ErrStatement},
		{"time with fraction", strings.Replace(good, "2026-12-06T12:00:00Z", "2026-12-06T12:00:00.5Z", 1), ErrStatement},
		{"expires before issued", strings.Replace(good, "expires: 2026-12-06T13", "expires: 2026-12-06T11", 1), ErrStatement},
		{"expires equals issued", strings.Replace(good, "expires: 2026-12-06T13", "expires: 2026-12-06T12", 1), ErrStatement},
		{"non-ASCII", strings.Replace(good, "ws1", "wß1", 1), ErrStatement},
		{"empty", "", ErrStatement},
		{"oversized", good + strings.Repeat("x", MaxStatement), ErrTooLarge},
	}
	if _, err := ParseStatement([]byte(good)); err != nil {
		t.Fatalf("good statement refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseStatement([]byte(c.text))
			wantErr(t, err, c.want)
		})
	}
}

func FuzzParseStatement(f *testing.F) {
	f.Add(Statement{Workspace: "ws", Member: testMember, Kind: KindSSH, Fingerprint: "SHA256:x", IssuedAt: t0, Expires: t0.Add(time.Hour)}.Marshal())
	f.Add([]byte("tminus identity proof v1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatement(b)
		if err != nil {
			return
		}
		// Whatever parses is canonical: it re-marshals to the same bytes.
		if !bytes.Equal(s.Marshal(), b) {
			t.Fatalf("accepted non-canonical bytes %q", b)
		}
	})
}
