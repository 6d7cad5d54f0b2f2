package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is how often a running sync says how far it has to go.
var progressEvery = 5 * time.Second

// syncProgress says on stderr, as a sync runs, how many events the peer
// holds that this home still lacks: a first sync of a busy workspace over
// a slow link otherwise runs for minutes without a word. It speaks only
// when that number is above zero and has changed since it last spoke, so
// a quick sync prints nothing. behind is read on each tick; stop ends it.
func syncProgress(w io.Writer, peer string, behind func() int64, tick <-chan time.Time) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
				if b := behind(); b > 0 && b != last {
					fmt.Fprintf(w, "sync: %d events still to pull from %s\n", b, peer)
					last = b
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// everyProgress is the ticker syncProgress reads in a real sync.
func everyProgress() (<-chan time.Time, func()) {
	t := time.NewTicker(progressEvery)
	return t.C, t.Stop
}
