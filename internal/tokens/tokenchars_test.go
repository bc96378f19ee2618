package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
)

// TestProviderTokensMustBeHeaderSafe: a token endpoint that answers with a
// bearer token holding CR/LF (a header injection through -o header or any
// HTTP client of the child) or binary data is refused and nothing is
// stored. A hand-written endpoint: no real server sends such tokens.
func TestProviderTokensMustBeHeaderSafe(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp map[string]any
	}{
		{"CRLF in the access token", map[string]any{"access_token": "abc\r\nX-Injected: 1", "token_type": "Bearer", "expires_in": 3600}},
		{"space in the access token", map[string]any{"access_token": "abc def", "token_type": "bearer", "expires_in": 3600}},
		{"NUL in the refresh token", map[string]any{"access_token": "abc", "refresh_token": "r\x00r", "token_type": "Bearer", "expires_in": 3600}},
		{"CRLF in the token type", map[string]any{"access_token": "abc", "token_type": "Bearer\r\nX-Injected: 1", "expires_in": 3600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(tc.resp)
			}))
			defer srv.Close()
			ctx := context.Background()
			e := newEnv(t)
			p := Profile{
				Profile: record.Profile{Name: "api", Type: record.OAuth},
				OAuth: &OAuthConfig{
					OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials},
					Endpoints:     oauth.Endpoints{TokenURL: srv.URL}, ExplicitEndpoints: true, ClientID: "ci"}}
			if err := e.service().AddProfile(ctx, p, "secret"); err != nil {
				t.Fatal(err)
			}
			_, err := e.service().Token(ctx, "api", record.Options{})
			if !errors.Is(err, record.ErrBadToken) || !strings.Contains(err.Error(), `profile "api"`) {
				t.Fatalf("Token = %v, want a refused token naming the profile", err)
			}
			if strings.Contains(err.Error(), "X-Injected") || strings.Contains(err.Error(), "abc") {
				t.Errorf("the error shows the token: %v", err)
			}
			var st record.State
			if err := store.New(e.home).View(func(tx *store.Tx) error { return tx.Get(store.States, "api", &st) }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused response was stored: %+v, %v", st, err)
			}
		})
	}
}

// TestStaticTokenRefusesControlCharacters: NUL, CR/LF and binary data are
// refused with an error that names the profile; a token of printable text
// is stored.
func TestStaticTokenRefusesControlCharacters(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if err := e.service().AddProfile(ctx, Profile{Profile: record.Profile{Name: "gh", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"a\x00b", "a\r\nX-Injected: 1", "\xff\xfe", "a\x1b[2Jb", strings.Repeat("a", record.MaxTokenSize+1)} {
		err := e.service().SetStaticToken(ctx, "gh", bad, time.Time{})
		if !errors.Is(err, record.ErrBadToken) || !strings.Contains(err.Error(), `"gh"`) {
			t.Errorf("SetStaticToken(%.20q) = %v, want it refused", bad, err)
		}
	}
	if err := e.service().SetStaticToken(ctx, "gh", "key with spaces:and=colons", time.Time{}); err != nil {
		t.Errorf("a printable static token was refused: %v", err)
	}
}
