// Package safe is a Safe (Gnosis Safe, v1.3 and later) transaction as tminus
// records it: its fields, its EIP-712 hashes computed exactly as the Safe
// contract computes them, the ABI call it carries, and owners' signatures.
//
// It is pure: no I/O, no clock, no randomness, and it imports nothing else of
// the project, because the domain fold imports it. Reading and executing on a
// chain lives in package onchain.
package safe
