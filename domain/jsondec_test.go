package domain

import (
	"encoding/json"
	"testing"
)

// High-surrogate escapes are what goccy mishandles under checkptr; only
// they take the encoding/json path, and both paths decode alike.
func TestHighSurrogateEscape(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`"\ud800"`, true},
		{`"\uDBFF\uDC00"`, true},
		{`"x\u00e9 \uD9a0"`, true},
		{`"\udc00"`, false}, // a low half alone: no look-ahead
		{`"\u00e9"`, false},
		{`"\u"`, false},
		{`"\ud"`, false},
		{`"plain"`, false},
		{``, false},
	} {
		if got := highSurrogateEscape([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.in, got, tc.want)
		}
		var fast, std string
		if tc.in == `` || tc.in == `"\u"` || tc.in == `"\ud"` {
			continue // not JSON
		}
		if err := fastUnmarshal([]byte(tc.in), &fast); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if err := json.Unmarshal([]byte(tc.in), &std); err != nil || fast != std {
			t.Errorf("%s: decoded %q, encoding/json %q (%v)", tc.in, fast, std, err)
		}
	}
}
