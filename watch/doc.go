// Package watch turns outside signals into Alerts: Prometheus Alertmanager's
// webhook, a small generic JSON webhook, and on-chain watchers that poll
// eth_getLogs. It owns decoding, validation, fingerprints, redelivery dedupe,
// the HTTP receiver's limits and timeouts, and the chain cursor logic.
//
// It must not sign, store or fold anything itself: every Alert goes to a Sink,
// which the caller (the store) turns into signed alert.observe events, and a
// webhook answers 2xx only after the Sink says they are durable. It does not
// import the event log, so the two can change independently. Its tests reach
// only loopback (127.0.0.1) and go-ethereum's in-process simulated chain.
package watch
