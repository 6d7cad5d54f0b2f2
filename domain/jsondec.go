package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	gojson "github.com/goccy/go-json"
)

var errInvalidJSON = errors.New("invalid JSON")

// fastUnmarshal decodes with goccy/go-json, several times faster than
// encoding/json, but only JSON that encoding/json's scanner found valid:
// goccy reads past the end of truncated input (fuzzing the snapshot
// decoder found it panicking there), and a peer's bytes must never crash
// a node nor decode by whatever lies beyond them. A panic left anyway is
// an error, and callers fall back to encoding/json.
func fastUnmarshal(data []byte, v any) (err error) {
	if !json.Valid(data) {
		return errInvalidJSON
	}
	if highSurrogateEscape(data) {
		return json.Unmarshal(data, v)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("JSON decoder panicked: %v", r)
		}
	}()
	return gojson.Unmarshal(data, v)
}

// highSurrogateEscape reports whether data holds an escape \uD800-\uDBFF.
// goccy (v0.10.5) forms a pointer 11 bytes past such an escape, to look for
// its low half, before checking that lies within the input: the read is
// guarded, but under -race (checkptr) that pointer past the end of the
// input is a fatal error, and a lone \ud800 in the fuzz seeds crashed
// `go test -race ./domain/`. tminus writes UTF-8, not such escapes, so
// encoding/json decoding them costs nothing that matters.
func highSurrogateEscape(data []byte) bool {
	for i := bytes.Index(data, []byte(`\u`)); i >= 0 && i+3 < len(data); {
		if c, d := data[i+2]|0x20, data[i+3]|0x20; c == 'd' && (d == '8' || d == '9' || d == 'a' || d == 'b') {
			return true
		}
		j := bytes.Index(data[i+2:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += 2 + j
	}
	return false
}
