package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The config names the address a node listens on by default, but serve
// --listen (or port 0) can choose another: a running node records the enode
// it actually listens on, so `tminus id` prints the one peers can dial.

// liveNode is the record: the enode and the process that listens on it.
type liveNode struct {
	Enode string `json:"enode"`
	PID   int    `json:"pid"`
}

// maxLiveRecord bounds what LiveEnode reads: a record is one short line.
const maxLiveRecord = 4 << 10

func (h *Home) livePath() string { return filepath.Join(h.Dir, "node.live") }

// RecordNode notes that this process's node listens at url (its enode
// URL, from the running node), written atomically; forget removes the
// note, if it is still this process's, when the node stops.
func (h *Home) RecordNode(url string) (forget func(), err error) {
	if err := h.checkOwnEnode(url); err != nil {
		return nil, err
	}
	data, err := json.Marshal(liveNode{Enode: url, PID: os.Getpid()})
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(h.Dir, ".node.live-*")
	if err != nil {
		return nil, fmt.Errorf("record the node's address: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("record the node's address: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("record the node's address: %w", err)
	}
	if err := os.Rename(f.Name(), h.livePath()); err != nil {
		return nil, fmt.Errorf("record the node's address: %w", err)
	}
	return func() {
		if r, err := h.readLive(); err == nil && r.PID == os.Getpid() {
			os.Remove(h.livePath())
		}
	}, nil
}

// LiveEnode is the enode a running node of this home recorded, or "" when
// none runs: the record is believed only while the process that wrote it
// lives, a node answers on the node socket, and it names this home's key.
// A crashed serve's record is thereby ignored, not shown as live.
func (h *Home) LiveEnode() string {
	r, err := h.readLive()
	if err != nil || r.PID <= 0 || !processLives(r.PID) || h.checkOwnEnode(r.Enode) != nil {
		return ""
	}
	c, err := net.DialTimeout("unix", h.NodeSock(), time.Second)
	if err != nil {
		return ""
	}
	c.Close()
	return r.Enode
}

func (h *Home) readLive() (liveNode, error) {
	f, err := os.Open(h.livePath())
	if err != nil {
		return liveNode{}, err
	}
	defer f.Close()
	var r liveNode
	if err := json.NewDecoder(&limitedReader{f, maxLiveRecord}).Decode(&r); err != nil {
		return liveNode{}, err
	}
	return r, nil
}

// checkOwnEnode refuses an enode URL of another key than this home's.
func (h *Home) checkOwnEnode(url string) error {
	got, err := EnodeID(url)
	if err != nil {
		return fmt.Errorf("node address %q: %w", url, err)
	}
	own, err := h.Enode()
	if err != nil {
		return err
	}
	want, err := EnodeID(own)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("node address %q is another key's, not this home's", url)
	}
	return nil
}

// processLives reports whether pid names a running process (signal 0
// checks without sending anything; EPERM means it runs as another user).
func processLives(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// limitedReader fails past n bytes rather than stopping quietly, so an
// oversized record is an error, not a truncated one.
type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("node record too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}
