package record

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxTokenSize bounds a stored token. Larger input is refused, never cut.
const MaxTokenSize = 1 << 20

// IsB64Token reports whether s is an RFC 6750 bearer token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// Only such a token can go into an Authorization header unchanged: any
// other character (a CR or LF above all) could add a header or break the
// request.
func IsB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// IsTokenType reports whether s can be an auth-scheme in a header: an
// RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~).
func IsTokenType(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') &&
			!containsByte("!#$%&'*+-.^_`|~", c) {
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// ErrBadToken marks a token value tok refuses to store or print.
var ErrBadToken = errors.New("unusable token")

// CheckText checks a token that is not put into a header as it is (a
// static token, a refresh token): valid UTF-8 without control characters,
// at most MaxTokenSize bytes. what names the token in the error.
func CheckText(what, s string) error {
	switch {
	case len(s) > MaxTokenSize:
		return fmt.Errorf("%w: the %s is larger than 1 MiB", ErrBadToken, what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: the %s is not UTF-8 text (binary data?)", ErrBadToken, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return fmt.Errorf("%w: the %s holds a control character (%U); tokens are one line of text", ErrBadToken, what, r)
		}
	}
	return nil
}
