package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// lines is a small signed history as JSON lines, in fold order.
func lines(t testing.TB) [][]byte {
	t.Helper()
	tm := domaintest.NewTeam(31, 2)
	do := func(i int, b domain.Body) {
		t.Helper()
		if _, err := tm.Do(i, b); err != nil {
			t.Fatal(err)
		}
	}
	do(0, &domain.Genesis{Name: "acme", Policy: domain.Policy{RosterQuorum: 1},
		Founder: domain.MemberSpec{Address: tm.Addr(0), Handle: "alice", Roles: []string{"triage"}}})
	do(0, &domain.MemberPropose{Action: domain.ActionAdd, Member: domain.MemberSpec{Address: tm.Addr(1), Handle: "bob", Roles: []string{"comms"}}})
	do(0, &domain.IncidentDeclare{Title: "Vault drain", Severity: "P1"})
	do(1, &domain.Note{Incident: tm.Events[2].ID, Text: "seen"})
	do(0, &domain.Note{Incident: tm.Events[2].ID, Text: "confirmed"})
	evs := append([]*domain.Event(nil), tm.Events...)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Key().Less(evs[j].Key()) })
	out := make([][]byte, len(evs))
	for i, e := range evs {
		b, err := json.Marshal(domain.NewLine(e))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// redactedLine is the line of a redacted note of lines' history.
func redactedLine(t testing.TB) []byte {
	t.Helper()
	e, err := domain.ParseLine(lines(t)[3])
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Redact()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(domain.NewLine(r))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unmarshalLine reads a line into a map keeping each value's bytes (a
// float64 time or a re-sorted body would be refused for that alone).
func unmarshalLine(b []byte, m *map[string]any) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = map[string]any{}
	for k, v := range raw {
		(*m)[k] = v
	}
	return nil
}

func TestParseLineRoundTrip(t *testing.T) {
	for i, l := range lines(t) {
		e, err := domain.ParseLine(l)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		back, _ := json.Marshal(domain.NewLine(e))
		if string(back) != string(l) {
			t.Fatalf("line %d does not round-trip:\n%s\n%s", i+1, l, back)
		}
	}
}

// A line whose readable fields disagree with its raw bytes is as invalid
// as a bad signature.
func TestParseLineRefusesDisagreeingFields(t *testing.T) {
	good := lines(t)[2]
	var l map[string]any
	if err := unmarshalLine(good, &l); err != nil {
		t.Fatal(err)
	}
	// The edits alone are refused: the line as read into a map and
	// written back is taken.
	same, _ := json.Marshal(l)
	if _, err := domain.ParseLine(same); err != nil {
		t.Fatalf("the line unedited: %v", err)
	}
	for _, c := range []struct {
		field string
		value any
	}{
		{"seq", 9}, {"lamport", 99}, {"kind", "note.add"}, {"author", "0x0000000000000000000000000000000000000001"},
		{"id", strings.Repeat("0", 64)}, {"body", map[string]any{"title": "other"}}, {"time", 1},
	} {
		t.Run(c.field, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range l {
				m[k] = v
			}
			m[c.field] = c.value
			b, _ := json.Marshal(m)
			if _, err := domain.ParseLine(b); !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("changed %s: %v, want a malformed line", c.field, err)
			}
		})
	}
	// Fields raw has nothing for, and a second value after the line's.
	var nodeps map[string]any
	if err := unmarshalLine(lines(t)[0], &nodeps); err != nil {
		t.Fatal(err)
	}
	nodeps["deps"] = []string{""}
	emptyDep, _ := json.Marshal(nodeps)
	var red map[string]any
	if err := unmarshalLine(redactedLine(t), &red); err != nil {
		t.Fatal(err)
	}
	red["body"] = map[string]any{"text": "not what was said"}
	redBody, _ := json.Marshal(red)
	l["body_hash"] = strings.Repeat("0", 64)
	unredHash, _ := json.Marshal(l)
	for name, b := range map[string][]byte{
		"an empty dep":                       emptyDep,
		"a redacted line's body":             redBody,
		"an unredacted line's body hash":     unredHash,
		"a second event on the line":         append(append([]byte{}, good...), lines(t)[3]...),
		"trailing text after the line's one": append(append([]byte{}, good...), " x"...),
	} {
		if _, err := domain.ParseLine(b); !errors.Is(err, domain.ErrMalformed) {
			t.Errorf("%s: %v, want a malformed line", name, err)
		}
	}
	if _, err := domain.ParseLine(append(append([]byte{}, good...), " \r\n"...)); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
	for _, bad := range []string{"", "{", "[]", `{"raw":"zz"}`, `{"raw":""}`} {
		if _, err := domain.ParseLine([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := domain.ParseLine(make([]byte, domain.MaxLine+1)); !errors.Is(err, domain.ErrTooLarge) {
		t.Errorf("an oversized line: %v", err)
	}
}

// The offline audit names the line of each fault: the file as written, a
// line removed, two swapped, one repeated, one altered.
func TestAudit(t *testing.T) {
	audit := func(ls [][]byte) (*domain.Audit, []domain.Problem) {
		a := domain.NewAudit()
		for i, l := range ls {
			a.Line(i+1, l)
		}
		return a, a.Finish()
	}
	good := lines(t)
	a, probs := audit(good)
	if len(probs) != 0 || a.Events != len(good) || len(a.Signers) != 2 {
		t.Fatalf("the file as written: %d events, %d signers, problems %v", a.Events, len(a.Signers), probs)
	}
	altered := []byte(strings.Replace(string(good[3]), `"seen"`, `"SEEN"`, 1))
	for _, c := range []struct {
		name string
		ls   [][]byte
		line int
		want string
	}{
		{"removed", [][]byte{good[0], good[1], good[3], good[4]}, 0, "missing"},
		{"swapped", [][]byte{good[0], good[1], good[3], good[2], good[4]}, 4, "out of order"},
		{"repeated", [][]byte{good[0], good[1], good[2], good[2], good[3], good[4]}, 4, "duplicates line 3"},
		{"altered", [][]byte{good[0], good[1], good[2], altered, good[4]}, 4, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, probs := audit(c.ls)
			for _, p := range probs {
				if p.Line == c.line && strings.Contains(p.Msg, c.want) {
					return
				}
			}
			t.Fatalf("no problem at line %d saying %q: %v", c.line, c.want, probs)
		})
	}
	// An altered line is the first problem named, and the gap it leaves
	// says it may be the cause.
	_, probs = audit([][]byte{good[0], good[1], good[2], altered, good[4]})
	if len(probs) < 2 || probs[0].Line != 4 || !strings.Contains(probs[1].Msg, "refused above") {
		t.Errorf("altered line: problems %v, want line 4 first, then what it left behind", probs)
	}
	_, probs = audit([][]byte{good[0], good[1], altered, good[4]})
	if len(probs) < 2 || probs[0].Line != 3 || !strings.Contains(probs[len(probs)-1].Msg, "missing (a removed line, or one refused above?)") {
		t.Errorf("altered and removed lines: problems %v, want line 3 first and the gap last", probs)
	}
}

// FuzzParseLine: a JSON line never panics the parser, and a line it
// accepts describes its raw bytes exactly.
func FuzzParseLine(f *testing.F) {
	for _, l := range lines(f) {
		f.Add(l)
	}
	f.Add(redactedLine(f))
	f.Add([]byte(`{"raw":"c0"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := domain.ParseLine(data)
		if err != nil {
			return
		}
		again, err := domain.Decode(e.Raw)
		if err != nil || again.ID != e.ID {
			t.Fatalf("an accepted line's raw bytes do not decode to it: %v", err)
		}
		// Every field read from the line is the one NewLine writes for
		// its event, up to the author's case and the body's spacing.
		var got domain.Line
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("accepted a line encoding/json refuses: %v", err)
		}
		want := domain.NewLine(e)
		got.Author = strings.ToLower(got.Author)
		if len(got.Deps) == 0 {
			got.Deps = want.Deps
		}
		if got.Body != nil {
			var b bytes.Buffer
			if err := json.Compact(&b, got.Body); err != nil {
				t.Fatal(err)
			}
			got.Body = b.Bytes()
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("accepted line %s\nsays %+v\nraw   %+v", data, got, want)
		}
	})
}
