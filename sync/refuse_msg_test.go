package sync

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// A peer that has not yet received a rotation refuses the new key as "not
// a member". Asking a member to add the new address would be wrong (it is
// already the member's key): the refusal says what a rotated home does.
func TestRefusedNotMemberMentionsRotation(t *testing.T) {
	dev := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	msg := (&RefusedError{Reason: RefusedNotMember, Peer: "bob", Device: dev}).Error()
	for _, want := range []string{"ask a member to add " + dev.Hex(), "key rotate", "sync --ssh", "bundle"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q lacks %q", msg, want)
		}
	}
}
