package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tminus-ir/tminus/workspace"
)

// The cockpit's backend answers which seq this home holds of each key, as the
// store's heads say: a new event moves its author's on, a key never seen is 0.
func TestCockpitKeyHeads(t *testing.T) {
	alice, inc := newWorkspace(t)
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, alice, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	key, stranger := common.HexToAddress(id.Address), common.HexToAddress("0x00000000000000000000000000000000000000aa")
	a := &app{home: &workspace.Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	b := cockpitBackend(t, a)
	ctx := context.Background()
	before, err := b.KeyHeads(ctx, []common.Address{key, stranger})
	if err != nil {
		t.Fatal(err)
	}
	if before[key] == 0 || before[stranger] != 0 || len(before) != 2 {
		t.Fatalf("heads %v: want alice's seq and 0 for a stranger", before)
	}
	must(t, alice, "note", inc, "one more")
	after, err := b.KeyHeads(ctx, []common.Address{key})
	if err != nil {
		t.Fatal(err)
	}
	if after[key] != before[key]+1 {
		t.Errorf("after a note alice's head is %d, want %d", after[key], before[key]+1)
	}
}
