package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/workspace"
)

type shownID struct {
	Enode string
	Live  bool
}

func idJSON(t *testing.T, home string) shownID {
	t.Helper()
	var id shownID
	if err := json.Unmarshal([]byte(must(t, home, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// id shows the enode a running node recorded (serve --listen on another
// port, or port 0), not the config's, and the config's once it stops.
func TestIDShowsTheLiveEnode(t *testing.T) {
	home, _ := newWorkspace(t)
	configured := idJSON(t, home)
	if configured.Live || !strings.HasSuffix(configured.Enode, "@"+workspace.DefaultListen) {
		t.Fatalf("no node running: %+v", configured)
	}
	if out := must(t, home, "id"); !strings.Contains(out, "(from the config") {
		t.Errorf("id without a node: %s", out)
	}

	// What serve does: hold the node socket, record what its node listens on.
	h := &workspace.Home{Dir: home}
	defer h.Close()
	if writer, err := h.Serve(context.Background(), io.Discard); err != nil || !writer {
		t.Fatalf("serve the node socket: %v %v", writer, err)
	}
	live := strings.Replace(configured.Enode, workspace.DefaultListen, "127.0.0.1:41999", 1)
	forget, err := h.RecordNode(live)
	if err != nil {
		t.Fatal(err)
	}
	if got := idJSON(t, home); got.Enode != live || !got.Live {
		t.Errorf("node running: %+v, want %s", got, live)
	}
	if out := must(t, home, "id"); !strings.Contains(out, live+" (a running node listens here)") {
		t.Errorf("id with a node: %s", out)
	}
	forget()
	if got := idJSON(t, home); got.Enode != configured.Enode || got.Live {
		t.Errorf("node stopped: %+v, want the config's %s", got, configured.Enode)
	}
}

// serve on a port the config does not name: id shows the port it listens
// on, while it runs, and the config's again once it stopped.
func TestIDShowsTheRunningServesPort(t *testing.T) {
	c := newRealCLI(t)
	home := filepath.Join(t.TempDir(), "alice")
	c.run(home, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	s := c.serve(home)
	var id struct {
		Enode string `json:"enode"`
		Live  bool   `json:"live"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := json.Unmarshal([]byte(c.run(home, "id", "--json")), &id); err != nil {
			t.Fatal(err)
		}
		if id.Live || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !id.Live || id.Enode != s.enode {
		t.Fatalf("id while serve runs: enode %s live %v, want %s", id.Enode, id.Live, s.enode)
	}
	// The roster still names the config's port: serve says peers dial that.
	if log := s.stderr(); !strings.Contains(log, "the roster tells peers to dial alice at 127.0.0.1:") || !strings.Contains(log, "tminus peer add "+s.enode) {
		t.Errorf("serve on another port than the roster's hint did not say so:\n%s", log)
	}
	s.kill()
	if err := json.Unmarshal([]byte(c.run(home, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	if id.Live || id.Enode == s.enode {
		t.Errorf("id after serve stopped: enode %s live %v", id.Enode, id.Live)
	}
}

// serve on a home whose key cannot write says so at the start: it still
// serves what it holds, but nothing it would write counts.
func TestServeSaysWhenItsKeyCannotWrite(t *testing.T) {
	c := newRealCLI(t)
	dir := t.TempDir()
	alice, bob := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	c.run(alice, "init", "--name", "acme", "--handle", "alice", "--light-kdf")
	c.run(bob, "join", "--handle", "bob", "--light-kdf")
	file := filepath.Join(dir, "b.jsonl")
	c.run(alice, "bundle", "export", file)
	c.run(bob, "bundle", "import", file)
	s := c.serve(bob)
	if log := s.stderr(); !strings.Contains(log, "note: cannot write: ") || !strings.Contains(log, "is not a member of this workspace") {
		t.Errorf("serve of a stranger's home:\n%s", log)
	}
	if log := c.serve(alice).stderr(); strings.Contains(log, "cannot write") {
		t.Errorf("serve of a member's home:\n%s", log)
	}
}
