// Package agent holds an unlocked tminus key for other processes, the way
// ssh-agent holds SSH keys, and carries a home's writes to the one process
// that writes its store.
//
// The protocol is a handful of fixed requests, each a length-prefixed frame
// with a hard size cap, over a unix socket that only its owner's processes
// may use (SO_PEERCRED on Linux, the socket's mode and directory elsewhere).
// It signs only what it can read: a well-formed tminus event for its
// workspace and author (domain.CheckSigningRequest). There is no request
// for a bare hash or a message, so a process that reaches the socket (or a
// host it is forwarded to) cannot make it sign a Safe transaction or an
// EIP-191 message.
//
// The in-memory Keyring and the socket Client both implement Agent, so a
// Server can serve either and tests run client and server over net.Pipe.
package agent
