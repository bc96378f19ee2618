// Package fedserver runs, in the test process, the two servers of workload
// identity federation: a CI platform that issues OIDC tokens to its jobs
// (Platform, a stand-in for GitHub Actions or GitLab CI) and an
// authorization server that trusts that platform and trades its tokens
// for access tokens (Server).
//
// Server is github.com/ory/fosite (compose, memory store) behind real HTTP
// on 127.0.0.1 with:
//
//   - RFC 7523 JWT bearer grants, fosite's own handler: the platform's key
//     is registered as a trusted issuer key for one subject;
//   - RFC 8693 token exchange: fosite v0.49 has none, and neither has the
//     node oidc-provider of internal/testkit/oidcprovider, so this package adds a
//     small fosite token endpoint handler that verifies the subject token
//     against the platform's key (signature, iss, sub, aud, exp) and issues
//     an ordinary fosite access token;
//   - RFC 7662 introspection (Introspect), discovery, request counts.
//
// Platform signs RS256 JWTs (Mint) and answers the GitHub Actions OIDC
// token request (GET with ?audience=, bearer request token, {"value": …}).
package fedserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/storage"
	"golang.org/x/crypto/bcrypt"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// Grant type and token type URNs (RFC 8693, RFC 7523).
const (
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	GrantJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	TokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
)

// Platform is a CI platform's OIDC token issuer.
type Platform struct {
	t            testing.TB
	http         *httptest.Server
	key          *rsa.PrivateKey
	keyID        string
	requestToken string

	mu       sync.Mutex
	requests []GitHubRequest
}

// GitHubRequest is one request the GitHub Actions endpoint answered.
type GitHubRequest struct {
	Audience   string
	Authorized bool
}

// NewPlatform starts a platform on 127.0.0.1, stopped when the test ends.
// Its GitHub Actions endpoint issues tokens for subject.
func NewPlatform(t testing.TB, subject string) *Platform {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("fedserver: generate platform key: %v", err)
	}
	p := &Platform{t: t, key: key, keyID: "platform-1", requestToken: fixture.Hex(t, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{p.PublicKey()}})
	})
	mux.HandleFunc("GET /_apis/oidctoken", func(w http.ResponseWriter, r *http.Request) {
		aud := r.URL.Query().Get("audience")
		ok := r.Header.Get("Authorization") == "Bearer "+p.requestToken && r.URL.Query().Get("api-version") == "2.0"
		p.mu.Lock()
		p.requests = append(p.requests, GitHubRequest{Audience: aud, Authorized: ok})
		p.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "bad request token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"value": p.Mint(subject, aud, 5*time.Minute)})
	})
	p.http = httptest.NewServer(mux)
	t.Cleanup(p.http.Close)
	return p
}

// Issuer is the platform's issuer URL (the iss of its tokens).
func (p *Platform) Issuer() string { return p.http.URL }

// PublicKey is the platform's signing key, public part.
func (p *Platform) PublicKey() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &p.key.PublicKey, KeyID: p.keyID, Algorithm: string(jose.RS256), Use: "sig"}
}

// GitHubEnv returns ACTIONS_ID_TOKEN_REQUEST_URL=… and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN=…, as a job with id-token: write has them.
func (p *Platform) GitHubEnv() []string {
	return []string{
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + p.http.URL + "/_apis/oidctoken?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + p.requestToken,
	}
}

// GitHubRequests returns the GitHub Actions token requests so far.
func (p *Platform) GitHubRequests() []GitHubRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]GitHubRequest(nil), p.requests...)
}

// Mint signs a token for subject and audience, valid for ttl, with a fresh
// jti.
func (p *Platform) Mint(subject, audience string, ttl time.Duration) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: p.keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.t.Fatalf("fedserver: signer: %v", err)
	}
	now := time.Now()
	claims := josejwt.Claims{
		Issuer:    p.Issuer(),
		Subject:   subject,
		Audience:  josejwt.Audience{audience},
		Expiry:    josejwt.NewNumericDate(now.Add(ttl)),
		IssuedAt:  josejwt.NewNumericDate(now),
		NotBefore: josejwt.NewNumericDate(now.Add(-time.Minute)),
		ID:        fixture.Hex(p.t, 16),
	}
	raw, err := josejwt.Signed(signer).Claims(claims).CompactSerialize()
	if err != nil {
		p.t.Fatalf("fedserver: sign: %v", err)
	}
	return raw
}

// Options configure a Server.
type Options struct {
	AccessTokenTTL time.Duration // default 1h
	// Subject is the platform subject the server trusts (e.g.
	// "repo:org/app:ref:refs/heads/main"); tokens for others are refused.
	Subject string
	// Audience is what the platform's token must be issued for to be
	// exchanged (RFC 8693); default: the server's issuer URL. JWT bearer
	// assertions must name the token endpoint (RFC 7523).
	Audience string
	// Scopes the trusted subject may get; default "deploy".
	Scopes []string
}

// Counts are the token requests received, by grant, failed ones included.
type Counts struct {
	TokenExchange int
	JWTBearer     int
	Other         int
}

// Server is an authorization server that trusts one Platform.
type Server struct {
	t        testing.TB
	http     *httptest.Server
	issuer   string
	opts     Options
	provider fosite.OAuth2Provider
	store    *storage.MemoryStore
	tokenMu  sync.Mutex

	mu     sync.Mutex
	counts Counts
}

