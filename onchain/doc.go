// Package onchain talks JSON-RPC to an Ethereum node for tminus: it reads a
// Safe (version, owners, threshold, nonce), executes a co-signed Safe
// transaction once its signatures meet the threshold, and anchors the
// workspace's log root in a transaction.
//
// Every check that can be made before spending gas is made here, against
// the chain's current state: the chain id, the Safe's nonce, and that the
// signatures recover to current owners and meet the threshold.
package onchain
