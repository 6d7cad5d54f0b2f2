//go:build !linux

package agent

import "net"

// checkPeer relies on the socket's 0600 mode and private directory where
// the kernel does not name the peer through SO_PEERCRED.
func checkPeer(net.Conn, int) error { return nil }
