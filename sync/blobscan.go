package sync

import (
	"context"
	"time"

	"github.com/tminus-ir/tminus/store"
)

// A blob reaches this store with the event that names it when the peer
// that sent the event holds it. When that peer lacked it (it got the event
// from a bundle, or from another peer without the blob), the blob is asked
// for again by the scan: each session walks the store's list of missing
// blobs (store.MissingBlobs) and asks its own peer for those the peer has
// not said it lacks, blobFlight at a time.

// scanPage is how many missing hashes one read of the store returns.
const scanPage = 32

// blobScanEvery is how often a session looks again for blobs that reached
// its peer since; a peer that said it lacked a blob is asked for it again
// after notHereFor (it may have got it from another member meanwhile, and
// a node's sessions last days). Variables so that tests can shorten them.
var (
	blobScanEvery = 30 * time.Second
	notHereFor    = 10 * time.Minute
)

// lacks reports whether the peer said lately that it lacks the blob.
func (s *Session) lacks(hash string) bool {
	at, ok := s.notHere[hash]
	if ok && time.Since(at) >= notHereFor {
		delete(s.notHere, hash)
		return false
	}
	return ok
}

// emptyBlob names zero bytes, which need no peer.
var emptyBlob = store.BlobHash(nil)

// startScan begins a pass over the missing blobs, or marks one due after
// the pass that runs.
func (s *Session) startScan(ctx context.Context) error {
	if s.scanning {
		s.scanDue = true
		return nil
	}
	s.scanning, s.scanDue, s.scanAfter, s.lastScan = true, false, "", time.Now()
	return s.topUp(ctx)
}

// scanTick starts the pass that is due: after the store gained events (no
// more often than blobScanGap), or every blobScanEvery.
func (s *Session) scanTick(ctx context.Context) error {
	if s.scanning || !s.wsSeen {
		return nil
	}
	if s.Claims != nil {
		// Another session's blob ask failed: this peer may hold it.
		if n := s.Claims.freed.Load(); n != s.freedSeen {
			s.freedSeen, s.scanDue = n, true
		}
	}
	since := time.Since(s.lastScan)
	if (s.scanDue && since >= blobScanGap) || since >= blobScanEvery {
		return s.startScan(ctx)
	}
	return nil
}

// topUp asks the peer for the next missing blobs of the pass, until
// blobFlight are asked for; it ends the pass at the end of the list.
func (s *Session) topUp(ctx context.Context) error {
	if !s.scanning {
		return nil
	}
	var batch []string
	for len(s.blobOrder)+len(batch) < blobFlight {
		page, err := s.St.MissingBlobs(ctx, s.scanAfter, scanPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			s.scanning = false
			break
		}
		read := 0
		for _, h := range page {
			if len(s.blobOrder)+len(batch) >= blobFlight {
				break
			}
			read++
			s.scanAfter = h
			if !s.blobs[h] && !s.gaveUp[h] && !s.lacks(h) && s.Claims.takeBlob(h, s) {
				batch = append(batch, h)
			}
		}
		if read == len(page) && len(page) < scanPage {
			s.scanning = false // a short page is the end of the list
			break
		}
	}
	if len(batch) == 0 {
		return nil
	}
	for _, h := range batch {
		s.blobs[h] = true
	}
	s.blobOrder = append(s.blobOrder, batch...)
	return send(s.RW, GetBlobsMsg, &GetBlobs{Hashes: batch})
}
