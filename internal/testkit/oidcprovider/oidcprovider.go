// Package oidcprovider starts a real, independent OpenID Provider for tests: the
// npm package oidc-provider, run by Node.js from the op/ directory beside
// this file.
//
// It covers what the in-process fosite server cannot: RFC 8628 device
// authorization, browser login through oidc-provider's own login and consent
// pages, refresh token rotation with reuse detection, RFC 7009 revocation and
// RFC 7662 introspection. The person's part of each flow is played over plain
// HTTP by Provider.Authorize and Provider.AuthorizeDevice.
//
// The Node dependencies are installed once with InstallCommand, run from the
// repository root. Without them (or without node) Start skips the test, or
// fails it when CI=true.
package oidcprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/fixture"
	"github.com/tok-cli/tok/internal/testkit/need"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"

	"golang.org/x/oauth2"
)

// InstallCommand installs the provider's Node dependencies from the
// committed lockfile. Run it from the repository root.
const InstallCommand = "npm ci --prefix internal/testkit/oidcprovider/op"

// Grant types a Client may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantClientCredentials = "client_credentials"
)

// DefaultRedirectURI is registered for clients that name none. Clients are
// registered as native applications, so per RFC 8252 section 7.3 any port on
// this loopback URI is accepted (http://127.0.0.1:53127/callback matches).
const DefaultRedirectURI = "http://127.0.0.1/callback"

// RefreshRotation says when a refresh grant replaces the refresh token.
type RefreshRotation int

const (
	// RotateByProviderPolicy keeps oidc-provider's own policy: a public
	// client gets a new refresh token on every refresh, a confidential one
	// only once 70% of the refresh token's lifetime has passed.
	RotateByProviderPolicy RefreshRotation = iota
	// RotateAlways issues a new refresh token on every refresh grant.
	RotateAlways
	// RotateNever keeps the same refresh token until it expires.
	RotateNever
)

// Client is an OAuth client registered at start.
type Client struct {
	ID string
	// Secret makes the client confidential (client_secret_basic unless
	// AuthMethod says otherwise). Without one the client is public
	// (token_endpoint_auth_method none) and PKCE S256 is required.
	Secret string
	// AuthMethod overrides the token endpoint authentication method, e.g.
	// "client_secret_post".
	AuthMethod string
	// RedirectURIs defaults to DefaultRedirectURI when the client may use
	// the authorization code grant.
	RedirectURIs []string
	// GrantTypes defaults to authorization code, refresh token and (when
	// enabled) device code; confidential clients also get client
	// credentials when enabled.
	GrantTypes []string
}

// Options configure the provider. The zero value gives a provider with every
// feature on, oidc-provider's default lifetimes and one public client "tok".
type Options struct {
	// Clients to register; nil registers Client{ID: "tok"}.
	Clients []Client

	// Token lifetimes; zero keeps oidc-provider's default. They are rounded
	// up to whole seconds.
	AccessTokenTTL       time.Duration
	IDTokenTTL           time.Duration
	RefreshTokenTTL      time.Duration
	DeviceCodeTTL        time.Duration
	ClientCredentialsTTL time.Duration

	Rotation RefreshRotation

	// RefreshTokenWithoutOfflineAccess issues a refresh token to every client
	// allowed the refresh_token grant. By default oidc-provider issues one
	// only when the scope offline_access was requested (and granted).
	RefreshTokenWithoutOfflineAccess bool

	// DeviceInterval, when set, adds "interval" to device authorization
	// responses. oidc-provider omits it, so clients poll every 5 s
	// (RFC 8628 section 3.2); tests set 1 s to run faster.
	DeviceInterval time.Duration

	// ExtraScopes are accepted besides openid, offline_access, profile and
	// email. oidc-provider silently drops scopes it does not know.
	ExtraScopes []string

	DisableDeviceFlow        bool
	DisableRevocation        bool
	DisableIntrospection     bool
	DisableClientCredentials bool

	// TLS serves https with a fresh self-signed certificate for 127.0.0.1;
	// see Provider.HTTPClient and Provider.CAFile.
	TLS bool
}

// Provider is a running oidc-provider.
type Provider struct {
	// Issuer is http://127.0.0.1:PORT (https with Options.TLS).
	Issuer string

	meta        metadata
	adminSecret string
	inspector   Client
	httpClient  *http.Client
	caFile      string
	// exited closes when the node process has ended (tests of the
	// harness itself read it).
	exited <-chan struct{}
}

// metadata is the part of the discovery document the harness uses.
type metadata struct {
	Issuer                      string `json:"issuer"`
	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	RevocationEndpoint          string `json:"revocation_endpoint"`
	IntrospectionEndpoint       string `json:"introspection_endpoint"`
	UserinfoEndpoint            string `json:"userinfo_endpoint"`
	JWKSURI                     string `json:"jwks_uri"`
}

