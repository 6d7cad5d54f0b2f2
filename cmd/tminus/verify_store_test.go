package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	_ "modernc.org/sqlite"
)

// tamperSig returns e's raw bytes with a bit of its signature's r flipped:
// still an event, no longer signed by its author.
func tamperSig(t *testing.T, e *domain.Event) []byte {
	t.Helper()
	raw := append([]byte(nil), e.Raw...)
	at := bytes.LastIndex(raw, e.Sig[:8]) // r's first bytes, inside the envelope
	if at < 0 {
		t.Fatal("signature not found in the raw event")
	}
	raw[at+3] ^= 0x20
	if _, err := domain.Decode(raw); err != nil {
		t.Fatalf("the tampered event no longer decodes (%v): the test would check the decoder, not the signature", err)
	}
	return raw
}

// wantRefused runs a verify (args) that must fail, naming the signatures
// of exactly the events at lines (of evs, in order): a changed r recovers
// no key, or another one. What follows a refused event refers to it, so
// only the lines before the first are sure to be clean.
func wantRefused(t *testing.T, evs []*domain.Event, lines []int, home string, args ...string) {
	t.Helper()
	out, errOut, code := tminus(t, home, args...)
	if code != 1 {
		t.Fatalf("%s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	refused := func(at string) int {
		return strings.Count(out, at+domain.ErrBadSignature.Error()) + strings.Count(out, at+domain.ErrWrongAuthor.Error())
	}
	for _, l := range lines {
		if refused(fmt.Sprintf("BAD line %d: event %s: ", l, evs[l-1].ID.Short())) != 1 {
			t.Errorf("line %d not named:\n%s", l, out)
		}
	}
	if refused(": ") != len(lines) || strings.Contains(out, fmt.Sprintf("BAD line %d:", lines[0]-1)) {
		t.Errorf("other lines named:\n%s", out)
	}
}

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
		raw := tamperSig(t, e)
		if r, err := db.ExecContext(context.Background(), "UPDATE events SET raw = ? WHERE id = ?", raw, e.ID[:]); err != nil {
			t.Fatal(err)
		} else if k, _ := r.RowsAffected(); k != 1 {
			t.Fatalf("updated %d rows", k)
		}
	}
	db.Close()
	wantRefused(t, evs, lines, home, "verify")
}

// `verify FILE` checks a bundle's signatures in batches too: lines whose
// signature was tampered with are named, either side of a batch.
func TestVerifyBundleFindsTamperedLines(t *testing.T) {
	const n = 5000
	home := benchHomeOf(t, n, n, false)
	evs := history(t, n, n)
	file := filepath.Join(t.TempDir(), "all.jsonl")
	if _, errOut, code := tminus(t, home, "bundle", "export", file); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != n {
		t.Fatalf("%d lines exported, want %d", len(lines), n)
	}
	bad := []int{1500, 4800}
	for _, l := range bad {
		e, err := domain.Decode(tamperSig(t, evs[l-1]))
		if err != nil {
			t.Fatal(err)
		}
		if lines[l-1], err = json.Marshal(domain.NewLine(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, evs, bad, home, "verify", file)
}
