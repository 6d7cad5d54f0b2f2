// Command tminus is the incident cockpit and its command line: one file of
// flag wiring per group of commands (CLI.md is the contract scripts rely
// on), each calling into the packages, where the logic lives. It owns the
// home directory (key, store, config) and nothing else: no fold, no
// protocol, no rendering here.
package main
