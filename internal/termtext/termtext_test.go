package termtext

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii is kept", "invalid_grant: the refresh token expired", "invalid_grant: the refresh token expired"},
		{"non-ascii letters are kept", "Anmeldung für Jürgen – 東京", "Anmeldung für Jürgen – 東京"},
		{"CSI sequence loses its ESC", "ok\x1b[2J\x1b[1;1Hpwned", "ok[2J[1;1Hpwned"},
		{"OSC title sequence loses ESC and BEL", "\x1b]0;evil title\x07text", "]0;evil titletext"},
		{"8-bit CSI (C1) is removed", "a\u009b31mb", "a31mb"},
		{"DEL and NUL are removed", "a\x7fb\x00c", "abc"},
		{"backspace cannot erase what was printed", "safe\b\b\b\bEVIL", "safeEVIL"},
		{"line breaks and tabs become spaces", "line one\r\nline\ttwo", "line one  line two"},
		{"bidi override is removed", "user\u202eexe.txt", "userexe.txt"},
		{"zero-width space is removed", "ab\u200bcd", "abcd"},
		{"invalid utf-8 becomes a replacement character", "a\xffb", "a\ufffdb"},
		{"empty stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\u009b", "a\xffb", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || unsafeRune(r) {
				t.Fatalf("Clean(%q) = %q still holds %U", s, out, r)
			}
		}
		if Clean(out) != out {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
	})
}
