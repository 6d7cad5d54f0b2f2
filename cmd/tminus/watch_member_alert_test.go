package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/workspace"
)

// Two members each run a watcher named bridge. Both go blind; alice's node
// comes back. Bob's watcher is still blind, and the workspace must still
// say so: the two used to share one alert, which alice's first good scan
// resolved. An alert under the old shared key is resolved only when alice
// alone raised it.
func TestWatcherAlertIsEachDevices(t *testing.T) {
	ctx := context.Background()
	alice, _ := newWorkspace(t)
	bob := filepath.Join(t.TempDir(), "bob")
	must(t, bob, "join", "--handle", "bob", "--light-kdf")
	var id struct{ Address string }
	if err := json.Unmarshal([]byte(must(t, bob, "id", "--json")), &id); err != nil {
		t.Fatal(err)
	}
	must(t, alice, "member", "add", id.Address, "--handle", "bob", "--role", "triage")
	exchange(t, alice, bob)
	// Under the old shared key: "shared" raised by both, "mine" by alice alone.
	for _, home := range []string{alice, bob} {
		must(t, home, "alert", "raise", "--fingerprint", legacyWatcherFingerprint("shared"), "--source", "tminus",
			"--title", "Watcher shared blind", "--severity", "P2")
	}
	must(t, alice, "alert", "raise", "--fingerprint", legacyWatcherFingerprint("mine"), "--source", "tminus",
		"--title", "Watcher mine blind", "--severity", "P2")
	exchange(t, alice, bob)

	blind := func(home string) (*app, watcherOwner, alertSink) {
		t.Helper()
		a := &app{home: &workspace.Home{Dir: home}, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
		t.Cleanup(func() { a.home.Close() })
		st, err := a.home.Store(ctx)
		if err != nil {
			t.Fatal(err)
		}
		who, err := a.watcherOwner(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		sink, err := a.sink(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.raiseWatcherAlert(ctx, sink, watcherBlind("bridge", who, errors.New("502 node down"), time.Now()))
		return a, who, sink
	}
	bobApp, _, _ := blind(bob)
	bobApp.home.Close()
	aliceApp, who, sink := blind(alice)
	exchange(t, alice, bob)

	st, err := aliceApp.home.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bridge", "shared", "mine"} {
		aliceApp.clearWatcherAlert(ctx, st, sink, name, who)
	}
	aliceApp.home.Close()

	var alerts []alertView
	if err := json.Unmarshal([]byte(must(t, alice, "alert", "list", "--json")), &alerts); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{} // by watcher and observers
	for _, a := range alerts {
		if a.Source != "tminus" {
			continue
		}
		name := a.Labels["watcher"]
		if name == "" {
			name = strings.Fields(a.Title)[1]
		}
		key := name + " " + strings.Join(slices.Sorted(slices.Values(a.ObservedBy)), ",")
		if _, dup := status[key]; dup {
			t.Errorf("two alerts for %s", key)
		}
		status[key] = a.Status
		if a.Labels["watcher"] != "" && (len(a.ObservedBy) != 1 || a.Labels["member"] != a.ObservedBy[0] ||
			!strings.Contains(a.Title, "("+a.ObservedBy[0]+")")) {
			t.Errorf("alert %s does not name its member in its title and labels: %+v", a.Fingerprint, a)
		}
	}
	want := map[string]string{
		"bridge alice": "resolved", "bridge bob": "firing", // each device's own alert
		"shared alice,bob": "firing", // bob's may still be blind
		"mine alice":       "resolved",
	}
	for key, st := range want {
		if status[key] != st {
			t.Errorf("%s: %q, want %q (all: %v)", key, status[key], st, status)
		}
	}
	if len(status) != len(want) {
		t.Errorf("watcher alerts %v, want %v", status, want)
	}
}

// exchange brings a's and b's stores to the same events, by bundles.
func exchange(t *testing.T, a, b string) {
	t.Helper()
	dir := t.TempDir()
	for i, p := range [][2]string{{a, b}, {b, a}} {
		file := filepath.Join(dir, string(rune('a'+i))+".jsonl")
		must(t, p[0], "bundle", "export", file)
		must(t, p[1], "bundle", "import", file)
	}
}
