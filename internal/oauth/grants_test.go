package oauth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{AccessTokenTTL: 10 * time.Minute})
	cfg := configFor(t, srv, confClient, confSecret, "profile")
	cfg.Audience = "https://api.example"

	before := time.Now()
	tok, err := ClientCredentials(fixture.Context(t), cfg)
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	if !srv.Introspect(tok.AccessToken) {
		t.Error("server does not consider the access token active")
	}
	if tok.RefreshToken != "" || tok.IDToken != "" {
		t.Errorf("client credentials returned a refresh or ID token: %+v", tok)
	}
	if tok.Scope != "profile" {
		t.Errorf("scope = %q, want profile", tok.Scope)
	}
	if d := tok.Expiry.Sub(before); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("expiry %v is not about 10 minutes from now", tok.Expiry)
	}
	if got := srv.Counts().ClientCredentials; got != 1 {
		t.Errorf("server saw %d client credentials requests, want 1", got)
	}

	cfg.ClientSecret = "wrong-secret"
	_, err = ClientCredentials(fixture.Context(t), cfg)
	if ErrorCode(err) != "invalid_client" || IsTransient(err) {
		t.Errorf("wrong secret: error = %v, want a definitive invalid_client", err)
	}
	assertNoSecret(t, "error", err.Error(), "wrong-secret")
}

func TestPassword(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "offline_access")

	tok, err := Password(fixture.Context(t), cfg, authserver.TestUser, authserver.TestPassword)
	if err != nil {
		t.Fatalf("Password: %v", err)
	}
	if !srv.Introspect(tok.AccessToken) || tok.RefreshToken == "" {
		t.Errorf("want an active access token and a refresh token, got %+v", tok)
	}

	_, err = Password(fixture.Context(t), cfg, authserver.TestUser, "not-the-password")
	if err == nil || IsTransient(err) {
		t.Fatalf("wrong password: error = %v, want a definitive rejection", err)
	}
	assertNoSecret(t, "error", err.Error(), "not-the-password")
}

// TestRefreshRotation follows a refresh token family through rotation,
// reuse detection and the revocation of the whole family.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid", "offline_access")
	first, err := LoginBrowser(fixture.Context(t), cfg, newBrowser(t, nil).ui())
	if err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}

	second, err := Refresh(fixture.Context(t), cfg, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh token was not rotated: %q", second.RefreshToken)
	}
	if second.AccessToken == first.AccessToken || !srv.Introspect(second.AccessToken) {
		t.Error("refresh did not give a new active access token")
	}
	if second.IDToken == "" || second.IDTokenExpiry.IsZero() {
		t.Error("refresh of an OpenID grant returned no verified ID token")
	}
	if srv.Introspect(first.RefreshToken) {
		t.Error("the rotated-out refresh token is still active")
	}

	// Presenting the old refresh token again is reuse: the server refuses it
	// and revokes the whole family.
	_, err = Refresh(fixture.Context(t), cfg, first.RefreshToken)
	if !IsInvalidGrant(err) || IsTransient(err) {
		t.Fatalf("reusing the old refresh token: error = %v, want invalid_grant", err)
	}
	assertNoSecret(t, "error", err.Error(), first.RefreshToken, second.RefreshToken)
	if _, err := Refresh(fixture.Context(t), cfg, second.RefreshToken); !IsInvalidGrant(err) {
		t.Errorf("the newest refresh token survived reuse detection: %v", err)
	}
	if srv.Introspect(second.AccessToken) {
		t.Error("the newest access token survived reuse detection")
	}
	if got := srv.Counts().RefreshToken; got != 3 {
		t.Errorf("server saw %d refresh requests, want 3", got)
	}
}

func TestRefreshConfidentialClient(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, confClient, confSecret, "offline")
	first, err := Password(fixture.Context(t), cfg, authserver.TestUser, authserver.TestPassword)
	if err != nil {
		t.Fatalf("Password: %v", err)
	}
	second, err := Refresh(fixture.Context(t), cfg, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if second.IDToken != "" {
		t.Error("a grant without openid returned an ID token")
	}
	if got := srv.Counts().RefreshToken; got != 1 {
		t.Errorf("server saw %d refresh requests, want exactly 1", got)
	}
}

func TestRefreshNeedsAToken(t *testing.T) {
	t.Parallel()
	_, err := Refresh(fixture.Context(t), Config{Endpoints: Endpoints{TokenURL: "https://idp.example/token"}}, "")
	if err == nil || IsTransient(err) {
		t.Errorf("Refresh without a refresh token: error = %v, want a definitive error", err)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, clientID, secret, hint string
	}{
		{"public client, refresh token", publicClient, "", "refresh_token"},
		{"confidential client, refresh token", confClient, confSecret, "refresh_token"},
		{"confidential client, no hint", confClient, confSecret, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newProvider(t, authserver.Options{})
			cfg := configFor(t, srv, tt.clientID, tt.secret, "offline_access")
			tok, err := Password(fixture.Context(t), cfg, authserver.TestUser, authserver.TestPassword)
			if err != nil {
				t.Fatalf("Password: %v", err)
			}
			if err := Revoke(fixture.Context(t), cfg, tok.RefreshToken, tt.hint); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if srv.Introspect(tok.RefreshToken) || srv.Introspect(tok.AccessToken) {
				t.Error("tokens are still active after revocation")
			}
			if got := srv.Counts().Revocation; got != 1 {
				t.Errorf("server saw %d revocation requests, want 1", got)
			}
			// Revoking again is not an error (RFC 7009 section 2.2).
			if err := Revoke(fixture.Context(t), cfg, tok.RefreshToken, tt.hint); err != nil {
				t.Errorf("second Revoke: %v", err)
			}
		})
	}
}

func TestRevokeWrongClient(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, confClient, confSecret, "offline")
	tok, err := Password(fixture.Context(t), cfg, authserver.TestUser, authserver.TestPassword)
	if err != nil {
		t.Fatalf("Password: %v", err)
	}
	cfg.ClientSecret = "wrong-secret"
	err = Revoke(fixture.Context(t), cfg, tok.RefreshToken, "refresh_token")
	if ErrorCode(err) != "invalid_client" || IsTransient(err) {
		t.Fatalf("Revoke with a wrong secret: error = %v, want invalid_client", err)
	}
	assertNoSecret(t, "error", err.Error(), tok.RefreshToken, "wrong-secret")
	if !srv.Introspect(tok.RefreshToken) {
		t.Error("a refused revocation revoked the token")
	}
	// Basic was refused, so client_secret_post was tried too.
	if got := srv.Counts().Revocation; got != 2 {
		t.Errorf("server saw %d revocation requests, want 2 (Basic, then post)", got)
	}
}

func TestRevokeWithoutEndpoint(t *testing.T) {
	t.Parallel()
	err := Revoke(fixture.Context(t), Config{ClientID: "cli"}, "token", "")
	if !errors.Is(err, ErrNoRevocationEndpoint) || IsTransient(err) {
		t.Errorf("Revoke without endpoint: error = %v, want ErrNoRevocationEndpoint", err)
	}
}

func TestNewHTTPClientCAFile(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{TLS: true})

	plain, err := NewHTTPClient("", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Discover(fixture.Context(t), plain, srv.Issuer()); err == nil {
		t.Error("a client without the CA file trusted the test server")
	}
	if _, err := NewHTTPClient(t.TempDir()+"/missing.pem", 0); err == nil {
		t.Error("a missing CA file was accepted")
	}
	if _, err := NewHTTPClient("helpers_test.go", 0); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a CA file without certificates: error = %v", err)
	}
}
