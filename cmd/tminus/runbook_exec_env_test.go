package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lowRiskRunbook writes a low-risk runbook with one step running command into a fresh
// TMINUS_RUNBOOKS directory, and returns the id of its proposal on the incident.
func lowRiskRunbook(t *testing.T, home, incident, command string) string {
	t.Helper()
	dir := t.TempDir()
	md := "---\nid: probe\ntitle: Probe\nrisk: low\n---\n1. Probe\n   ```sh\n   " + command + "\n   ```\n"
	if err := os.WriteFile(filepath.Join(dir, "probe.md"), []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMINUS_RUNBOOKS", dir)
	return must(t, home, "runbook", "propose", incident[:8], "probe")
}

// TestRunbookExecKeepsThePassphraseOut: a step runs with the responder's environment, but
// not with the passphrase that unlocks their key: an evidence step printing its
// environment (env, a debug flag, a crash dump) kept it in a blob every peer replicates.
func TestRunbookExecKeepsThePassphraseOut(t *testing.T) {
	home, inc := newWorkspace(t)
	t.Setenv("PROBE_KEPT", "kept")
	id := lowRiskRunbook(t, home, inc, `printf '%s/%s' "${TMINUS_PASSPHRASE-unset}" "$PROBE_KEPT"`)
	out, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if code != 0 || out != "unset/kept" {
		t.Fatalf("exit %d, output %q (%s): want the passphrase unset and the rest of the environment kept", code, out, errs)
	}
}

// TestRunbookExecShowsControlsInert: a step's output is the collected host's words (ps
// on a compromised host lists the attacker's process names), and runbook exec printed it
// raw: an OSC 52 in it wrote the responder's clipboard, a CSI cleared the screen. It is
// shown with controls replaced, as all of the CLI's text; the evidence blob keeps the bytes.
func TestRunbookExecShowsControlsInert(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, `printf 'root 1 \033]52;c;cm0gLXJmIC8=\007sshd\033[2J\n'`)
	out, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if code != 0 || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "root 1 ") || !strings.Contains(out, "sshd") {
		t.Fatalf("exit %d, shown %q (%s): want the controls replaced", code, out, errs)
	}
	hash := strings.Fields(strings.SplitN(errs, "output sha256 ", 2)[1])[0]
	if blob := must(t, home, "evidence", "get", hash); blob != "root 1 \x1b]52;c;cm0gLXJmIC8=\x07sshd\x1b[2J" {
		t.Fatalf("evidence get %s = %q: want the exact bytes", hash, blob)
	}
}

// TestRunbookExecMissingProgram: exit 127 is the shell's "not found": the error says a
// program the step calls is missing here, not only that the command exited 127.
func TestRunbookExecMissingProgram(t *testing.T) {
	home, inc := newWorkspace(t)
	id := lowRiskRunbook(t, home, inc, "tminus-no-such-tool --version")
	out, errs, code := tminus(t, home, "runbook", "exec", id[:10])
	if code != 1 || !strings.Contains(out, "tminus-no-such-tool") || !strings.Contains(errs, "exited 127 (recorded)") ||
		!strings.Contains(errs, "was not found on PATH or is not executable") {
		t.Fatalf("exit %d, output %q: %s", code, out, errs)
	}
}
