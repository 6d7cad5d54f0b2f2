// Package tui is the cockpit: the full-screen bubbletea program a responder works an
// incident in. It owns the screen layout (a header on every tab, six panes that are tabs
// at 80x24 and all visible from 160x48), the one KeyMap and the help built from it, the
// forms that turn keys into the same event bodies the CLI signs, the one per-second
// clock, and the polling that puts events appended elsewhere on screen within a second.
//
// It reads and writes only through Backend, which it declares, so tests drive it with an
// in-memory fake; a runbook step runs through Backend.Exec in a tea.Cmd, only after a
// dialog has shown the exact command and the gate; a run's captured output is read back
// through Backend.Blob in a tea.Cmd too. It must not open a store, sign, run a
// command itself, read a clock other than Options.Now,
// touch the terminal except through bubbletea and Options.Copy, use package-level
// styles (every style comes from the renderer it was given, per terminal), or print a
// byte of shared-state text without clean (a member's note must not drive a terminal),
// nor of a run's output without neutralise (a host's reply must not either).
// Rendering stays proportional to what is visible: panes draw only their visible rows,
// and derived row lists are rebuilt on state changes, not in View.
package tui
