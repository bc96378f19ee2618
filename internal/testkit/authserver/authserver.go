// Package authserver runs a standards-compliant OAuth 2.0 / OpenID Connect
// authorization server in the test process, for tests of internal/oauth and
// for end-to-end tests that run the tok binary against it.
//
// It is github.com/ory/fosite (compose, memory store) behind real HTTP on
// 127.0.0.1, optionally TLS:
//
//   - authorization code with PKCE S256 required for every client, loopback
//     redirect URIs on any port (RFC 8252), OpenID Connect with RS256-signed
//     ID tokens carrying the nonce;
//   - refresh tokens (for grants with the offline or offline_access scope),
//     rotated on every use; presenting a used refresh token is answered with
//     invalid_grant and revokes the whole token family, as fosite does;
//   - client credentials, resource owner password (user TestUser, password
//     TestPassword), RFC 7009 revocation and RFC 7662 introspection;
//   - discovery at /.well-known/openid-configuration and
//     /.well-known/oauth-authorization-server, and the JWKS.
//
// There is no device authorization grant: fosite v0.49 has none.
//
// The person in the browser flow is simulated: the authorization endpoint
// approves every valid request as TestUser (or denies it after SetDeny(true))
// and redirects at once, so a test follows the authorization URL with an
// http.Client and lands on the client's loopback redirect.
//
//	srv := authserver.New(t, authserver.Options{AccessTokenTTL: 2 * time.Second})
//	srv.AddClient(authserver.Client{ID: "cli"})              // public client
//	srv.AddClient(authserver.Client{ID: "svc", Secret: "s"}) // confidential
//	// point tok at srv.Issuer(); with Options.TLS also pass srv.CAFile()
//	if srv.Counts().RefreshToken != 1 { ... }
package authserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
	"golang.org/x/crypto/bcrypt"
)

// The resource owner the server signs in as, and the password grant's
// credentials.
const (
	TestUser     = "test-user"
	TestPassword = "test-password"
)

// defaultScopes are the scopes a Client may request when it lists none.
func defaultScopes() []string {
	return []string{"openid", "offline_access", "offline", "profile", "email"}
}

// Options configure a Server. Zero values give sensible defaults.
type Options struct {
	AccessTokenTTL  time.Duration // default 1h
	RefreshTokenTTL time.Duration // default 24h; negative means never expire
	IDTokenTTL      time.Duration // default 1h
	// TLS serves https with a self-signed certificate; CAFile names a PEM
	// file that trusts it (tok's --ca-file).
	TLS bool
	// RFC8414Only answers 404 at /.well-known/openid-configuration, so
	// clients must fall back to /.well-known/oauth-authorization-server.
	RFC8414Only bool
}

// Client is an OAuth client registered with AddClient.
type Client struct {
	ID string
	// Secret is the client secret; empty registers a public client.
	Secret string
	// RedirectURIs default to http://127.0.0.1/callback and
	// http://[::1]/callback, which match any port (RFC 8252).
	RedirectURIs []string
	// Scopes the client may request; default openid, offline_access,
	// offline, profile, email.
	Scopes []string
	// GrantTypes the client may use; default authorization_code,
	// refresh_token, client_credentials and password.
	GrantTypes []string
	// Audience values the client may request with the audience parameter.
	Audience []string
	// TokenEndpointAuthMethod, when set (client_secret_basic,
	// client_secret_post or none), is the only client authentication the
	// server accepts from this client, as a provider's client registration
	// says; any other is refused with invalid_client, like Hydra does.
	TokenEndpointAuthMethod string
}

// Counts says how many requests each endpoint received, token requests by
// grant type, counted on arrival (failed ones included).
type Counts struct {
	AuthorizationCode int
	RefreshToken      int
	ClientCredentials int
	Password          int
	OtherGrant        int
	Authorize         int
	Revocation        int
	Introspection     int
	Discovery         int
	JWKS              int
	// RefreshReuse counts refresh requests presenting a refresh token
	// that was presented before: with rotation, a provider would revoke
	// the whole grant for it.
	RefreshReuse int
}

