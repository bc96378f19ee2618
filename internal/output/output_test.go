package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
)

// TestHeaderRefusesUnsafeTokens: -o header writes only RFC 6750 tokens, so
// a token with CR/LF cannot add a header to a request built from it.
func TestHeaderRefusesUnsafeTokens(t *testing.T) {
	for _, cred := range []record.Credential{
		{Profile: "gh", Token: "abc\r\nX-Injected: 1"},
		{Profile: "gh", Token: "key with spaces"},
		{Profile: "gh", Token: "abc", TokenType: "Bearer\r\nX-Injected: 1"},
	} {
		var out bytes.Buffer
		err := Write(&out, cred, Header, time.Now())
		if err == nil || !strings.Contains(err.Error(), "-o raw") || out.Len() != 0 {
			t.Errorf("Write(%q, %q) = %v, wrote %q; want a refusal and nothing written", cred.Token, cred.TokenType, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := Write(&out, record.Credential{Profile: "gh", Token: "ghp_abc=="}, Header, time.Now()); err != nil || out.String() != "Authorization: Bearer ghp_abc==\n" {
		t.Errorf("Write of a good token = %q, %v", out.String(), err)
	}
}
