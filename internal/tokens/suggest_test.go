package tokens

import "testing"

func TestSuggest(t *testing.T) {
	known := []string{"work", "personal", "gh", "k8s-prod"}
	for _, tc := range []struct{ name, want string }{
		{"wrk", "work"},
		{"Work", "work"},
		{"persnal", "personal"},
		{"hg", ""}, // two edits on a two-letter name is another name
		{"gj", "gh"},
		{"k8s", "k8s-prod"},
		{"zzzz", ""},
	} {
		if got := Suggest(tc.name, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
