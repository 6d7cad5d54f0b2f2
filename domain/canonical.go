package domain

import (
	"bufio"
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// writeCanonical writes exactly what json.Marshal(s) returns, one
// top-level field and one map entry at a time. At 100,000 events the
// state is some 20 MB of JSON: hashing it through one buffer held it twice
// and made the heap, and the page faults, of a state-hash twice as large.
func writeCanonical(w io.Writer, s *State) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	bw.WriteByte('{')
	first := true
	for i := range t.NumField() {
		name, omitEmpty, ok := jsonField(t.Field(i))
		if !ok {
			continue
		}
		fv := v.Field(i)
		if omitEmpty && empty(fv) {
			continue
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		if err := writeJSON(bw, name); err != nil {
			return err
		}
		bw.WriteByte(':')
		var err error
		if fv.Kind() == reflect.Map && !fv.IsNil() {
			err = writeMap(bw, fv)
		} else {
			err = writeJSON(bw, fv.Interface())
		}
		if err != nil {
			return err
		}
	}
	bw.WriteByte('}')
	return bw.Flush()
}

// jsonField is how encoding/json names a struct field; ok is false for
// one it skips.
func jsonField(f reflect.StructField) (name string, omitEmpty, ok bool) {
	name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	if !f.IsExported() || name == "-" {
		return "", false, false
	}
	if name == "" {
		name = f.Name
	}
	return name, opts == "omitempty", true
}

// writeMap writes a map as encoding/json does: keys as strings, sorted.
func writeMap(w *bufio.Writer, m reflect.Value) error {
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, m.Len())
	for it := m.MapRange(); it.Next(); {
		k, err := mapKey(it.Key())
		if err != nil {
			return err
		}
		entries = append(entries, entry{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	w.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			w.WriteByte(',')
		}
		if err := writeJSON(w, e.key); err != nil {
			return err
		}
		w.WriteByte(':')
		if err := writeJSON(w, e.val.Interface()); err != nil {
			return err
		}
	}
	w.WriteByte('}')
	return nil
}

// mapKey is encoding/json's rule: string keys as they are, then
// TextMarshalers, then integers in decimal.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", &json.UnsupportedTypeError{Type: k.Type()}
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// empty is encoding/json's omitempty test.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
