package record_test

import (
	"testing"

	"github.com/tok-cli/tok/internal/record"
)

func TestIsB64Token(t *testing.T) {
	for s, want := range map[string]bool{
		"abc": true, "eyJhbGciOi.eyJzdWIi.sig-_~+/": true, "dG9r==": true, "ghp_ABC123": true,
		"": false, "=": false, "a=b": false, "a b": false, "a\r\nX: 1": false, "a\x00": false, "tök": false, "a,b": false,
	} {
		if got := record.IsB64Token(s); got != want {
			t.Errorf("IsB64Token(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"Bearer": true, "DPoP": true, "N_A": true, "": false, "Bearer x": false, "B\r\n": false} {
		if got := record.IsTokenType(s); got != want {
			t.Errorf("IsTokenType(%q) = %v, want %v", s, got, want)
		}
	}
}