// TokenRequests is the number of token endpoint requests of any grant type.
func (c Counts) TokenRequests() int {
	return c.AuthorizationCode + c.RefreshToken + c.ClientCredentials + c.Password + c.OtherGrant
}

// Server is a running authorization server. Its methods are safe for
// concurrent use.
type Server struct {
	t        testing.TB
	http     *httptest.Server
	issuer   string
	caFile   string
	provider fosite.OAuth2Provider
	store    *store
	jwks     jose.JSONWebKeySet
	opts     Options

	// tokenMu serializes the token endpoint. fosite's memory store is not
	// transactional; a real provider's database makes rotation atomic, and
	// this lock gives the same behaviour to concurrent refreshes.
	tokenMu sync.Mutex

	mu         sync.Mutex
	counts     Counts
	deny       bool
	tokenFault int
	tokenDelay time.Duration
	presented  map[string]bool // refresh tokens seen at the token endpoint
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.RefreshTokenTTL == 0 {
		opts.RefreshTokenTTL = 24 * time.Hour
	}
	if opts.IDTokenTTL == 0 {
		opts.IDTokenTTL = time.Hour
	}
	s := &Server{t: t, opts: opts, store: newStore()}
	mux := http.NewServeMux()
	s.http = httptest.NewUnstartedServer(mux)
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	s.issuer = scheme + "://" + s.http.Listener.Addr().String()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("authserver: generate signing key: %v", err)
	}
	signingKey := &jose.JSONWebKey{Key: key, KeyID: "authserver-1", Algorithm: string(jose.RS256), Use: "sig"}
	s.jwks = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{signingKey.Public()}}
	s.provider = s.compose(signingKey)

	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleDiscovery)
	mux.HandleFunc("GET /jwks.json", s.handleJWKS)
	mux.HandleFunc("/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("POST /revoke", s.handleRevoke)
	mux.HandleFunc("POST /introspect", s.handleIntrospect)

	if opts.TLS {
		s.http.StartTLS()
		s.caFile = filepath.Join(t.TempDir(), "authserver-ca.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.http.Certificate().Raw})
		if err := os.WriteFile(s.caFile, pemBytes, 0o600); err != nil {
			t.Fatalf("authserver: write CA file: %v", err)
		}
	} else {
		s.http.Start()
	}
	t.Cleanup(s.http.Close)
	return s
}

func (s *Server) compose(signingKey *jose.JSONWebKey) fosite.OAuth2Provider {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		s.t.Fatalf("authserver: generate global secret: %v", err)
	}
	config := &fosite.Config{
		AccessTokenLifespan:        s.opts.AccessTokenTTL,
		RefreshTokenLifespan:       s.opts.RefreshTokenTTL,
		IDTokenLifespan:            s.opts.IDTokenTTL,
		AuthorizeCodeLifespan:      5 * time.Minute,
		IDTokenIssuer:              s.issuer,
		AccessTokenIssuer:          s.issuer,
		TokenURL:                   s.issuer + "/token",
		GlobalSecret:               secret,
		EnforcePKCE:                true,
		HashCost:                   bcrypt.MinCost,
		AudienceMatchingStrategy:   fosite.ExactAudienceMatchingStrategy,
		SendDebugMessagesToClients: true,
	}
	keyGetter := func(context.Context) (any, error) { return signingKey, nil }
	strategy := &compose.CommonStrategy{
		CoreStrategy:               compose.NewOAuth2HMACStrategy(config),
		OpenIDConnectTokenStrategy: compose.NewOpenIDConnectStrategy(keyGetter, config),
		Signer:                     &jwt.DefaultSigner{GetPrivateKey: keyGetter},
	}
	return compose.Compose(config, s.store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		//lint:ignore SA1019 ROPC is discouraged, but tok offers it when chosen explicitly and its tests need a server for it
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	)
}

