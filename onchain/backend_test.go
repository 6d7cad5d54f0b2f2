package onchain

import "github.com/ethereum/go-ethereum/ethclient/simulated"

// The simulated backend's client must satisfy Backend, so tests and the
// chaintest package can use it.
var _ Backend = simulated.Client(nil)
