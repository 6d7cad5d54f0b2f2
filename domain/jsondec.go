package domain

import (
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
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("JSON decoder panicked: %v", r)
		}
	}()
	return gojson.Unmarshal(data, v)
}
