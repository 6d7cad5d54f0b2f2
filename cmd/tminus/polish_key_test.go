package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tminus-ir/tminus/domain/domaintest"
	"github.com/tminus-ir/tminus/domain/proof"
)

// key rotate --print-statement signs nothing with the old key and leaves
// the home on it, yet it was refused while an agent (or a serve, or a
// cockpit) held the old key: the responder had to stop their agent just to
// print a statement for gpg. It now runs; the rotation itself is still
// refused until the agent stops.
func TestPrintStatementWhileTheKeyIsHeld(t *testing.T) {
	home, _ := newWorkspace(t)
	dir := t.TempDir()
	key := writeSSHKey(t, dir, "alice-held", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	old := idAddress(t, home)
	printArgs := []string{"key", "rotate", "--print-statement", "--kind", "ssh", "--public-key", key + ".pub", "--light-kdf"}

	node, err := net.Listen("unix", filepath.Join(home, "node.sock")) // a serve or cockpit
	if err != nil {
		t.Fatal(err)
	}
	beside := must(t, home, printArgs...)
	node.Close()
	ag := startAgentWith(t, binary(t), home, "correct horse")
	stmt := must(t, home, printArgs...) + "\n"
	if stmtMember(t, stmt) != stmtMember(t, beside) {
		t.Fatalf("the pending key changed between the two statements:\n%s\n%s", beside, stmt)
	}
	if stmtMember(t, stmt) == old {
		t.Fatalf("the statement does not name a new key:\n%s", stmt)
	}
	if got := idAddress(t, home); got != old {
		t.Fatalf("printing a statement moved the home to %s", got)
	}

	sig, err := proof.SignSSH(domaintest.SSHKey("alice-held"), []byte(stmt))
	if err != nil {
		t.Fatal(err)
	}
	rotate := []string{"key", "rotate", "--kind", "ssh", "--public-key", key + ".pub",
		"--statement", writeFile(t, filepath.Join(dir, "rot"), stmt), "--signature", writeFile(t, filepath.Join(dir, "rot.sig"), string(sig))}
	fails(t, home, "tminus agent stop", rotate...)
	must(t, home, "agent", "stop")
	<-ag.done
	addr := must(t, home, rotate...)
	if !strings.Contains(stmt, "member: "+addr) {
		t.Errorf("rotated to %s, the statement named\n%s", addr, stmt)
	}
}

// A rotation recorded but not switched (key rotate cut short) is finished
// by the next key rotate, --print-statement included: that switch is the
// real thing, so it still waits for the agent holding the old key.
func TestPrintStatementDoesNotSwitchUnderAnAgent(t *testing.T) {
	home, _ := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-cut", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	old := idAddress(t, home)
	oldKey, oldConfig := backup(t, home, "key.json"), backup(t, home, "config.yaml")
	newAddr := must(t, home, "key", "rotate", "--key", key, "--light-kdf")
	// Back to the moment after the key.rotate was stored.
	if err := os.Rename(filepath.Join(home, "key.json"), filepath.Join(home, "key.next.json")); err != nil {
		t.Fatal(err)
	}
	restore(t, home, "key.json", oldKey)
	restore(t, home, "config.yaml", oldConfig)

	ag := startAgentWith(t, binary(t), home, "correct horse")
	printArgs := []string{"key", "rotate", "--print-statement", "--kind", "ssh", "--public-key", key + ".pub"}
	fails(t, home, "tminus agent stop", printArgs...)
	if got := idAddress(t, home); got != old {
		t.Fatalf("refused, yet the home moved to %s", got)
	}
	must(t, home, "agent", "stop")
	<-ag.done
	must(t, home, printArgs...)
	if got := idAddress(t, home); got != newAddr {
		t.Errorf("after finishing: %s, want %s", got, newAddr)
	}
}

// A crash between writing config.yaml and renaming the new key over
// key.json (workspace.SwitchKey's last step) leaves the config ahead of the
// keystore; the next command finishes the switch, says so, and signs with
// the new key.
func TestKeySwitchCutShortIsFinishedOnOpen(t *testing.T) {
	home, inc := newWorkspace(t)
	key := writeSSHKey(t, t.TempDir(), "alice-crash", "")
	must(t, home, "proof", "add", "ssh", "--key", key)
	oldKey := backup(t, home, "key.json")
	newAddr := must(t, home, "key", "rotate", "--key", key, "--light-kdf")
	if err := os.Rename(filepath.Join(home, "key.json"), filepath.Join(home, "key.next.json")); err != nil {
		t.Fatal(err)
	}
	restore(t, home, "key.json", oldKey)

	_, errs, code := tminus(t, home, "note", inc[:8], "after the crash")
	if code != 0 {
		t.Fatalf("note after a cut-short switch: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "finished an interrupted key rotation") {
		t.Errorf("stderr %q does not say the switch was finished", errs)
	}
	if got := idAddress(t, home); got != newAddr {
		t.Errorf("id: %s, want %s", got, newAddr)
	}
	if _, err := os.Stat(filepath.Join(home, "key.next.json")); !os.IsNotExist(err) {
		t.Errorf("key.next.json left behind: %v", err)
	}
}

func backup(t *testing.T, home, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(home, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func restore(t *testing.T, home, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// stmtMember is the key a proof statement names.
func stmtMember(t *testing.T, stmt string) string {
	t.Helper()
	_, rest, ok := strings.Cut(stmt, "member: ")
	if !ok || len(rest) < 42 {
		t.Fatalf("no member in the statement:\n%s", stmt)
	}
	return rest[:42]
}
