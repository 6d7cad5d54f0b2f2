package agent

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerCred is the kernel's word on the process at the other end of c
// (SO_PEERCRED); ok is false for a connection that is not a unix socket.
func peerCred(c net.Conn) (uid, pid int, ok bool, err error) {
	uc, isUnix := c.(*net.UnixConn)
	if !isUnix {
		return 0, 0, false, nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, 0, false, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return 0, 0, false, err
	}
	if cerr != nil {
		return 0, 0, false, fmt.Errorf("peer credentials: %w", cerr)
	}
	return int(cred.Uid), int(cred.Pid), true, nil
}

// checkPeer refuses a process of another user: the kernel's word on who
// connected (SO_PEERCRED), not the socket file's mode, which root or a
// forwarded path might not honour.
func checkPeer(c net.Conn, uid int) error {
	peer, pid, ok, err := peerCred(c)
	if err != nil || !ok {
		return err
	}
	if peer != uid {
		return fmt.Errorf("refused: the connecting process (pid %d) runs as uid %d, this agent serves uid %d only", pid, peer, uid)
	}
	return nil
}
