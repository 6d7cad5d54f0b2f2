package main

import (
	"encoding/json"
	"testing"
)

// mustJSON decodes a command's --json output into v.
func mustJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
}
