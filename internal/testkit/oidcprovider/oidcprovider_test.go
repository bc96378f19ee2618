package oidcprovider_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tok-cli/tok/internal/testkit/fixture"
	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// publicConfig is the client "tok". A public client must send its client_id
// in the form: x/oauth2's default AuthStyleAutoDetect first tries HTTP Basic
// with an empty secret, which oidc-provider refuses with invalid_client, and
// so costs one refused token request per process (TestAuthStyleAutoDetect).
func publicConfig(p *oidcprovider.Provider, redirectURL string) *oauth2.Config {
	endpoint := p.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{
		ClientID:    "tok",
		Endpoint:    endpoint,
		RedirectURL: redirectURL,
		Scopes:      []string{"openid", "offline_access", "email"},
	}
}

func counts(t *testing.T, ctx context.Context, p *oidcprovider.Provider) oidcprovider.Counts {
	t.Helper()
	c, err := p.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// idTokenClaims decodes (without verifying) the payload of the id_token
// that came with tok.
func idTokenClaims(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q is not a compact JWS", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("could not decode the id_token payload: %v", err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("could not parse the id_token payload: %v", err)
	}
	return claims
}

// callback is a one-shot loopback redirect listener, like tok's.
type callback struct {
	redirectURL string
	query       chan url.Values
}

func listenCallback(t *testing.T) *callback {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cb := &callback{
		redirectURL: fmt.Sprintf("http://%s/callback", ln.Addr()),
		query:       make(chan url.Values, 1),
	}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/callback" {
				http.NotFound(w, r)
				return
			}
			select {
			case cb.query <- r.URL.Query():
			default:
			}
			_, _ = fmt.Fprintln(w, "you may close this window")
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return cb
}

func (cb *callback) wait(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-cb.query:
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("the loopback listener received no callback")
		return nil
	}
}

// consent asks for the consent prompt: oidc-provider drops the
// offline_access scope, and so issues no refresh token, without it (OpenID
// Connect Core section 11).
var consent = oauth2.SetAuthURLParam("prompt", "consent")

// browserLogin runs the authorization code flow with PKCE for client "tok"
// and returns the tokens.
func browserLogin(t *testing.T, ctx context.Context, p *oidcprovider.Provider) *oauth2.Token {
	t.Helper()
	cb := listenCallback(t)
	cfg := publicConfig(p, cb.redirectURL)
	verifier, state := oauth2.GenerateVerifier(), fixture.Hex(t, 16)
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), consent)
	if _, err := p.Approve(ctx, authURL); err != nil {
		t.Fatal(err)
	}
	q := cb.wait(t)
	if q.Get("state") != state {
		t.Fatalf("callback state = %q, want %q", q.Get("state"), state)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	return tok
}

