// Package domaintest builds signed event histories for tests and
// benchmarks of domain, store and sync: deterministic keys, a Node that
// writes its chain exactly as a store's Append would (seq, prev, deps,
// lamport), and a seeded generator of random valid multi-author histories.
//
// It is test support: it reads no clock and touches no disk, and nothing
// outside tests imports it.
package domaintest
