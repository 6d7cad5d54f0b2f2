package store

// Commits returns a channel that receives after each write transaction
// this Store commits, and a function that stops it. A node announces its
// own appends on it at once instead of waiting for a poll; writes by other
// processes on the same file still need Arrived. A slow reader loses
// nothing: one pending signal stands for any number of commits.
func (s *Store) Commits() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[chan struct{}]struct{}{}
	}
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

func (s *Store) committed() {
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}