// NewServer starts an authorization server on 127.0.0.1 that trusts
// tokens of platform for opts.Subject.
func NewServer(t testing.TB, platform *Platform, opts Options) *Server {
	t.Helper()
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{"deploy"}
	}
	s := &Server{t: t, opts: opts, store: storage.NewMemoryStore()}
	mux := http.NewServeMux()
	s.http = httptest.NewUnstartedServer(mux)
	s.issuer = "http://" + s.http.Listener.Addr().String()
	if s.opts.Audience == "" {
		s.opts.Audience = s.issuer
	}
	pub := platform.PublicKey()
	s.store.IssuerPublicKeys[platform.Issuer()] = storage.IssuerPublicKeys{
		Issuer: platform.Issuer(),
		KeysBySub: map[string]storage.SubjectPublicKeys{opts.Subject: {
			Subject: opts.Subject,
			Keys:    map[string]storage.PublicKeyScopes{pub.KeyID: {Key: &pub, Scopes: opts.Scopes}},
		}},
	}

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	config := &fosite.Config{
		AccessTokenLifespan:                 opts.AccessTokenTTL,
		AccessTokenIssuer:                   s.issuer,
		TokenURL:                            s.TokenURL(),
		GlobalSecret:                        secret,
		HashCost:                            bcrypt.MinCost,
		GrantTypeJWTBearerCanSkipClientAuth: true,
		SendDebugMessagesToClients:          true,
	}
	strategy := compose.NewOAuth2HMACStrategy(config)
	exchange := &tokenExchange{
		platform: platform,
		opts:     s.opts,
		helper:   &oauth2.HandleHelper{AccessTokenStrategy: strategy, AccessTokenStorage: s.store, Config: config},
	}
	s.provider = compose.Compose(config, s.store, strategy,
		compose.RFC7523AssertionGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
		func(fosite.Configurator, any, any) any { return exchange },
	)

	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                s.issuer,
			"token_endpoint":                        s.TokenURL(),
			"introspection_endpoint":                s.issuer + "/introspect",
			"grant_types_supported":                 []string{GrantTokenExchange, GrantJWTBearer},
			"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic", "client_secret_post"},
		})
	})
	mux.HandleFunc("POST /token", s.handleToken)
	s.http.Start()
	t.Cleanup(s.http.Close)
	return s
}

// Issuer is the server's issuer URL.
func (s *Server) Issuer() string { return s.issuer }

// TokenURL is the token endpoint: the audience JWT bearer assertions name.
func (s *Server) TokenURL() string { return s.issuer + "/token" }

// Counts returns the token requests so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Introspect reports whether the server considers an access token active.
func (s *Server) Introspect(token string) bool {
	_, _, err := s.provider.IntrospectToken(context.Background(), token, fosite.AccessToken, &fosite.DefaultSession{})
	return err == nil
}

// Subject returns the subject of an active access token, "" if inactive.
func (s *Server) Subject(token string) string {
	_, ar, err := s.provider.IntrospectToken(context.Background(), token, fosite.AccessToken, &fosite.DefaultSession{})
	if err != nil {
		return ""
	}
	return ar.GetSession().GetSubject()
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	grant := r.PostFormValue("grant_type")
	s.mu.Lock()
	switch grant {
	case GrantTokenExchange:
		s.counts.TokenExchange++
	case GrantJWTBearer:
		s.counts.JWTBearer++
	default:
		s.counts.Other++
	}
	s.mu.Unlock()
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		s.t.Logf("fedserver: token request (%s) refused: %+v", grant, err)
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.t.Logf("fedserver: token response (%s) failed: %+v", grant, err)
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// tokenExchange is the RFC 8693 handler: it accepts a subject token of the
// trusted platform and subject, issued for the server's audience.
type tokenExchange struct {
	platform *Platform
	opts     Options
	helper   *oauth2.HandleHelper
}

func (h *tokenExchange) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(GrantTokenExchange)
}

// CanSkipClientAuth: the subject token is the credential (RFC 8693 2.1).
func (h *tokenExchange) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return true }

func (h *tokenExchange) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	form := r.GetRequestForm()
	switch form.Get("subject_token_type") {
	case TokenTypeJWT, TokenTypeIDToken:
	default:
		return fosite.ErrInvalidRequest.WithHint("subject_token_type must be the JWT or ID token type")
	}
	if rt := form.Get("requested_token_type"); rt != "" && rt != TokenTypeAccess {
		return fosite.ErrInvalidRequest.WithHint("only access tokens can be requested")
	}
	tok, err := josejwt.ParseSigned(form.Get("subject_token"))
	if err != nil {
		return fosite.ErrInvalidGrant.WithHint("subject_token is not a JWT")
	}
	var claims josejwt.Claims
	if err := tok.Claims(&h.platform.key.PublicKey, &claims); err != nil {
		return fosite.ErrInvalidGrant.WithHint("subject_token is not signed by the trusted platform")
	}
	if err := claims.ValidateWithLeeway(josejwt.Expected{
		Issuer:   h.platform.Issuer(),
		Subject:  h.opts.Subject,
		Audience: josejwt.Audience{h.opts.Audience},
		Time:     time.Now(),
	}, 0); err != nil {
		return fosite.ErrInvalidGrant.WithHintf("subject_token refused: %v", err)
	}
	for _, scope := range r.GetRequestedScopes() {
		if !fosite.WildcardScopeStrategy(h.opts.Scopes, scope) {
			return fosite.ErrInvalidScope.WithHintf("scope %q is not allowed for the subject", scope)
		}
		r.GrantScope(scope)
	}
	session := r.GetSession()
	session.SetExpiresAt(fosite.AccessToken, time.Now().UTC().Add(h.opts.AccessTokenTTL).Round(time.Second))
	if ds, ok := session.(*fosite.DefaultSession); ok {
		ds.SetSubject(claims.Subject)
	}
	return nil
}

func (h *tokenExchange) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	if _, err := h.helper.IssueAccessToken(ctx, h.opts.AccessTokenTTL, r, resp); err != nil {
		return err
	}
	resp.SetExtra("issued_token_type", TokenTypeAccess)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
