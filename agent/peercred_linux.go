package agent

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// checkPeer refuses a process of another user: the kernel's word on who
// connected (SO_PEERCRED), not the socket file's mode, which root or a
// forwarded path might not honour.
func checkPeer(c net.Conn, uid int) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("peer credentials: %w", cerr)
	}
	if int(cred.Uid) != uid {
		return fmt.Errorf("refused: the connecting process (pid %d) runs as uid %d, this agent serves uid %d only", cred.Pid, cred.Uid, uid)
	}
	return nil
}
