package watch

import "time"

// health follows one Run's scans for OnBlind and OnSight: failures in a
// row since when, and whether OnBlind was called for them.
type health struct {
	cfg     *ChainConfig
	since   time.Time // first failure of the current run of failures; zero while scans succeed
	blind   bool      // OnBlind was called for the current failures
	sighted bool      // a scan of this Run succeeded
}

func (h *health) failed(err error) {
	now := h.cfg.Now()
	if h.since.IsZero() {
		h.since = now
	}
	if !h.blind && now.Sub(h.since) >= h.cfg.BlindAfter {
		h.blind = true
		if h.cfg.OnBlind != nil {
			h.cfg.OnBlind(err, h.since)
		}
	}
}

func (h *health) succeeded() {
	var blindFor time.Duration
	tell := !h.sighted || h.blind
	if h.blind {
		blindFor = h.cfg.Now().Sub(h.since)
	}
	h.since, h.blind, h.sighted = time.Time{}, false, true
	if tell && h.cfg.OnSight != nil {
		h.cfg.OnSight(blindFor)
	}
}
