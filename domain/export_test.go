package domain

import "bytes"

// CanonicalBytes is writeCanonical into memory, for tests.
func CanonicalBytes(s *State) ([]byte, error) {
	var b bytes.Buffer
	err := writeCanonical(&b, s)
	return b.Bytes(), err
}
