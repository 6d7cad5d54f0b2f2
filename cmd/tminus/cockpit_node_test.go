package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// The cockpit runs a node while it is open: a member can sync with it as with
// a serve. A second node on a taken address (a serve already running for the
// home) is skipped, not an error: that process carries sync.
func TestCockpitRunsANode(t *testing.T) {
	alice, inc := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "member", "add", id.Address, "--handle", "bob", "--role", "triage")
	must(t, alice, "note", inc, "seen from the cockpit's node")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &app{home: &Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer a.home.Close()
	n := a.cockpitNode(ctx, "127.0.0.1:0")
	if n == nil {
		t.Fatal("the cockpit started no node")
	}
	defer n.Stop()
	defer maintain(ctx, n)()

	taken := n.Self()[strings.LastIndex(n.Self(), "@")+1:]
	other := &app{home: &Home{Dir: alice}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer other.home.Close()
	if n2 := other.cockpitNode(ctx, taken); n2 != nil {
		n2.Stop()
		t.Fatalf("a second node started on the taken address %s", taken)
	}

	must(t, bob, "sync", n.Self())
	if got, want := must(t, bob, "state-hash"), must(t, alice, "state-hash"); got != want {
		t.Fatalf("after syncing with the cockpit's node: bob %s, alice %s", got, want)
	}
}