// Endpoint returns the endpoints for golang.org/x/oauth2, with the default
// AuthStyleAutoDetect. For a public client set AuthStyleInParams: with
// auto-detection x/oauth2 first tries HTTP Basic with an empty secret, which
// oidc-provider refuses (invalid_client), so the first token request of
// every process is sent twice.
func (p *Provider) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       p.meta.AuthorizationEndpoint,
		TokenURL:      p.meta.TokenEndpoint,
		DeviceAuthURL: p.meta.DeviceAuthorizationEndpoint,
	}
}

// RevocationURL is the RFC 7009 endpoint ("" when disabled).
func (p *Provider) RevocationURL() string { return p.meta.RevocationEndpoint }

// IntrospectionURL is the RFC 7662 endpoint ("" when disabled).
func (p *Provider) IntrospectionURL() string { return p.meta.IntrospectionEndpoint }

// DeviceVerificationURL is the page where a person enters a user code.
func (p *Provider) DeviceVerificationURL() string { return p.Issuer + "/device" }

// HTTPClient returns a client for talking to the provider: with Options.TLS
// it trusts the provider's certificate. Pass it to x/oauth2 through the
// oauth2.HTTPClient context value.
func (p *Provider) HTTPClient() *http.Client { return p.httpClient }

// CAFile is the PEM file of the provider's certificate, "" without TLS.
func (p *Provider) CAFile() string { return p.caFile }

// opDir is the directory holding server.js, found from this source file so
// that tests of any package, run from any working directory, can use it.
func opDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok && filepath.IsAbs(file) {
		return filepath.Join(filepath.Dir(file), "op"), nil
	}
	// Built with -trimpath: the file name is relative to the module, so
	// look for the module root above the test's working directory.
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("could not locate the oidcprovider package: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "testkit", "oidcprovider", "op"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("could not locate the oidcprovider package: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Install runs InstallCommand for this checkout.
func Install(ctx context.Context) error {
	dir, err := opDir()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--prefix", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("could not install oidc-provider (npm ci --prefix %s): %w\n%s", dir, err, out)
	}
	return nil
}

// requirements finds node and checks that the npm dependencies are
// installed in dir.
func requirements(dir string) (node string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("node (Node.js 20 or later) is not installed: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		return "", fmt.Errorf("the oidc-provider npm package is not installed in %s", dir)
	}
	return node, nil
}

// missing reports a missing environment dependency: a failure in CI, where
// the install step must have run, and a skip elsewhere.
func missing(t testing.TB, err error) {
	t.Helper()
	need.Missing(t, fmt.Sprintf("oidcprovider: %v; install it with: %s (from the repository root)", err, InstallCommand))
}

// Start starts an oidc-provider for the test and stops it when the test
// ends. It fails the test when the provider does not come up.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	dir, err := opDir()
	if err != nil {
		t.Fatal(err)
	}
	node, err := requirements(dir)
	if err != nil {
		missing(t, err)
	}

	tmp := t.TempDir()
	p := &Provider{
		adminSecret: fixture.Hex(t, 32),
		inspector:   Client{ID: "oidcprovider-introspector", Secret: fixture.Hex(t, 32)},
		httpClient:  &http.Client{Timeout: 10 * time.Second},
	}
	scheme := "http"
	var tlsFiles *tlsConfig
	if opts.TLS {
		scheme = "https"
		tlsFiles, p.httpClient = selfSignedTLS(t, tmp)
		p.caFile = tlsFiles.CertFile
	}

	cfg, err := serverConfig(opts, p.adminSecret, p.inspector, tlsFiles)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(tmp, "config.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatalf("could not write the provider configuration: %v", err)
	}

	port, err := p.run(t, node, dir, cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	p.Issuer = scheme + "://127.0.0.1:" + strconv.Itoa(port)
	if err := p.discover(); err != nil {
		t.Fatal(err)
	}
	return p
}

// run starts node and returns the port it listens on. The process is
// stopped in t.Cleanup; its stderr is logged when the test failed.
func (p *Provider) run(t testing.TB, node, dir, cfgFile string) (int, error) {
	cmd := exec.Command(node, filepath.Join(dir, "server.js"), cfgFile)
	cmd.Dir = dir
	// Keep node's colour codes and debug output out of the test log.
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DEBUG=")
	stderr := &syncbuf.Buffer{} // the test may log it while the provider writes
	cmd.Stderr = stderr
	// node exits when this pipe closes, even if the test binary is killed
	// before its cleanup runs; Wait closes it otherwise.
	if _, err := cmd.StdinPipe(); err != nil {
		return 0, fmt.Errorf("could not create the provider's stdin: %w", err)
	}
	ready := &readyLine{port: make(chan int, 1)}
	cmd.Stdout = ready
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("could not start oidc-provider with %s: %w", node, err)
	}
	exited := make(chan struct{})
	p.exited = exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stopProcessGroup(cmd, exited)
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", strings.TrimSpace(stderr.String()))
		}
	})

	select {
	case port := <-ready.port:
		return port, nil
	case <-exited:
		return 0, fmt.Errorf("oidc-provider exited during start-up (%v); its stderr is in the test log", cmd.ProcessState)
	case <-time.After(20 * time.Second):
		return 0, errors.New("oidc-provider did not report its port within 20s; its stderr is in the test log")
	}
}

