// Package oauth is tok's client side of OAuth 2.0 and OpenID Connect: provider
// discovery, the login flows (authorization code with PKCE on a loopback
// redirect, device authorization, client credentials, resource owner password),
// refresh, revocation and ID token verification.
//
// It speaks the protocol and nothing else: it stores nothing, takes no locks and
// never decides when to refresh. The caller (internal/tokens) owns that. Every
// function takes the complete provider configuration as a Config value, so the
// package has no state of its own.
//
// The protocol work is done by golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3; this package adds what they leave to the
// application: the loopback listener, issuer and endpoint checks, RFC 8414
// fallback discovery, RFC 7009 revocation, client authentication choice and an
// error classification the caller can act on.
package oauth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Endpoints are the URLs and capabilities of a provider, from discovery or
// given explicitly. The caller stores them as JSON in the profile, so the json
// tags are part of tok's storage format and must stay stable.
type Endpoints struct {
	Issuer        string `json:"issuer,omitempty"`
	AuthURL       string `json:"authorization_endpoint,omitempty"`
	TokenURL      string `json:"token_endpoint,omitempty"`
	DeviceAuthURL string `json:"device_authorization_endpoint,omitempty"`
	RevocationURL string `json:"revocation_endpoint,omitempty"`
	JWKSURL       string `json:"jwks_uri,omitempty"`
	// TokenAuthMethods lists the client authentication methods the token
	// endpoint accepts (client_secret_basic, client_secret_post, ...). Empty
	// means unknown; RFC 8414 then implies client_secret_basic.
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// IDTokenSigningAlgs lists the JWS algorithms the provider signs ID tokens
	// with. Empty means RS256, the algorithm every OpenID Provider must support.
	IDTokenSigningAlgs []string `json:"id_token_signing_alg_values_supported,omitempty"`
	// ScopesSupported lists the scopes the provider advertises; empty means
	// it did not say.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// GrantTypes lists the grant types the provider supports; empty means
	// it did not say (RFC 8414 then implies authorization_code and
	// implicit, but many providers simply leave it out).
	GrantTypes []string `json:"grant_types_supported,omitempty"`
	// IssParameterSupported says the provider names itself in every
	// authorization response (RFC 9207); a response without iss is then
	// refused.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// ClientAuth is how the client authenticates at the token and revocation
// endpoints.
type ClientAuth string

// Client authentication methods. The zero value tries what the provider's
// discovery document allows (HTTP Basic first, then the body) and reports
// in Token.ClientAuth what was accepted, so the caller can remember it.
const (
	ClientAuthAuto  ClientAuth = ""
	ClientAuthBasic ClientAuth = "basic" // client_secret_basic: HTTP Basic
	ClientAuthPost  ClientAuth = "post"  // client_secret_post: in the form body
	ClientAuthNone  ClientAuth = "none"  // a public client: client_id only
)

// ParseClientAuth reads a --client-auth value; "" and "auto" mean auto.
func ParseClientAuth(s string) (ClientAuth, error) {
	switch m := ClientAuth(s); m {
	case ClientAuthAuto, ClientAuthBasic, ClientAuthPost, ClientAuthNone:
		return m, nil
	case "auto":
		return ClientAuthAuto, nil
	}
	return "", fmt.Errorf("unknown client authentication %q; use basic, post or none", s)
}

// Config is everything a flow needs to talk to one provider as one client.
type Config struct {
	Endpoints
	ClientID     string
	ClientSecret string // empty for public clients
	// ClientAuth fixes the client authentication method: one request per
	// grant. The zero value tries what discovery allows.
	ClientAuth ClientAuth
	// LastClientAuth, with ClientAuth unset, is the method the provider
	// accepted last time (Token.ClientAuth, remembered by the caller). It
	// is tried first, so a renewal is one request; the others follow only
	// if the provider refuses it as invalid_client (its client
	// registration changed).
	LastClientAuth ClientAuth
	Scopes         []string
	// Audience is sent as the `audience` parameter (Auth0 and others) when set.
	Audience string
	// Resources are RFC 8707 resource indicators, sent as repeated `resource`
	// parameters on the authorization and token requests.
	Resources []string
	// AuthParams are extra authorization request parameters (prompt,
	// login_hint, ...). They are sent only to the authorization endpoint.
	AuthParams map[string]string
	// RedirectPort is the loopback port of the browser flow; 0 picks a free one.
	// Providers that register an exact redirect URI need a fixed port.
	RedirectPort int
	// RedirectPath is the path of the loopback redirect URI; empty means
	// DefaultRedirectPath.
	RedirectPath string
	// HTTPClient makes every request of the flows; nil means
	// NewHTTPClient("", DefaultTimeout).
	HTTPClient *http.Client
}

// DefaultRedirectPath is the path of the loopback redirect URI,
// http://127.0.0.1:PORT/callback, unless Config.RedirectPath says otherwise.
const DefaultRedirectPath = "/callback"

// Token is the result of a successful token request.
type Token struct {
	AccessToken  string
	TokenType    string
	RefreshToken string // empty when the response had none
	// IDToken is the raw JWT. It is verified before being returned; when it
	// cannot be verified because the provider has no issuer or JWKS URL
	// configured (plain OAuth 2.0 with explicit endpoints), it is dropped.
	IDToken string
	Scope   string
	// Expiry is zero when the server gave no expires_in.
	Expiry time.Time
	// IDTokenExpiry is the verified ID token's exp; zero when there is no ID token.
	IDTokenExpiry time.Time
	// Identity is who signed in, from the verified ID token; zero without one.
	Identity Identity
	// ClientAuth is the client authentication the token endpoint accepted
	// (with Config.ClientAuth unset, the one the fallback settled on).
	ClientAuth ClientAuth
	// IDTokenRejected is set only by Refresh, when the response held an ID
	// token that failed verification (a bad signature, audience or expiry, or
	// an unreachable JWKS). The ID token is then dropped but the other tokens
	// are valid and must be stored: the refresh token may have rotated
	// already. The logins fail instead.
	IDTokenRejected error
}

// UI is how the interactive flows talk to the person. All text goes to Out
// (stderr in the CLI), never to stdout, which carries data only.
type UI struct {
	Out io.Writer
	// OpenBrowser opens a URL. When nil or when NoBrowser is set the URL is
	// only printed.
	OpenBrowser func(url string) error
	NoBrowser   bool
	// Wait, when set, runs block, the part of a flow that waits on the
	// person once the instructions are printed, and may show progress
	// meanwhile (a spinner with the time left). It must call block once,
	// with ctx or a context derived from it, and must not return before
	// block has returned. It returns block's error, or its own when it
	// stopped the wait early (the person cancelled). Nothing is written to
	// Out while block runs, so a spinner can own the terminal. When Wait is
	// set the flows leave out their own "Waiting..." line; without it they
	// print that line and block.
	Wait func(ctx context.Context, status WaitStatus, block func(context.Context) error) error
	// Log receives debug records: why the browser did not open, a forged
	// or stray response the listener ignored. nil discards them.
	Log *slog.Logger
	// Profile names the profile on the browser's result page, and
	// RetryCommand is the command a failure page suggests ("tok login -p
	// work"). Both are optional.
	Profile      string
	RetryCommand string
	// KeepResultFor keeps the browser flow's listener serving the result
	// page this long after the login returned, so that reloading the tab
	// shows the result instead of a connection error; only when the flow
	// opened the browser itself. The listener stops in the background;
	// Lingering, when set, is done when it has stopped, so a caller can
	// wait for it before exiting. Zero stops the listener as soon as the
	// browser has loaded the result page.
	KeepResultFor time.Duration
	Lingering     *sync.WaitGroup
	// Paste, when set, makes the browser flow remote (tok login --remote):
	// no browser is opened here; the person opens the authorization URL
	// on any machine and pastes the address the browser ends on
	// (http://127.0.0.1:PORT/...) from its address bar. Paste returns one
	// pasted line; it is called again after an address that is not this
	// login's. It reads the terminal, so Wait is not used meanwhile. The
	// listener still runs, so a browser on this machine needs no paste.
	Paste func(ctx context.Context) (string, error)
}

// Flows that report a WaitStatus.
const (
	WaitBrowser = "browser"
	WaitDevice  = "device"
)

// WaitStatus says what an interactive flow is waiting for, for UI.Wait.
type WaitStatus struct {
	// Flow is WaitBrowser or WaitDevice.
	Flow string
	// URL is where the person signs in: the authorization URL (browser) or
	// the verification URI (device). It carries no secret.
	URL string
	// UserCode is the code to enter at URL (device flow only).
	UserCode string
	// Expiry is when the device code expires; zero when the provider did
	// not say, and for the browser flow.
	Expiry time.Time
}

// wait runs block under ui.Wait, or directly when there is none.
func (ui UI) wait(ctx context.Context, status WaitStatus, block func(context.Context) error) error {
	if ui.Wait == nil {
		return block(ctx)
	}
	return ui.Wait(ctx, status, block)
}

func (ui UI) out() io.Writer {
	if ui.Out == nil {
		return io.Discard
	}
	return ui.Out
}

// open tries the browser. tried is false when no browser may be opened;
// err says why an attempt failed.
func (ui UI) open(url string) (tried bool, err error) {
	if ui.NoBrowser || ui.OpenBrowser == nil {
		return false, nil
	}
	if err := ui.OpenBrowser(url); err != nil {
		ui.log().Debug("could not open a browser", "error", err)
		return true, err
	}
	return true, nil
}

func (ui UI) log() *slog.Logger {
	if ui.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return ui.Log
}

func (c Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	// An empty CA file never fails to load.
	hc, _ := NewHTTPClient("", DefaultTimeout)
	return hc
}

// withHTTPClient makes x/oauth2 use hc for the requests made with ctx.
func withHTTPClient(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// oauth2Config builds the x/oauth2 configuration with an explicit client
// authentication style (see authStyles).
func (c Config) oauth2Config(style oauth2.AuthStyle) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Scopes:       c.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:       c.AuthURL,
			TokenURL:      c.TokenURL,
			DeviceAuthURL: c.DeviceAuthURL,
			AuthStyle:     style,
		},
	}
}

// audienceOptions are the audience and resource parameters for requests that
// x/oauth2 builds. Its options carry one value per name, so several RFC 8707
// resources can only be sent where tok builds the parameters itself (the
// authorization URL, client credentials, password). Elsewhere a single
// resource is sent and several are left to the authorization request, which
// binds them to the grant.
func (c Config) audienceOptions() []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if c.Audience != "" {
		opts = append(opts, oauth2.SetAuthURLParam("audience", c.Audience))
	}
	if len(c.Resources) == 1 {
		opts = append(opts, oauth2.SetAuthURLParam("resource", c.Resources[0]))
	}
	return opts
}

// audienceValues are the audience and resource parameters as form values.
func (c Config) audienceValues() url.Values {
	v := url.Values{}
	if c.Audience != "" {
		v.Set("audience", c.Audience)
	}
	for _, r := range c.Resources {
		v.Add("resource", r)
	}
	return v
}

func (c Config) redirectPath() string {
	p := c.RedirectPath
	if p == "" {
		return DefaultRedirectPath
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
