package main

import (
	"path/filepath"
	"testing"
)

// A relative --home prints its keystore as an absolute path: a script or a
// teammate reading it from elsewhere could not use "home/key.json".
func TestIDPrintsAbsoluteKeystore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TMINUS_PASSPHRASE", "correct horse")
	must(t, "rel", "join", "--handle", "bob", "--light-kdf")
	var id struct{ Keystore string }
	mustJSON(t, must(t, "rel", "id", "--json"), &id)
	if want := filepath.Join(dir, "rel", "key.json"); id.Keystore != want {
		t.Errorf("keystore %q, want %q", id.Keystore, want)
	}
}
