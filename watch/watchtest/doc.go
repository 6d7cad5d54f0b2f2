// Package watchtest runs go-ethereum's simulated chain with a small
// pausable ERC-20 (testdata/Pausable.sol) deployed, for the watcher's tests
// and the command line's end-to-end tests: send and mine transactions,
// serve JSON-RPC on loopback, and reorganise a transaction out of the chain.
//
// It is test support: nothing outside tests imports it.
package watchtest
