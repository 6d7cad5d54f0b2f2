// Package nettest holds network helpers shared by tests.
package nettest

import (
	"net"
	"testing"
)

// ClosedPort is a 127.0.0.1 address nothing listens on (it was free a
// moment ago): a dial to it is refused at once.
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
