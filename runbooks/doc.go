// Package runbooks owns the runbook files and what can be done with them locally: parsing
// and checking the Markdown format (front matter, numbered steps, one sh one-liner each),
// the embedded default library and a team's directory laid over it, rendering a step with
// pattern-checked, shell-quoted parameters, filling the kickoff and retro templates, and
// running one rendered command on this machine with a timeout and a capped output.
//
// It must not reach the network itself, and it never runs anything because of a remote event:
// Exec runs what its caller hands it, and the caller decides, after checking the proposal,
// the signed approvals and the content hash against the event log. Gating lives with the
// callers, which know the roster; this package knows files and shells.
package runbooks
