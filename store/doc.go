// Package store keeps one workspace in a SQLite file (modernc.org/sqlite):
// the append-only event log with the raw signed bytes, equivocation proofs,
// orphans waiting for their chain, content-addressed blobs and snapshots of
// the folded state; and the member's keystore file.
//
// Every integrity rule of the design is enforced here, on every path in:
// own appends, imports and peers all go through one inserter. Writes run
// on one goroutine, each in one transaction, so a crash leaves the file as
// it was before or after a write. The store decides nothing about who may
// do what: that is the fold's job, in domain.
package store
