package soak

import (
	"io"
	"net"
	"sync"
	"time"
)

// link is one direction of one pair of nodes: node from dials node to
// through it (from's peer row names the link's address, never to's real
// one), so cutting the link partitions the pair without touching either
// process.
type link struct {
	from, to int
	ln       net.Listener
	target   string // to's real listen address

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newLink(from, to int, target string) (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &link{from: from, to: to, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go l.serve()
	return l, nil
}

func (l *link) addr() string { return l.ln.Addr().String() }

func (l *link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.cut {
			l.mu.Unlock()
			c.Close() // a cut link connects and says nothing, like a dead route
			continue
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		go l.pipe(c)
	}
}

// retarget points the link at a node that moved to another port.
func (l *link) retarget(addr string) {
	l.mu.Lock()
	l.target = addr
	l.mu.Unlock()
}

func (l *link) pipe(c net.Conn) {
	defer l.forget(c)
	l.mu.Lock()
	target := l.target
	l.mu.Unlock()
	d, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	l.mu.Lock()
	if l.cut {
		l.mu.Unlock()
		d.Close()
		return
	}
	l.conns[d] = struct{}{}
	l.mu.Unlock()
	defer l.forget(d)
	done := make(chan struct{})
	go func() { io.Copy(d, c); d.Close(); c.Close(); close(done) }()
	io.Copy(c, d)
	c.Close()
	d.Close()
	<-done
}

func (l *link) forget(c net.Conn) {
	c.Close()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// setCut cuts the link (closing what runs over it) or heals it.
func (l *link) setCut(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for c := range l.conns {
			c.Close()
		}
	}
}

func (l *link) close() {
	l.ln.Close()
	l.setCut(true)
}
