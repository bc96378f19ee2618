// Package termtext makes text from outside tok safe to print on a
// terminal.
//
// Strings a provider chooses (error descriptions, user codes, verification
// addresses, names in an ID token) reach the person's terminal. A control
// character among them can move the cursor, rewrite earlier lines, set the
// window title or, on some terminals, answer queries into the input; a
// bidirectional override can make text read differently than it is. Clean
// removes all of them, so what tok prints is what the provider sent, minus
// what could act on the terminal.
package termtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s without control characters (C0, DEL and C1, which
// includes ESC and the 8-bit CSI), Unicode format characters (bidirectional
// overrides and isolates, zero-width characters) and invalid UTF-8. Tabs
// and line breaks become one space each, so a multi-line provider string
// stays on the line tok prints it on.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			// Invalid UTF-8: a stray byte could complete an escape sequence.
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
