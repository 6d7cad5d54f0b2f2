package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/workspace"
)

// serve on a taken port says who may hold it: another program, or a
// process of this home (a cockpit that took over when serve stopped),
// instead of the bare bind error.
func TestServePortTaken(t *testing.T) {
	home, _ := newWorkspace(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().String()
	fails(t, home, port+" is taken by another program", "serve", "--listen", port)

	// This home's writer is another process, as a cockpit that took over.
	other := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	defer other.home.Close()
	if ok, err := other.home.Serve(context.Background(), nil); err != nil || !ok {
		t.Fatalf("the stand-in cockpit did not become the writer: %v %v", ok, err)
	}
	fails(t, home, "another process of this home (a cockpit that took over syncing?) writes it", "serve", "--listen", port)
}