// readyLine reads server.js's stdout and sends the port from its first
// line, {"port":N}; later output is dropped.
type readyLine struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
	port chan int
}

func (r *readyLine) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return len(b), nil
	}
	r.buf.Write(b)
	line, _, found := bytes.Cut(r.buf.Bytes(), []byte("\n"))
	if !found {
		return len(b), nil
	}
	r.done = true
	var msg struct {
		Port int `json:"port"`
	}
	if json.Unmarshal(line, &msg) == nil && msg.Port > 0 {
		r.port <- msg.Port
	}
	return len(b), nil
}

// discover waits until the discovery document answers and keeps it.
func (p *Provider) discover() error {
	url := p.Issuer + "/.well-known/openid-configuration"
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := p.fetchMetadata(url)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("oidc-provider discovery at %s did not answer: %w", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *Provider) fetchMetadata(url string) error {
	resp, err := p.httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&p.meta); err != nil {
		return fmt.Errorf("could not decode the discovery document: %w", err)
	}
	if p.meta.Issuer != p.Issuer {
		return fmt.Errorf("discovery names issuer %q, want %q", p.meta.Issuer, p.Issuer)
	}
	return nil
}

// serverConfig is the JSON read by server.js.
func serverConfig(opts Options, adminSecret string, inspector Client, tlsFiles *tlsConfig) ([]byte, error) {
	features := map[string]bool{
		"deviceFlow":        !opts.DisableDeviceFlow,
		"revocation":        !opts.DisableRevocation,
		"introspection":     !opts.DisableIntrospection,
		"clientCredentials": !opts.DisableClientCredentials,
	}
	clients := opts.Clients
	if clients == nil {
		clients = []Client{{ID: "tok"}}
	}
	metas := make([]map[string]any, 0, len(clients)+1)
	for _, c := range clients {
		m, err := clientMetadata(c, features)
		if err != nil {
			return nil, err
		}
		metas = append(metas, m)
	}
	// The harness's own confidential client, used by Introspect only.
	metas = append(metas, map[string]any{
		"client_id":                  inspector.ID,
		"client_secret":              inspector.Secret,
		"token_endpoint_auth_method": "client_secret_basic",
		"grant_types":                []string{},
		"response_types":             []string{},
		"redirect_uris":              []string{},
	})

	rotation := map[RefreshRotation]string{
		RotateByProviderPolicy: "default",
		RotateAlways:           "always",
		RotateNever:            "never",
	}[opts.Rotation]
	if rotation == "" {
		return nil, fmt.Errorf("unknown refresh rotation %d", opts.Rotation)
	}

	cfg := map[string]any{
		"adminSecret": adminSecret,
		"clients":     metas,
		"features":    features,
		"ttl": map[string]int{
			"AccessToken":       seconds(opts.AccessTokenTTL),
			"IdToken":           seconds(opts.IDTokenTTL),
			"RefreshToken":      seconds(opts.RefreshTokenTTL),
			"DeviceCode":        seconds(opts.DeviceCodeTTL),
			"ClientCredentials": seconds(opts.ClientCredentialsTTL),
		},
		"rotateRefreshToken":               rotation,
		"refreshTokenWithoutOfflineAccess": opts.RefreshTokenWithoutOfflineAccess,
		"deviceInterval":                   seconds(opts.DeviceInterval),
		"extraScopes":                      opts.ExtraScopes,
	}
	if tlsFiles != nil {
		cfg["tls"] = tlsFiles
	}
	return json.Marshal(cfg)
}

// clientMetadata turns a Client into oidc-provider client metadata.
func clientMetadata(c Client, features map[string]bool) (map[string]any, error) {
	if c.ID == "" {
		return nil, errors.New("oidcprovider: a client needs an ID")
	}
	grants := c.GrantTypes
	if grants == nil {
		grants = []string{GrantAuthorizationCode, GrantRefreshToken}
		if features["deviceFlow"] {
			grants = append(grants, GrantDeviceCode)
		}
		if c.Secret != "" && features["clientCredentials"] {
			grants = append(grants, GrantClientCredentials)
		}
	}
	authMethod := c.AuthMethod
	switch {
	case authMethod != "":
	case c.Secret != "":
		authMethod = "client_secret_basic"
	default:
		authMethod = "none"
	}
	m := map[string]any{
		"client_id":                  c.ID,
		"token_endpoint_auth_method": authMethod,
		"application_type":           "native",
		"grant_types":                grants,
		"response_types":             []string{},
		"redirect_uris":              []string{},
	}
	if c.Secret != "" {
		m["client_secret"] = c.Secret
	}
	if slices.Contains(grants, GrantAuthorizationCode) {
		redirects := c.RedirectURIs
		if redirects == nil {
			redirects = []string{DefaultRedirectURI}
		}
		m["response_types"] = []string{"code"}
		m["redirect_uris"] = redirects
	}
	return m, nil
}

// seconds rounds d up to whole seconds; zero stays zero (provider default).
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
