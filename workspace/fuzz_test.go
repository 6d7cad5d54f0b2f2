package workspace

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tminus-ir/tminus/domain/domaintest"
	"go.yaml.in/yaml/v3"
)

// FuzzConfig feeds config.yaml, which people edit by hand, to its readers:
// the lenient Config (with its unknown-key warning) and serve's CheckWatchers. Neither may
// panic, and a config that loads saves to one that loads the same.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("handle: alice\naddress: \"0x0000000000000000000000000000000000000001\"\npubkey: \"04ab\"\nlisten: 127.0.0.1:30317\n"))
	// One that loads (address and pubkey agree), so the round trip runs.
	k := domaintest.Key(1, 0)
	f.Add([]byte(fmt.Sprintf("handle: alice\naddress: %s\npubkey: %x\nlisten: 127.0.0.1:30317\nsevereties: {critical: P1}\n",
		crypto.PubkeyToAddress(k.PublicKey).Hex(), crypto.FromECDSAPub(&k.PublicKey))))
	f.Add([]byte(`handle: alice
severities: {critical: P1, warning: P3}
watchers:
  - name: mainnet
    rpc: http://127.0.0.1:8545
    chain_id: 1
    poll: 12s
    confirmations: 2
    rules:
      - {name: drain, event: "Transfer(address,address,uint256)", severity: P1, addresses: ["0x01"], min_value: "1000"}
`))
	f.Add([]byte("watchers:\n  - name: w\n    rules:\n      - adresses: [x]\n")) // misspelt key
	f.Add([]byte("watchers: {name: w}\n"))                                       // wrong shape
	f.Add([]byte("watchers:\n  - poll: forever\n"))                              // bad duration
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"))                 // aliases
	f.Add([]byte("handle: [unterminated\n"))                                     // not YAML
	f.Add([]byte("\xff\xfe"))                                                    // not UTF-8
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		h := &Home{Dir: dir, Warn: &warn} // the unknown-key warning reads it too
		c, err := h.Config()
		// One line, keys quoted: a key holding a newline or an escape
		// sequence cannot forge more lines or repaint the terminal.
		if w := warn.String(); strings.Count(w, "\n") > 1 || strings.ContainsFunc(strings.TrimSuffix(w, "\n"), unicode.IsControl) {
			t.Fatalf("the warning is not one plain line: %q", w)
		}
		_ = h.CheckWatchers() // its verdict is its own test's; here, no panic
		if err != nil {
			return
		}
		before, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("a loaded config does not encode: %v", err)
		}
		if err := h.SaveConfig(c); err != nil {
			t.Fatalf("a loaded config does not save: %v", err)
		}
		again, err := (&Home{Dir: dir}).Config()
		if err != nil {
			t.Fatalf("a saved config does not load: %v\n%s", err, before)
		}
		after, err := yaml.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("saving changed the config:\n%s\nbecame\n%s", before, after)
		}
	})
}
