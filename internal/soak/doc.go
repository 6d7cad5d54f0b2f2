// Package soak runs real `tminus serve` processes on 127.0.0.1 under
// faults drawn from a seed (partitions, kill -9, a skewed clock, garbage
// from peers, a full disk), with writers on every node, and then checks
// that every acknowledged write reached every member's node, that the
// state hashes agree, that every store verifies and that nobody honest was
// caught equivocating. cmd/soak is its command (`make soak`); TestSoakShort
// runs a short one inside `go test`.
//
// It drives nodes only through the tminus binary and TCP, as users and
// peers do; it reads the stores' SQLite files directly only to measure
// how fast writes spread, and opens them with the store package only after
// every node stopped.
package soak
