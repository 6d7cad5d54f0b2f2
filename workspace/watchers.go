package workspace

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CheckWatchers reads config.yaml's watchers: section again and refuses a
// key no watcher or rule has, naming its line. Config decodes leniently, so
// a misspelt `adresses:` used to leave a rule with no addresses: it matched
// every contract, and a serve raised alerts for what it was meant to ignore.
// Only serve, which starts the watchers, asks; other commands keep working.
func (h *Home) CheckWatchers() error {
	data, err := os.ReadFile(h.ConfigPath())
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return err
	}
	watchers := valueOf(doc.Content[0], "watchers")
	if watchers == nil || watchers.Kind != yaml.SequenceNode {
		return nil
	}
	wKeys, rKeys := yamlKeys(reflect.TypeFor[WatcherConfig]()), yamlKeys(reflect.TypeFor[WatcherRule]())
	for _, w := range watchers.Content {
		if err := knownKeys(w, wKeys, "watcher"); err != nil {
			return fmt.Errorf("%s: %w", h.ConfigPath(), err)
		}
		if rules := valueOf(w, "rules"); rules != nil && rules.Kind == yaml.SequenceNode {
			for _, r := range rules.Content {
				if err := knownKeys(r, rKeys, "watcher rule"); err != nil {
					return fmt.Errorf("%s: %w", h.ConfigPath(), err)
				}
			}
		}
	}
	return nil
}

// valueOf is the value of key in mapping m, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func knownKeys(m *yaml.Node, known []string, what string) error {
	if m.Kind != yaml.MappingNode {
		return nil // the lenient decode already refused a wrong shape
	}
	for i := 0; i < len(m.Content); i += 2 {
		k := m.Content[i]
		if !slices.Contains(known, k.Value) {
			return fmt.Errorf("line %d: %s has no key %q (it has %s)", k.Line, what, k.Value, strings.Join(known, ", "))
		}
	}
	return nil
}

// yamlKeys are the keys a struct decodes, from its yaml tags.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
