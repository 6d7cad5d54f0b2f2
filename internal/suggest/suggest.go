// Package suggest finds the word a typo meant, for refusals that say "did
// you mean …?" (config.yaml keys, watcher event names).
package suggest

import "strings"

// Nearest is the word of known within two edits of w, ignoring case (a
// letter dropped, added, changed, or two adjacent ones swapped), the closest
// first and the alphabetically first on a tie, or "". Short words get fewer
// edits: two edits turn any two-letter word into any other ("ui" is not
// "id").
func Nearest(w string, known []string) string {
	best, bestD := "", 3
	w = strings.ToLower(w)
	for _, c := range known {
		limit := min(2, (len(c)-1)/2)
		d := Distance(w, strings.ToLower(c))
		if d <= limit && (d < bestD || d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// maxLen keeps a hostile input cheap: no word suggested is that long.
const maxLen = 64

// Distance is the optimal string alignment distance between a and b, in
// bytes: insertions, deletions, substitutions and transpositions of
// adjacent bytes. Past maxLen bytes it is maxLen.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return maxLen
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
