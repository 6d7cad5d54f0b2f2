package watch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// ErrPayload marks a request body that can never be accepted as sent: the
// webhook answers 400 with the wrapped message, which names the field.
var ErrPayload = errors.New("invalid payload")

// maxFingerprintLen bounds a sender-chosen identity; Alertmanager's are 16
// characters and chain ones 69, so 256 only refuses abuse.
const maxFingerprintLen = 256

func payloadErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPayload, fmt.Sprintf(format, args...))
}

// firstByte is the first non-space byte of a JSON text, which tells an
// object from an array before decoding, so the error can say which was sent.
func firstByte(body []byte) byte {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// jsonProblem rewrites encoding/json errors in terms of the payload rather
// than of our Go types, which a sender cannot see.
func jsonProblem(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return payloadErr("malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return payloadErr("%s: got a JSON %s, want %s", field, te.Value, jsonKind(te.Type))
	}
	return payloadErr("%v", err)
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.Kind().String()
}

// parseTime accepts what Alertmanager writes (RFC 3339 with nanoseconds) and
// treats an absent or empty time as the zero time, which is how Alertmanager
// spells "still firing" in endsAt.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, payloadErr("%s: %q is not an RFC 3339 time", field, s)
	}
	return t, nil
}

// oneLine folds every run of whitespace in a title or source, line feeds
// and tabs among them, to one space: a title is printed on one line (alert
// list, incident show's timeline, logs), and a sender's line feed in it
// forged lines there.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkFingerprint trims a sender's fingerprint; "" means derive one.
func checkFingerprint(field, fp string) (string, error) {
	fp = strings.TrimSpace(fp)
	if len(fp) > maxFingerprintLen {
		return "", payloadErr("%s: %d bytes, at most %d", field, len(fp), maxFingerprintLen)
	}
	return fp, nil
}
