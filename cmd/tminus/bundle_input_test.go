package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// However the bytes arrive (a pipe hands them over a few at a time), a
// bundle's reader says it was cut exactly when the last byte is not a line
// break, and hands eachLine every non-blank line; and it tells a file that
// is not a bundle (bundle_sniff.go) by its first line whatever the size of
// the first read.
func FuzzBundleInput(f *testing.F) {
	for _, s := range []string{"", "\n", "{\"id\":1}\n", "{\"id\":1}\n{\"id\"", "a\r\nb\r\n", "\n\n  \n{", "PK\x03\x04", "\x1f\x8b\x08\n", "# Vault drain\n\n| a |\n",
		strings.Repeat("ab", 32) + "  b.jsonl\n", "{\n  \"id\": 1\n}\n", "[\n  {\"id\":1}\n]\n", "\n## Retro\n", "{", "\ufeff{\"id\":1}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := 0
		for l := range strings.SplitSeq(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				want++
			}
		}
		refusal := notBundle("b", data)
		for name, r := range map[string]func() *bundleInput{
			"whole":    func() *bundleInput { return &bundleInput{name: "b", r: bytes.NewReader(data)} },
			"one byte": func() *bundleInput { return &bundleInput{name: "b", r: iotest.OneByteReader(bytes.NewReader(data))} },
			"halves":   func() *bundleInput { return &bundleInput{name: "b", r: iotest.HalfReader(bytes.NewReader(data))} },
		} {
			in := r()
			got := 0
			var last []byte
			err := eachLine(in, "b", func(_ int, line []byte) error {
				got++
				last = append(last[:0], line[0])
				return nil
			})
			var pe packedError
			switch {
			case refusal != "":
				if !errors.As(err, &pe) || pe.msg != refusal {
					t.Fatalf("%s: %v; want %q", name, err, refusal)
				}
				continue
			case err != nil:
				t.Fatalf("%s: %v", name, err)
			}
			cut := len(data) > 0 && data[len(data)-1] != '\n'
			if in.cut() != cut || got != want {
				t.Fatalf("%s: cut %v, %d lines; want %v, %d", name, in.cut(), got, cut, want)
			}
			if in.cutShort(last) && !bytes.HasPrefix(last, []byte("{")) {
				t.Fatalf("%s: a line not starting with { called cut short", name)
			}
		}
	})
}
