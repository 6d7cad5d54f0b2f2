package domain

import (
	"bytes"
	"fmt"
	"reflect"
)

// A snapshot stores a state as parts, so that neither writing nor reading
// one holds its whole encoding: at a million events that is some 60 MB of
// JSON, and holding it (twice over while a buffer grew) was most of a
// command's peak memory.

// Part is one piece of a state's snapshot: a top-level field's JSON, or,
// for a map, an object holding some of its entries.
type Part struct {
	Field string
	Data  []byte
}

// EncodeParts calls emit with the state's parts in field order; maps are
// split into objects of about size bytes. emit may keep Data.
func (s *State) EncodeParts(size int, emit func(Part) error) error {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, ok := jsonField(t.Field(i))
		if !ok {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() != reflect.Map || fv.IsNil() {
			var buf bytes.Buffer
			if err := writeJSON(&buf, fv.Interface()); err != nil {
				return err
			}
			if err := emit(Part{name, buf.Bytes()}); err != nil {
				return err
			}
			continue
		}
		if err := encodeMapParts(name, fv, size, emit); err != nil {
			return err
		}
	}
	return nil
}

func encodeMapParts(name string, m reflect.Value, size int, emit func(Part) error) error {
	var buf bytes.Buffer
	flush := func() error {
		buf.WriteByte('}')
		err := emit(Part{name, bytes.Clone(buf.Bytes())})
		buf.Reset()
		return err
	}
	buf.WriteByte('{')
	for it := m.MapRange(); it.Next(); {
		k, err := mapKey(it.Key())
		if err != nil {
			return err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		if err := writeJSON(&buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := writeJSON(&buf, it.Value().Interface()); err != nil {
			return err
		}
		if buf.Len() >= size {
			if err := flush(); err != nil {
				return err
			}
			buf.WriteByte('{')
		}
	}
	if buf.Len() > 1 || m.Len() == 0 {
		return flush()
	}
	return nil
}

// StateDecoder restores a state from its parts, added in any number and,
// for a map's parts, any order.
type StateDecoder struct {
	s      *State
	fields map[string]reflect.Value
}

func NewStateDecoder() *StateDecoder {
	d := &StateDecoder{s: NewState(), fields: map[string]reflect.Value{}}
	v := reflect.ValueOf(d.s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if name, _, ok := jsonField(t.Field(i)); ok {
			d.fields[name] = v.Field(i)
		}
	}
	return d
}

// Add decodes one part into the state. A map's parts add to its entries.
func (d *StateDecoder) Add(p Part) error {
	f, ok := d.fields[p.Field]
	if !ok {
		return fmt.Errorf("snapshot part of unknown field %q", p.Field)
	}
	if err := fastUnmarshal(p.Data, f.Addr().Interface()); err != nil {
		return fmt.Errorf("snapshot part %q: %w", p.Field, err)
	}
	return nil
}

// DecodedPart is a part decoded apart from the state (Decode), for Merge
// to add to it.
type DecodedPart struct {
	p     Part
	field reflect.Value
	v     reflect.Value // a map of the field's type, or invalid: Merge adds p
}

// Decode decodes a map's part into a map of its own, so that parts can be
// decoded on several goroutines at once (a cockpit opening a million
// events decodes 60 MB of parts). Other fields are small and left to
// Merge. Decode may run concurrently with itself and with Merge.
func (d *StateDecoder) Decode(p Part) (DecodedPart, error) {
	f, ok := d.fields[p.Field]
	if !ok {
		return DecodedPart{}, fmt.Errorf("snapshot part of unknown field %q", p.Field)
	}
	if f.Kind() != reflect.Map {
		return DecodedPart{p: p, field: f}, nil
	}
	m := reflect.New(f.Type())
	if err := fastUnmarshal(p.Data, m.Interface()); err != nil {
		return DecodedPart{}, fmt.Errorf("snapshot part %q: %w", p.Field, err)
	}
	return DecodedPart{field: f, v: m.Elem()}, nil
}

// Merge adds a decoded part to the state as Add would have added it:
// parts merged in the order they were written restore the same state.
func (d *StateDecoder) Merge(x DecodedPart) error {
	if !x.v.IsValid() {
		return d.Add(x.p)
	}
	// null makes the field nil, as it does for Add; into an empty field
	// the part's map goes whole.
	if x.v.IsNil() || x.field.Len() == 0 {
		x.field.Set(x.v)
		return nil
	}
	for it := x.v.MapRange(); it.Next(); {
		x.field.SetMapIndex(it.Key(), it.Value())
	}
	return nil
}

// State is the state decoded so far.
func (d *StateDecoder) State() *State { return d.s }
