// Package sync replicates a workspace's signed events between members'
// nodes: the tminus/1 protocol (Status, GetEvents, Events, Announce,
// GetBlobs, Blobs, Forks; RLP) run by go-ethereum's devp2p server, or over
// any byte stream (an SSH command's stdio) with Framed.
//
// Nothing from a peer is trusted before the store has verified it; a peer
// that sends anything invalid is disconnected and backed off. Admission is
// by the roster: a node's key is its member's device key.
package sync
