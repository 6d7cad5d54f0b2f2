package workspace

import (
	"os"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// SaveConfig writes c as config.yaml, atomically and synced (a key switch
// counts on it reaching the disk before key.json changes). Over an existing
// file it keeps what c does not hold (mergeConfig): key rotate rewrites the
// file, and used to drop a newer tminus's settings and the responder's
// comments.
func (h *Home) SaveConfig(c *Config) error {
	data, err := mergeConfig(h.ConfigPath(), c)
	if err != nil {
		return err
	}
	if err := writeSynced(h.ConfigPath(), data); err != nil {
		return err
	}
	h.cfg = c
	return nil
}

// mergeConfig encodes c over the config.yaml at path: each key Config knows
// takes c's value in its place (or goes, when c leaves it empty), keys c
// adds come last, and keys Config does not know stay as they were, with
// every comment. A file that is missing or not a YAML mapping is replaced.
func mergeConfig(path string, c *Config) ([]byte, error) {
	fresh, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return fresh, nil // init and join write the first one
	}
	var doc, next yaml.Node
	if yaml.Unmarshal(old, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 ||
		doc.Content[0].Kind != yaml.MappingNode {
		return fresh, nil
	}
	if err := yaml.Unmarshal(fresh, &next); err != nil {
		return nil, err
	}
	known := yamlKeys(reflect.TypeFor[Config]())
	values := map[string]*yaml.Node{}
	var order []string
	if len(next.Content) == 1 {
		for i := 0; i+1 < len(next.Content[0].Content); i += 2 {
			k := next.Content[0].Content[i].Value
			values[k] = next.Content[0].Content[i+1]
			order = append(order, k)
		}
	}
	m := doc.Content[0]
	var kept []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch nv, ok := values[k.Value]; {
		case !slices.Contains(known, k.Value):
		case !ok:
			continue // c leaves it empty
		default:
			nv.HeadComment, nv.LineComment, nv.FootComment = v.HeadComment, v.LineComment, v.FootComment
			v = nv
			delete(values, k.Value)
		}
		kept = append(kept, k, v)
	}
	for _, k := range order {
		if v, ok := values[k]; ok {
			kept = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
		}
	}
	m.Content = kept
	return yaml.Marshal(&doc)
}
