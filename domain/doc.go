// Package domain is tminus's pure core: the signed event envelope, the body
// of each event kind, the fold from events to State, authorization and
// quorum rules, and the state hash.
//
// It performs no I/O and reads no clock: stores and transports hand it
// events, and time-dependent views (overdue, next due) take "now" as an
// argument. It imports nothing else of the project.
package domain
