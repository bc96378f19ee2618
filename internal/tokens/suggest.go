package tokens

import "strings"

// Suggest returns the name of known that name most likely misspells, or
// "" when none is close: the nearest by edit distance, at most 2 edits
// (1 for names of up to 3 letters), or a name that starts with it. Cobra
// suggests misspelt commands the same way.
func Suggest(name string, known []string) string {
	best, bestDist := "", 0
	limit := 2
	if len(name) <= 3 {
		limit = 1
	}
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if len(name) >= 2 && strings.HasPrefix(k, name) {
			return k
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
