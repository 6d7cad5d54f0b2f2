// Package proof verifies identity proofs: a statement naming a tminus member,
// signed by a second key of another kind (an OpenSSH key, an OpenSSH
// certificate, or an OpenPGP key).
//
// It is pure, like the fold that imports it: no I/O, no clock, no randomness.
// Check takes the time to judge at (the signed time of the event carrying
// the proof), so every replica decides alike. It imports nothing else of the
// project.
package proof
