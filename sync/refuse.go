package sync

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// Why a node refuses a peer (Refused.Reason). A reason this version does
// not know is reported by its number.
const (
	RefusedNotMember = 1 // the peer's key is not an active member's device here
	RefusedBackedOff = 2 // the peer misbehaved recently and is backed off
)

// refuseLinger bounds how long a node that refused a peer waits for it to
// read the refusal and hang up: returning from Protocol.Run at once closes
// the connection, often before the peer's first write, which it then
// reported as "shutting down" or "use of closed network connection".
const refuseLinger = 2 * time.Second

// RefusedError is a peer's refusal of this device.
type RefusedError struct {
	Reason uint64
	Peer   string         // how to name the peer; "" reads as "the peer"
	Device common.Address // this device's key, the address a member adds
}

func (e *RefusedError) Error() string {
	peer := e.Peer
	if peer == "" {
		peer = "the peer"
	}
	switch e.Reason {
	case RefusedNotMember:
		return fmt.Sprintf("%s refused this device: not a member of its workspace roster (ask a member to add %s, or check the peer has synced the roster; "+
			"after tminus key rotate, the peer needs the rotation first: carry it with tminus sync --ssh or a bundle)", peer, e.Device.Hex())
	case RefusedBackedOff:
		return fmt.Sprintf("%s refused this device for now: it backed this device off after a session it judged misbehaving; try again in a minute", peer)
	}
	return fmt.Sprintf("%s refused this device (reason %d, unknown to this version)", peer, e.Reason)
}

// refusal says why admit turned id away: admit itself only says so in words.
func (n *Node) refusal(id enode.ID) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if b, ok := n.bad[id]; ok && time.Now().Before(b.until) {
		return RefusedBackedOff
	}
	return RefusedNotMember
}

// refuse tells a peer why it is not admitted and waits, a little, for it to
// hang up, discarding what it sends meanwhile.
func refuse(rw p2p.MsgReadWriter, reason uint64) {
	if err := send(rw, RefusedMsg, &Refused{Reason: reason}); err != nil {
		return
	}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			msg, err := rw.ReadMsg()
			if err != nil {
				return
			}
			msg.Discard()
		}
	}()
	select {
	case <-gone:
	case <-time.After(refuseLinger):
	}
}

// warnRefused logs a peer's refusal as a warning once per peer and
// process (a serve redials a wanted peer every few seconds); the rest go
// to the info log with every ended session.
func (n *Node) warnRefused(id enode.ID, err error) {
	n.mu.Lock()
	seen := n.refusedBy[id]
	n.refusedBy[id] = true
	n.mu.Unlock()
	if !seen {
		n.cfg.Logger.Warn(err.Error())
	}
}
