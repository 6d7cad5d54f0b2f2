package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	_ "modernc.org/sqlite"
)

// `verify` of a store checks every event's signature, a few thousand at
// a time in batches: events tampered with in the database file, in
// different chunks, are each named at their line, and nothing else is.
func TestVerifyStoreFindsTamperedEvents(t *testing.T) {
	const n = 5000
	home := benchHomeOf(t, n, n, false)
	evs := history(t, n, n)
	// Line numbers are fold order, which is the history's order.
	lines := []int{2000, 4999} // either side of a 4,096-event chunk
	db, err := sql.Open("sqlite", filepath.Join(home, "tminus.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		e := evs[l-1]
		raw := append([]byte(nil), e.Raw...)
		at := strings.LastIndex(string(raw), string(e.Sig[:8])) // r's first bytes, inside the envelope
		if at < 0 {
			t.Fatal("signature not found in the raw event")
		}
		raw[at+3] ^= 0x20
		if _, err := domain.Decode(raw); err != nil {
			t.Fatalf("the tampered event no longer decodes (%v): the test would check the decoder, not the signature", err)
		}
		if r, err := db.ExecContext(context.Background(), "UPDATE events SET raw = ? WHERE id = ?", raw, e.ID[:]); err != nil {
			t.Fatal(err)
		} else if k, _ := r.RowsAffected(); k != 1 {
			t.Fatalf("updated %d rows", k)
		}
	}
	db.Close()
	out, errOut, code := tminus(t, home, "verify")
	if code != 1 {
		t.Fatalf("verify of a tampered store: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, l := range lines {
		if !strings.Contains(out, fmt.Sprintf("BAD line %d: event %s: bad signature", l, evs[l-1].ID.Short())) {
			t.Errorf("line %d not named:\n%s", l, out)
		}
	}
	// What follows a refused event refers to it; nothing before it is named.
	if strings.Count(out, "bad signature") != len(lines) || strings.Contains(out, "BAD line 1999") {
		t.Errorf("other lines named:\n%s", out)
	}
}