// Issuer is the server's issuer URL, e.g. http://127.0.0.1:40123.
func (s *Server) Issuer() string { return s.issuer }

// CAFile is a PEM file trusting the server's certificate; empty without TLS.
func (s *Server) CAFile() string { return s.caFile }

// HTTPClient returns a new client that trusts the server (with or without
// TLS); callers may change it freely.
func (s *Server) HTTPClient() *http.Client {
	c := *s.http.Client()
	return &c
}

// Endpoint URLs, as the discovery document lists them.
func (s *Server) AuthURL() string          { return s.issuer + "/authorize" }
func (s *Server) TokenURL() string         { return s.issuer + "/token" }
func (s *Server) RevocationURL() string    { return s.issuer + "/revoke" }
func (s *Server) IntrospectionURL() string { return s.issuer + "/introspect" }
func (s *Server) JWKSURL() string          { return s.issuer + "/jwks.json" }

// AddClient registers (or replaces) a client.
func (s *Server) AddClient(c Client) {
	s.t.Helper()
	dc := &fosite.DefaultClient{
		ID:            c.ID,
		RedirectURIs:  c.RedirectURIs,
		GrantTypes:    c.GrantTypes,
		ResponseTypes: []string{"code"},
		Scopes:        c.Scopes,
		Audience:      c.Audience,
		Public:        c.Secret == "",
	}
	if len(dc.RedirectURIs) == 0 {
		dc.RedirectURIs = []string{"http://127.0.0.1/callback", "http://[::1]/callback"}
	}
	if len(dc.GrantTypes) == 0 {
		dc.GrantTypes = []string{"authorization_code", "refresh_token", "client_credentials", "password"}
	}
	if len(dc.Scopes) == 0 {
		dc.Scopes = defaultScopes()
	}
	if c.Secret != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(c.Secret), bcrypt.MinCost)
		if err != nil {
			s.t.Fatalf("authserver: hash client secret: %v", err)
		}
		dc.Secret = hash
	}
	if c.TokenEndpointAuthMethod != "" {
		s.store.setClient(&fosite.DefaultOpenIDConnectClient{DefaultClient: dc, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod})
		return
	}
	s.store.setClient(dc)
}

// SetDeny makes the simulated person deny (true) or approve (false, the
// default) every later authorization request.
func (s *Server) SetDeny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

// FailTokenRequests makes every later token request fail with the given
// HTTP status and error server_error (still counted); 0 restores normal
// service.
func (s *Server) FailTokenRequests(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFault = status
}

// DelayTokenRequests makes every later token request wait d before it is
// answered (a slow provider); 0 restores normal service.
func (s *Server) DelayTokenRequests(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenDelay = d
}

// Counts returns the requests received so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// ResetCounts sets all counts to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = Counts{}
}

// Introspect reports whether token (access or refresh) is active, as RFC
// 7662 introspection would.
func (s *Server) Introspect(token string) bool {
	_, _, err := s.provider.IntrospectToken(context.Background(), token, fosite.AccessToken, newSession(""))
	return err == nil
}

func (s *Server) count(f func(*Counts)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.counts)
}

// newSession is the per-request session: ID token claims for subject and
// the signing key's kid comes from the signer.
func newSession(subject string) *openid.DefaultSession {
	now := time.Now().UTC()
	return &openid.DefaultSession{
		Claims: &jwt.IDTokenClaims{
			Subject:     subject,
			RequestedAt: now,
			AuthTime:    now,
		},
		Headers:  &jwt.Headers{},
		Subject:  subject,
		Username: subject,
	}
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	s.count(func(c *Counts) { c.Discovery++ })
	if s.opts.RFC8414Only && r.URL.Path == "/.well-known/openid-configuration" {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, map[string]any{
		"issuer":                                        s.issuer,
		"authorization_endpoint":                        s.AuthURL(),
		"token_endpoint":                                s.TokenURL(),
		"revocation_endpoint":                           s.RevocationURL(),
		"introspection_endpoint":                        s.IntrospectionURL(),
		"jwks_uri":                                      s.JWKSURL(),
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials", "password"},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{"RS256"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":              []string{"S256"},
		"scopes_supported":                              defaultScopes(),
		"claims_supported":                              []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"},
	})
}