func TestBrowserAuthCodePKCE(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	tests := []struct {
		name      string
		decision  oidcprovider.Decision
		wantError string // in the callback; "" for a code
		wantSub   string
	}{
		{name: "approve", decision: oidcprovider.Decision{Account: "bob"}, wantSub: "bob"},
		{name: "approve default account", wantSub: "alice"},
		{name: "deny", decision: oidcprovider.Decision{Deny: true}, wantError: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fixture.Context(t)
			cb := listenCallback(t)
			cfg := publicConfig(p, cb.redirectURL)
			verifier, state, nonce := oauth2.GenerateVerifier(), fixture.Hex(t, 16), fixture.Hex(t, 16)
			authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce), consent)

			redirect, err := p.Authorize(ctx, authURL, tt.decision)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(redirect, cb.redirectURL+"?") {
				t.Errorf("redirect %q does not go to the loopback listener %q", redirect, cb.redirectURL)
			}
			q := cb.wait(t)
			if q.Get("state") != state {
				t.Errorf("callback state = %q, want %q", q.Get("state"), state)
			}
			if q.Get("iss") != p.Issuer {
				t.Errorf("callback iss = %q, want %q (RFC 9207)", q.Get("iss"), p.Issuer)
			}
			if tt.wantError != "" {
				if q.Get("error") != tt.wantError || q.Get("code") != "" {
					t.Fatalf("callback = %v, want error %s and no code", q, tt.wantError)
				}
				return
			}

			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("code exchange: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Errorf("token response lacks an access or refresh token: %+v", tok)
			}
			claims := idTokenClaims(t, tok)
			if claims["iss"] != p.Issuer || claims["aud"] != "tok" || claims["nonce"] != nonce || claims["sub"] != tt.wantSub {
				t.Errorf("id_token claims = %v, want iss %s, aud tok, nonce %s, sub %s", claims, p.Issuer, nonce, tt.wantSub)
			}

			// A used code is refused, as RFC 6749 section 4.1.2 requires.
			_, err = cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if code := retrieveErrorCode(err); code != "invalid_grant" {
				t.Errorf("second exchange of the same code: error %q (%v), want invalid_grant", code, err)
			}
		})
	}

	t.Run("code without verifier refused", func(t *testing.T) {
		ctx := fixture.Context(t)
		cb := listenCallback(t)
		cfg := publicConfig(p, cb.redirectURL)
		verifier := oauth2.GenerateVerifier()
		if _, err := p.Approve(ctx, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))); err != nil {
			t.Fatal(err)
		}
		_, err := cfg.Exchange(ctx, cb.wait(t).Get("code"))
		if code := retrieveErrorCode(err); code != "invalid_grant" {
			t.Errorf("exchange without code_verifier: error %q (%v), want invalid_grant", code, err)
		}
	})

	t.Run("public client without PKCE refused", func(t *testing.T) {
		ctx := fixture.Context(t)
		cb := listenCallback(t)
		cfg := publicConfig(p, cb.redirectURL)
		redirect, err := p.Authorize(ctx, cfg.AuthCodeURL("s"), oidcprovider.Decision{SkipCallback: true})
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(redirect)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Query().Get("error"); got != "invalid_request" {
			t.Errorf("authorization without code_challenge redirected with error %q, want invalid_request", got)
		}
	})
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{DeviceInterval: time.Second, DeviceCodeTTL: time.Minute})
	tests := []struct {
		name     string
		deny     bool
		wantCode string
	}{
		{name: "approve"},
		{name: "deny", deny: true, wantCode: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fixture.Context(t)
			before := counts(t, ctx, p)
			cfg := publicConfig(p, "")
			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatalf("device authorization: %v", err)
			}
			if left := time.Until(da.Expiry); da.UserCode == "" || da.VerificationURI != p.DeviceVerificationURL() ||
				da.Interval != 1 || left <= 55*time.Second || left > time.Minute {
				t.Fatalf("device authorization response = %+v", da)
			}

			person := make(chan error, 1)
			go func() {
				if tt.deny {
					person <- p.DenyDevice(ctx, da.UserCode)
				} else {
					person <- p.ApproveDevice(ctx, da.UserCode)
				}
			}()
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if perr := <-person; perr != nil {
				t.Fatal(perr)
			}
			after := counts(t, ctx, p)
			polls := after.Token[oidcprovider.GrantDeviceCode] - before.Token[oidcprovider.GrantDeviceCode]
			refused := after.TokenErrors[oidcprovider.GrantDeviceCode] - before.TokenErrors[oidcprovider.GrantDeviceCode]
			wantIssued := 1
			if tt.deny {
				wantIssued = 0
			}
			if polls < 1 || polls-refused != wantIssued {
				t.Errorf("device code polls = %d, refused %d; want tokens issued %d times", polls, refused, wantIssued)
			}

			if tt.wantCode != "" {
				if code := retrieveErrorCode(err); code != tt.wantCode {
					t.Fatalf("device access token: error %q (%v), want %s", code, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("device access token: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
				t.Errorf("device token response lacks a token: %+v", tok)
			}
			if sub := idTokenClaims(t, tok)["sub"]; sub != "alice" {
				t.Errorf("id_token sub = %v, want alice", sub)
			}
		})
	}

	t.Run("unknown user code", func(t *testing.T) {
		err := p.ApproveDevice(fixture.Context(t), "BCDF-GHJK")
		if err == nil || !strings.Contains(err.Error(), "not accepted") {
			t.Errorf("ApproveDevice with an unknown code: %v, want an error saying it was not accepted", err)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{
		AccessTokenTTL: 2 * time.Second,
		IDTokenTTL:     5 * time.Second,
		Rotation:       oidcprovider.RotateAlways,
	})
	ctx := fixture.Context(t)
	first := browserLogin(t, ctx, p)
	if left := time.Until(first.Expiry); left <= 0 || left > 3*time.Second {
		t.Errorf("access token expires in %v, want about 2s", left)
	}
	claims := idTokenClaims(t, first)
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 5 {
		t.Errorf("id_token lives %vs, want 5s", exp-iat)
	}
	cfg := publicConfig(p, "")

	refresh := func(rt string) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	}
	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh did not rotate: refresh token changed %v, access token changed %v",
			second.RefreshToken != first.RefreshToken, second.AccessToken != first.AccessToken)
	}

	// Reusing the replaced refresh token is refused and, as with Okta,
	// Auth0 and Keycloak, revokes the whole grant: the newest refresh token
	// and access token die too.
	_, err = refresh(first.RefreshToken)
	if code := retrieveErrorCode(err); code != "invalid_grant" {
		t.Fatalf("reuse of the old refresh token: error %q (%v), want invalid_grant", code, err)
	}
	_, err = refresh(second.RefreshToken)
	if code := retrieveErrorCode(err); code != "invalid_grant" {
		t.Errorf("refresh with the newest token after reuse: error %q (%v), want invalid_grant", code, err)
	}
	if active, err := p.Introspect(ctx, second.AccessToken); err != nil || active {
		t.Errorf("newest access token after reuse: active %v, err %v; want inactive", active, err)
	}

	c := counts(t, ctx, p)
	if c.Token[oidcprovider.GrantRefreshToken] != 3 || c.TokenErrors[oidcprovider.GrantRefreshToken] != 2 {
		t.Errorf("refresh_token requests = %d (refused %d), want 3 (refused 2)",
			c.Token[oidcprovider.GrantRefreshToken], c.TokenErrors[oidcprovider.GrantRefreshToken])
	}
	if c.Token[oidcprovider.GrantAuthorizationCode] != 1 {
		t.Errorf("authorization_code requests = %d, want 1", c.Token[oidcprovider.GrantAuthorizationCode])
	}
}

func TestRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{Rotation: oidcprovider.RotateNever})
	ctx := fixture.Context(t)
	first := browserLogin(t, ctx, p)
	cfg := publicConfig(p, "")
	for i := range 2 {
		tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh %d with the same refresh token: %v", i+1, err)
		}
		// The response repeats the unchanged refresh token.
		if tok.RefreshToken != first.RefreshToken {
			t.Errorf("refresh %d returned a different refresh token", i+1)
		}
	}
}

func TestRefreshTokenIssuance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        oidcprovider.Options
		scopes      []string
		params      []oauth2.AuthCodeOption
		wantRefresh bool
	}{
		{name: "offline_access with prompt=consent", scopes: []string{"openid", "offline_access"}, params: []oauth2.AuthCodeOption{consent}, wantRefresh: true},
		{name: "offline_access without prompt=consent", scopes: []string{"openid", "offline_access"}, wantRefresh: false},
		{name: "no offline_access", scopes: []string{"openid"}, params: []oauth2.AuthCodeOption{consent}, wantRefresh: false},
		{
			name: "no offline_access, provider told to issue anyway", scopes: []string{"openid"},
			opts: oidcprovider.Options{RefreshTokenWithoutOfflineAccess: true}, wantRefresh: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := oidcprovider.Start(t, tt.opts)
			ctx := fixture.Context(t)
			cb := listenCallback(t)
			cfg := publicConfig(p, cb.redirectURL)
			cfg.Scopes = tt.scopes
			verifier := oauth2.GenerateVerifier()
			params := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, tt.params...)
			if _, err := p.Approve(ctx, cfg.AuthCodeURL("s", params...)); err != nil {
				t.Fatal(err)
			}
			tok, err := cfg.Exchange(ctx, cb.wait(t).Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.RefreshToken != ""; got != tt.wantRefresh {
				t.Errorf("refresh token issued = %v, want %v (granted scope %q)", got, tt.wantRefresh, tok.Extra("scope"))
			}
		})
	}
}

