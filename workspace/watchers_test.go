package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CheckWatchers refuses any key a watcher or a rule does not have, with its
// line, and says nothing of a config without watchers or of other sections.
func TestCheckWatchers(t *testing.T) {
	const head = "handle: alice\naddress: \"0x01\"\nfuture_key: kept\n"
	const good = "watchers:\n  - name: mainnet\n    rpc: http://127.0.0.1:1\n    chain_id: 1\n    poll: 5s\n" +
		"    rules:\n      - name: paused\n        event: Paused(address)\n        severity: P1\n        addresses: [\"0x01\"]\n        min_value: \"10\"\n"
	for _, c := range []struct {
		name, config, want string
	}{
		{"no watchers", head, ""},
		{"every key known", head + good, ""},
		{"misspelt rule key", head + strings.Replace(good, "addresses:", "adresses:", 1), `line 13: watcher rule has no key "adresses"`},
		{"misspelt watcher key", head + strings.Replace(good, "chain_id:", "chainid:", 1), `line 7: watcher has no key "chainid"`},
		{"watchers not a list", head + "watchers: none\n", ""},
		{"not yaml", "watchers: [\n", "yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			h := &Home{Dir: dir}
			if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(c.config), 0o600); err != nil {
				t.Fatal(err)
			}
			err := h.CheckWatchers()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}
