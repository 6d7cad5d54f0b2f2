package onchain

import (
	"strings"
	"testing"
)

func TestExplainSafeError(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"execution reverted: GS026", "GS026: invalid owner provided"},
		{"execution reverted: GS013", "GS013: the Safe transaction's call failed"},
		{"execution reverted: GS099", ""},
		{"execution reverted", ""},
		{"insufficient funds for gas * price + value", ""},
	} {
		got := explainSafeError(tc.msg)
		if tc.want == "" && got != "" || tc.want != "" && !strings.HasPrefix(got, tc.want) {
			t.Errorf("explainSafeError(%q) = %q, want %q...", tc.msg, got, tc.want)
		}
	}
}