func TestRevocationThenIntrospection(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := fixture.Context(t)
	tok := browserLogin(t, ctx, p)
	for name, token := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
		if active, err := p.Introspect(ctx, token); err != nil || !active {
			t.Fatalf("fresh %s token: active %v, err %v; want active", name, active, err)
		}
	}

	// RFC 7009 revocation by the public client: client_id in the body.
	form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {"tok"}}
	resp, err := http.PostForm(p.RevocationURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %s, want 200", resp.Status)
	}

	// Revoking the refresh token revokes its grant, access token included.
	for name, token := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
		if active, err := p.Introspect(ctx, token); err != nil || active {
			t.Errorf("%s token after revocation: active %v, err %v; want inactive", name, active, err)
		}
	}
	if active, err := p.Introspect(ctx, "not-a-token"); err != nil || active {
		t.Errorf("unknown token: active %v, err %v; want inactive", active, err)
	}
	c := counts(t, ctx, p)
	if c.Revocation != 1 || c.Introspection != 5 {
		t.Errorf("revocation requests = %d, introspection requests = %d; want 1 and 5", c.Revocation, c.Introspection)
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			secret := fixture.Hex(t, 16)
			p := oidcprovider.Start(t, oidcprovider.Options{
				TLS:         useTLS,
				Clients:     []oidcprovider.Client{{ID: "svc", Secret: secret}},
				ExtraScopes: []string{"api:read"},
			})
			if got := strings.HasPrefix(p.Issuer, "https://"); got != useTLS {
				t.Fatalf("issuer %s, TLS %v", p.Issuer, useTLS)
			}
			if useTLS == (p.CAFile() == "") {
				t.Errorf("CAFile() = %q with TLS %v", p.CAFile(), useTLS)
			}
			ctx := context.WithValue(fixture.Context(t), oauth2.HTTPClient, p.HTTPClient())
			cfg := clientcredentials.Config{
				ClientID: "svc", ClientSecret: secret, TokenURL: p.Endpoint().TokenURL,
				Scopes: []string{"api:read"},
			}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("client credentials: %v", err)
			}
			if scope := tok.Extra("scope"); scope != "api:read" {
				t.Errorf("granted scope %v, want api:read", scope)
			}
			if tok.AccessToken == "" || tok.RefreshToken != "" || tok.Expiry.IsZero() {
				t.Errorf("client credentials token = %+v, want an access token with an expiry and no refresh token", tok)
			}
			if active, err := p.Introspect(ctx, tok.AccessToken); err != nil || !active {
				t.Errorf("client credentials token: active %v, err %v; want active", active, err)
			}

			bad := cfg
			bad.ClientSecret = "wrong"
			_, err = bad.Token(ctx)
			if code := retrieveErrorCode(err); code != "invalid_client" {
				t.Errorf("wrong secret: error %q (%v), want invalid_client", code, err)
			}
			c := counts(t, ctx, p)
			if c.Token[oidcprovider.GrantClientCredentials] != 2 || c.TokenErrors[oidcprovider.GrantClientCredentials] != 1 {
				t.Errorf("client_credentials requests = %d (refused %d), want 2 (refused 1)",
					c.Token[oidcprovider.GrantClientCredentials], c.TokenErrors[oidcprovider.GrantClientCredentials])
			}
		})
	}
}

func TestStopsProviderAtCleanup(t *testing.T) {
	t.Parallel()
	var exited <-chan struct{}
	ran := t.Run("running", func(t *testing.T) {
		exited = oidcprovider.Exited(oidcprovider.Start(t, oidcprovider.Options{}))
	})
	if !ran {
		return // the subtest failed and said why
	}
	if exited == nil {
		// Start skipped (no node_modules outside CI; in CI it fails
		// instead), so there is no provider whose stop could be checked.
		t.Skip("the test OpenID Provider is not installed; run: .ci/setup")
	}
	// The process itself, not its port: a parallel test's provider may
	// already listen on the port this one gave back.
	select {
	case <-exited:
	default:
		t.Error("the provider's process still runs after its test ended")
	}
}

func TestAuthStyleAutoDetect(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{RefreshTokenWithoutOfflineAccess: true})
	ctx := fixture.Context(t)
	tok := browserLogin(t, ctx, p)
	cfg := publicConfig(p, "")
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	c := counts(t, ctx, p)
	if c.Token[oidcprovider.GrantRefreshToken] != 2 || c.TokenErrors[oidcprovider.GrantRefreshToken] != 1 {
		t.Errorf("one auto-detected refresh made %d requests (refused %d); expected 2 (refused 1): "+
			"has oidc-provider started accepting Basic auth with an empty secret?",
			c.Token[oidcprovider.GrantRefreshToken], c.TokenErrors[oidcprovider.GrantRefreshToken])
	}
}
