package domain_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/domain/domaintest"
)

// FuzzDecode: Decode never panics, and what it accepts is stable: the
// bytes it keeps decode again to the same id, and a redaction of it keeps
// the id.
func FuzzDecode(f *testing.F) {
	tm := domaintest.NewTeam(11, 1)
	g, err := tm.Do(0, &domain.Genesis{Name: "fuzz", Founder: domain.MemberSpec{Address: tm.Addr(0), Handle: "alice", Roles: []string{"triage"}}})
	if err != nil {
		f.Fatal(err)
	}
	inc, err := tm.Do(0, &domain.IncidentDeclare{Title: "x", Severity: "P1"})
	if err != nil {
		f.Fatal(err)
	}
	r, err := inc.Redact()
	if err != nil {
		f.Fatal(err)
	}
	for _, raw := range [][]byte{g.Raw, inc.Raw, r.Raw, nil, {0xc0}, {0xf8, 0xff}, bytes.Repeat([]byte{0xc1}, 40)} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		// The hand decoder accepts what rlp's reflection accepts, as
		// the same values.
		sig, body, h, err := domain.DecodeWire(raw)
		rsig, rbody, rh, rerr := domain.ReflectWire(raw)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("hand decoder: %v, rlp: %v", err, rerr)
		}
		if err == nil && (!bytes.Equal(sig, rsig) || !bytes.Equal(body, rbody) || (body == nil) != (rbody == nil) || !reflect.DeepEqual(h, rh)) {
			t.Fatalf("decoders disagree:\n%x %x %+v\n%x %x %+v", sig, body, h, rsig, rbody, rh)
		}
		e, err := domain.Decode(raw)
		if err != nil {
			return
		}
		_ = e.Verify() // must not panic either
		again, err := domain.Decode(e.Raw)
		if err != nil || again.ID != e.ID || again.Redacted != e.Redacted {
			t.Fatalf("re-decode of accepted bytes: %v", err)
		}
		red, err := e.Redact()
		if err != nil || red.ID != e.ID || !red.Redacted {
			t.Fatalf("redact: %v", err)
		}
		_, _ = domain.DecodeBody(e.Kind, e.Body)
	})
}

// FuzzDecodeBody: DecodeBody never panics for any kind, and a body it
// accepts is exactly what EncodeBody writes for it (one payload, one byte
// form).
func FuzzDecodeBody(f *testing.F) {
	kinds := domain.Kinds()
	h, err := domaintest.Generate(12, 3, 200)
	if err != nil {
		f.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range h.Events {
		if !seen[e.Kind] {
			seen[e.Kind] = true
			f.Add(e.Kind, e.Body)
		}
	}
	for _, k := range kinds {
		f.Add(k, []byte(`{}`))
		f.Add(k, []byte(`{"incident":"zz"}`))
	}
	f.Add("nope", []byte(`{"a":1}`))
	f.Add(domain.KindNote, []byte(`{"incident":"`+domain.ID{1}.String()+`","text":"\ud800"}`))
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		b, err := domain.DecodeBody(kind, data)
		if err != nil {
			return
		}
		if b.Kind() != kind {
			t.Fatalf("kind %q decoded as %q", kind, b.Kind())
		}
		enc, err := domain.EncodeBody(b)
		if err != nil {
			t.Fatalf("accepted body does not encode: %v", err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("accepted body is not canonical:\n%s\n%s", data, enc)
		}
		if !json.Valid(enc) {
			t.Fatal("invalid JSON")
		}
		// The fast decoder and encoding/json must agree on every body
		// accepted: the fold reads with the fast one.
		strict := reflect.New(reflect.TypeOf(b).Elem()).Interface()
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(strict); err != nil {
			t.Fatalf("accepted body refused by encoding/json: %v", err)
		}
		if !reflect.DeepEqual(strict, b) {
			t.Fatalf("decoders disagree:\n%#v\n%#v", strict, b)
		}
	})
}

// FuzzStateParts: restoring a snapshot from damaged parts never panics,
// and whatever a decoder accepts still hashes; an undamaged state's parts
// restore it exactly.
func FuzzStateParts(f *testing.F) {
	h, err := domaintest.Generate(13, 3, 120)
	if err != nil {
		f.Fatal(err)
	}
	s := domain.Fold(h.Events, nil)
	want, err := s.Hash()
	if err != nil {
		f.Fatal(err)
	}
	var fields []string
	err = s.EncodeParts(64, func(p domain.Part) error {
		fields = append(fields, p.Field)
		f.Add(p.Field, p.Data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	back, _, err := domain.Restore(s, 64, nil)
	if err != nil {
		f.Fatal(err)
	}
	if got, _ := back.Hash(); got != want {
		f.Fatal("a state's own parts do not restore it")
	}
	f.Add("incidents", []byte(`{"zz":{"id":1}}`))
	f.Add("last", []byte(`null`))
	f.Fuzz(func(t *testing.T, field string, data []byte) {
		// Decode then Merge (parts decoded on several goroutines) must
		// accept what Add accepts and restore the same state.
		p := domain.Part{Field: field, Data: data}
		apart := domain.NewStateDecoder()
		var mergeErr error
		x, err := apart.Decode(p)
		if err == nil {
			mergeErr = apart.Merge(x)
		} else {
			mergeErr = err
		}
		d := domain.NewStateDecoder()
		if err := d.Add(p); err != nil {
			if mergeErr == nil {
				t.Fatalf("part %q %q: Add refused it (%v), Decode and Merge did not", field, data, err)
			}
			return
		}
		if mergeErr != nil {
			t.Fatalf("part %q %q: Add took it, Decode and Merge refused it: %v", field, data, mergeErr)
		}
		h, err := d.State().Hash()
		if err != nil {
			t.Fatalf("accepted part %q %q does not hash: %v", field, data, err)
		}
		if h2, err := apart.State().Hash(); err != nil || h2 != h {
			t.Fatalf("part %q %q: Decode and Merge restore another state than Add", field, data)
		}
	})
}
