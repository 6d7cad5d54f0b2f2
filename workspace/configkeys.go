package workspace

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tminus-ir/tminus/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// unknownKeysWarning names config.yaml's top-level keys that no Config
// field has, with their lines and the known key each is closest to, or is
// "". Config stays lenient so an older tminus still reads a newer one's
// config; but a misspelt `listn:` left the listen address at its default
// while the responder believed it set, so the keys are said, not refused.
// (Keys inside watchers: are serve's to refuse: CheckWatchers.)
func unknownKeysWarning(data []byte) string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	known := yamlKeys(reflect.TypeFor[Config]())
	m := doc.Content[0]
	var unknown []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if slices.Contains(known, k.Value) {
			continue
		}
		u := fmt.Sprintf("line %d: %q", k.Line, k.Value)
		if near := suggest.Nearest(k.Value, known); near != "" {
			u += fmt.Sprintf(" (did you mean %s?)", near)
		}
		unknown = append(unknown, u)
	}
	if len(unknown) > maxNamed {
		unknown = append(unknown[:maxNamed], fmt.Sprintf("and %d more", len(unknown)-maxNamed))
	}
	switch len(unknown) {
	case 0:
		return ""
	case 1:
		return "unknown key " + unknown[0] + " has no effect: correct it, or leave it if a newer tminus wrote it"
	}
	return "unknown keys " + strings.Join(unknown, ", ") + " have no effect: correct them, or leave them if a newer tminus wrote them"
}

// maxNamed keeps a config of a thousand stray keys to one readable line.
const maxNamed = 5
