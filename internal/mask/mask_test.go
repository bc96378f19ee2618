package mask

import (
	"bytes"
	"strings"
	"testing"
)

// writeInPieces writes s through a Writer cut at the given offsets and
// returns what came out after Flush.
func writeInPieces(t *testing.T, set *Set, s string, cuts []int) string {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, set)
	prev := 0
	for _, c := range append(cuts, len(s)) {
		n, err := w.Write([]byte(s[prev:c]))
		if err != nil || n != c-prev {
			t.Fatalf("Write(%q) = %d, %v", s[prev:c], n, err)
		}
		prev = c
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWriterMasks(t *testing.T) {
	const tok = "eyJsecret-token-123"
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secret in output", []string{tok}, "hello world\n", "hello world\n"},
		{"whole token", []string{tok}, "token=" + tok + "\n", "token=***\n"},
		{"twice, adjacent", []string{tok}, tok + tok, "******"},
		{"prefix only is kept", []string{tok}, "eyJsecret-tok\n", "eyJsecret-tok\n"},
		{"prefix at the very end is flushed", []string{tok}, "x eyJsec", "x eyJsec"},
		{"old and new tokens", []string{"old-token-aaa", "new-token-bbb"}, "a old-token-aaa b new-token-bbb c", "a *** b *** c"},
		{"overlapping secrets: the longer wins", []string{"abcd", "abcdef"}, "xabcdefx", "x***x"},
		{"false start then the token", []string{tok}, "eyJeyJsecret-token-123", "eyJ***"},
		{"empty secret ignored", []string{""}, "abc", "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := &Set{}
			set.Add(tc.secrets...)
			// Every way of cutting the input in two, and byte by byte.
			for cut := 0; cut <= len(tc.in); cut++ {
				if got := writeInPieces(t, set, tc.in, []int{cut}); got != tc.want {
					t.Fatalf("cut at %d: got %q, want %q", cut, got, tc.want)
				}
			}
			var bytewise []int
			for i := 1; i < len(tc.in); i++ {
				bytewise = append(bytewise, i)
			}
			if got := writeInPieces(t, set, tc.in, bytewise); got != tc.want {
				t.Fatalf("byte by byte: got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWriterPassesPlainOutputAtOnce checks that output that cannot start a
// secret is not held back until Flush.
func TestWriterPassesPlainOutputAtOnce(t *testing.T) {
	set := &Set{}
	set.Add("secret-value")
	var out bytes.Buffer
	w := NewWriter(&out, set)
	if _, err := w.Write([]byte("progress: 50%\n")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "progress: 50%\n" {
		t.Fatalf("before Flush got %q", out.String())
	}
	if _, err := w.Write([]byte("value: secret-")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "secret-") {
		t.Fatalf("a possible start of the secret was written early: %q", out.String())
	}
}

// TestSetAddWhileWriting adds a new token between writes, as tok exec does
// when it refreshes: both the old and the new token stay masked.
func TestSetAddWhileWriting(t *testing.T) {
	set := &Set{}
	set.Add("first-token")
	var out bytes.Buffer
	w := NewWriter(&out, set)
	_, _ = w.Write([]byte("a first-token "))
	set.Add("second-token")
	_, _ = w.Write([]byte("b second-token c first-token\n"))
	_ = w.Flush()
	if got, want := out.String(), "a *** b *** c ***\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSetForgetsOldest(t *testing.T) {
	set := &Set{}
	for i := 0; i < maxSecrets+1; i++ {
		set.Add(strings.Repeat("x", i+1))
	}
	if n := len(set.snapshot()); n != maxSecrets {
		t.Fatalf("set holds %d secrets, want %d", n, maxSecrets)
	}
}
