package workspace

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

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
		if near := nearestKey(k.Value, known); near != "" {
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

// nearestKey is the known key within two edits of k (a letter dropped,
// added, changed or two swapped), the closest first, or "".
func nearestKey(k string, known []string) string {
	best, bestD := "", 3
	for _, c := range known {
		// Two edits turn any short key into any other: "ui" is not "id".
		limit := min(2, (len(c)-1)/2)
		if d := editDistance(strings.ToLower(k), c); d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // no key is that long; keep a hostile config cheap
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
