package oauth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/testkit/fedserver"
)

const fedSubject = "repo:tok-cli/tok:ref:refs/heads/main"

func TestTokenExchange(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, fedSubject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: fedSubject, AccessTokenTTL: time.Minute})
	cfg := oauth.Config{Endpoints: oauth.Endpoints{TokenURL: srv.TokenURL()}, Scopes: []string{"deploy"}}
	ctx := context.Background()

	tests := []struct {
		name     string
		subject  string
		typ      string
		wantCode string
	}{
		{"JWT subject token", platform.Mint(fedSubject, srv.Issuer(), time.Minute), "", ""},
		{"ID token type", platform.Mint(fedSubject, srv.Issuer(), time.Minute), oauth.TokenTypeIDToken, ""},
		{"untrusted subject", platform.Mint("repo:evil/fork:ref:refs/heads/main", srv.Issuer(), time.Minute), "", "invalid_grant"},
		{"wrong audience", platform.Mint(fedSubject, "https://elsewhere.example", time.Minute), "", "invalid_grant"},
		{"expired", platform.Mint(fedSubject, srv.Issuer(), -time.Second), "", "invalid_grant"},
		{"not a JWT", "opaque-token-value", "", "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := oauth.TokenExchange(ctx, cfg, oauth.Exchange{SubjectToken: tc.subject, SubjectTokenType: tc.typ})
			if tc.wantCode != "" {
				if oauth.ErrorCode(err) != tc.wantCode {
					t.Fatalf("want %s, got %v", tc.wantCode, err)
				}
				if strings.Contains(err.Error(), tc.subject) {
					t.Fatalf("the error shows the subject token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if srv.Subject(tok.AccessToken) != fedSubject {
				t.Fatalf("the access token is not active for the subject (got %q)", srv.Subject(tok.AccessToken))
			}
			if tok.Expiry.IsZero() || time.Until(tok.Expiry) > time.Minute {
				t.Errorf("expiry %v does not match the server's 1m lifetime", tok.Expiry)
			}
		})
	}
	if n := srv.Counts().TokenExchange; n != len(tests) {
		t.Errorf("server saw %d token exchange requests, want %d", n, len(tests))
	}
}

func TestJWTBearer(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, fedSubject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: fedSubject})
	cfg := oauth.Config{Endpoints: oauth.Endpoints{TokenURL: srv.TokenURL()}, Scopes: []string{"deploy"}}
	ctx := context.Background()

	assertion := platform.Mint(fedSubject, srv.TokenURL(), time.Minute)
	tok, err := oauth.JWTBearer(ctx, cfg, assertion)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Subject(tok.AccessToken) != fedSubject {
		t.Fatal("the access token is not active for the subject")
	}
	// An assertion is good for one use (its jti), and only for this server.
	if _, err := oauth.JWTBearer(ctx, cfg, assertion); oauth.ErrorCode(err) == "" {
		t.Errorf("a replayed assertion was accepted or failed oddly: %v", err)
	}
	_, err = oauth.JWTBearer(ctx, cfg, platform.Mint(fedSubject, "https://elsewhere.example/token", time.Minute))
	if !oauth.IsInvalidGrant(err) {
		t.Errorf("an assertion for another audience: want invalid_grant, got %v", err)
	}
	if _, err := oauth.JWTBearer(ctx, cfg, ""); err == nil || oauth.IsTransient(err) {
		t.Errorf("an empty assertion: want a local error, got %v", err)
	}
}