func (s *Server) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	s.count(func(c *Counts) { c.JWKS++ })
	writeJSON(w, s.jwks)
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.count(func(c *Counts) { c.Authorize++ })
	ctx := r.Context()
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.logf("authorization request refused: %+v", err)
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	s.mu.Lock()
	deny := s.deny
	s.mu.Unlock()
	if deny {
		s.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The test user denied the request."))
		return
	}
	// fosite has already checked the scopes and audience against the client.
	for _, scope := range ar.GetRequestedScopes() {
		ar.GrantScope(scope)
	}
	for _, aud := range ar.GetRequestedAudience() {
		ar.GrantAudience(aud)
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, newSession(TestUser))
	if err != nil {
		s.logf("authorization response failed: %+v", err)
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	grant := r.PostFormValue("grant_type")
	s.count(func(c *Counts) {
		switch grant {
		case "authorization_code":
			c.AuthorizationCode++
		case "refresh_token":
			c.RefreshToken++
			rt := r.PostFormValue("refresh_token")
			if s.presented == nil {
				s.presented = map[string]bool{}
			}
			if s.presented[rt] {
				c.RefreshReuse++
			}
			s.presented[rt] = true
		case "client_credentials":
			c.ClientCredentials++
		case "password":
			c.Password++
		default:
			c.OtherGrant++
		}
	})
	s.mu.Lock()
	fault, delay := s.tokenFault, s.tokenDelay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fault != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fault)
		_, _ = w.Write([]byte(`{"error":"server_error","error_description":"authserver: token requests are set to fail"}`))
		return
	}

	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession(""))
	if err != nil {
		s.logf("token request (%s) refused: %+v", grant, err)
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	// The authorization code and refresh grants carry the scopes granted at
	// authorization; the direct grants get what they asked for, within what
	// fosite allowed the client.
	if ar.GetGrantTypes().ExactOne("client_credentials") || ar.GetGrantTypes().ExactOne("password") {
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
		for _, aud := range ar.GetRequestedAudience() {
			ar.GrantAudience(aud)
		}
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.logf("token response (%s) failed: %+v", grant, err)
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.count(func(c *Counts) { c.Revocation++ })
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	ctx := r.Context()
	err := s.provider.NewRevocationRequest(ctx, r)
	if err != nil {
		s.logf("revocation: %+v", err)
	}
	s.provider.WriteRevocationResponse(ctx, w, err)
}

func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	s.count(func(c *Counts) { c.Introspection++ })
	ctx := r.Context()
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, newSession(""))
	if err != nil {
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}

func (s *Server) logf(format string, args ...any) {
	s.t.Logf("authserver: "+format, args...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// store is fosite's memory store with a lock-protected client table (the
// memory store's own map cannot be written while serving) and password
// authentication that uses the user name as subject.
type store struct {
	*storage.MemoryStore
	clientsMu sync.RWMutex
	clients   map[string]fosite.Client
}

func newStore() *store {
	ms := storage.NewMemoryStore()
	ms.Users[TestUser] = storage.MemoryUserRelation{Username: TestUser, Password: TestPassword}
	return &store{MemoryStore: ms, clients: map[string]fosite.Client{}}
}

func (s *store) setClient(c fosite.Client) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	s.clients[c.GetID()] = c
}

func (s *store) GetClient(_ context.Context, id string) (fosite.Client, error) {
	s.clientsMu.RLock()
	defer s.clientsMu.RUnlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fosite.ErrNotFound
	}
	return c, nil
}

func (s *store) Authenticate(ctx context.Context, name, secret string) (string, error) {
	if _, err := s.MemoryStore.Authenticate(ctx, name, secret); err != nil {
		return "", err
	}
	return name, nil
}
