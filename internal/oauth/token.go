package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentials gets a token for the client itself (RFC 6749 section
// 4.4), sending the audience and every resource.
func ClientCredentials(ctx context.Context, cfg Config) (Token, error) {
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	return cfg.directGrant(ctx, "client credentials grant", cfg.audienceValues(), cfg.ClientSecret)
}

// Password gets a token with the resource owner's username and password
// (RFC 6749 section 4.3). The OAuth 2.0 Security BCP deprecates this grant;
// the caller should use it only when chosen explicitly and say so.
func Password(ctx context.Context, cfg Config, username, password string) (Token, error) {
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	v := cfg.audienceValues()
	v.Set("grant_type", "password")
	v.Set("username", username)
	v.Set("password", password)
	return cfg.directGrant(ctx, "password grant", v, cfg.ClientSecret, password)
}

// directGrant makes a token request whose parameters tok builds in full. It
// uses x/oauth2/clientcredentials because its EndpointParams carry repeated
// values (RFC 8707 resources) and may set grant_type; oauth2.Config's
// PasswordCredentialsToken accepts no extra parameters at all.
func (c Config) directGrant(ctx context.Context, what string, params url.Values, secrets ...string) (Token, error) {
	hc := c.httpClient()
	ctx = withHTTPClient(ctx, hc)
	op := what + " at " + c.TokenURL
	var tok *oauth2.Token
	method, err := c.withAuthFallback(func(style oauth2.AuthStyle) error {
		cc := clientcredentials.Config{
			ClientID:       c.ClientID,
			ClientSecret:   c.ClientSecret,
			TokenURL:       c.TokenURL,
			Scopes:         c.Scopes,
			EndpointParams: params,
			AuthStyle:      style,
		}
		var err error
		tok, err = cc.Token(ctx)
		return err
	})
	if err != nil {
		return Token{}, wrapError(op, err, secrets...)
	}
	return withMethod(c.finish(ctx, hc, op, tok, idTokenCheck{}))(method)
}

// Refresh exchanges a refresh token for new tokens (RFC 6749 section 6).
// Token.RefreshToken is empty when the server sent none; the caller then keeps
// the old one. A returned ID token is verified (without a nonce check). On a
// dead refresh token the error satisfies IsInvalidGrant.
func Refresh(ctx context.Context, cfg Config, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, configErrorf("no refresh token to refresh with")
	}
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	hc := cfg.httpClient()
	ctx = withHTTPClient(ctx, hc)
	op := "refresh at " + cfg.TokenURL
	var tok *oauth2.Token
	method, err := cfg.withAuthFallback(func(style oauth2.AuthStyle) error {
		// A token with only a refresh token is expired, so the source refreshes
		// at once. x/oauth2 sends no scope: the grant keeps its original scopes.
		var err error
		tok, err = cfg.oauth2Config(style).TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
		return err
	})
	if err != nil {
		return Token{}, wrapError(op, err, refreshToken, cfg.ClientSecret)
	}
	// The server has already rotated the refresh token; losing the new one
	// over an ID token problem would make the next refresh a reuse.
	return withMethod(cfg.finish(ctx, hc, op, tok, idTokenCheck{keepTokensOnFailure: true}))(method)
}

// withMethod records in a finished token the client authentication that
// was accepted: withMethod(c.finish(...))(method).
func withMethod(t Token, err error) func(ClientAuth) (Token, error) {
	return func(m ClientAuth) (Token, error) {
		if err == nil {
			t.ClientAuth = m
		}
		return t, err
	}
}

// finish converts a token response into Token and verifies its ID token.
func (c Config) finish(ctx context.Context, hc *http.Client, op string, t *oauth2.Token, check idTokenCheck) (Token, error) {
	out := Token{
		AccessToken: t.AccessToken,
		TokenType:   t.TokenType,
		// x/oauth2 copies the old refresh token into a refresh response that had
		// none; report only what the server sent so rotation stays visible.
		RefreshToken: extraString(t, "refresh_token"),
		Scope:        extraString(t, "scope"),
		Expiry:       t.Expiry,
	}
	raw := extraString(t, "id_token")
	if raw == "" {
		return out, nil
	}
	exp, who, err := verifyIDToken(ctx, c, hc, raw, t.AccessToken, check)
	switch {
	case errors.Is(err, errUnverifiable):
		// Never hand out an ID token that was not verified.
		return out, nil
	case err != nil && check.keepTokensOnFailure:
		out.IDTokenRejected = fmt.Errorf("%s: %w", op, err)
		return out, nil
	case err != nil:
		// Not an *Error: a rejected ID token is not a transient failure.
		return Token{}, fmt.Errorf("%s: %w", op, err)
	}
	out.IDToken, out.IDTokenExpiry, out.Identity = raw, exp, who
	return out, nil
}

// extraString reads a string field of the token response, JSON or form-encoded.
func extraString(t *oauth2.Token, key string) string {
	switch v := t.Extra(key).(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		// x/oauth2 turns numeric-looking form values into numbers.
		return fmt.Sprint(v)
	}
}

func (c Config) requireTokenURL() error {
	if c.TokenURL == "" {
		return configErrorf("the provider has no token endpoint; set the issuer (for discovery) or the token URL")
	}
	return ValidateEndpointURL(c.TokenURL)
}

// authStyles lists the client authentication styles to try, best first. A
// fixed ClientAuth is the only one. A public client sends client_id in the
// body. A confidential client uses HTTP Basic (RFC 6749's must-support
// method) unless the provider lists only client_secret_post; when both may
// work, Basic is tried first and the body second.
func (c Config) authStyles() []oauth2.AuthStyle {
	switch c.ClientAuth {
	case ClientAuthBasic:
		return []oauth2.AuthStyle{oauth2.AuthStyleInHeader}
	case ClientAuthPost, ClientAuthNone:
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams}
	}
	if c.ClientSecret == "" {
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams}
	}
	basic := slices.Contains(c.TokenAuthMethods, "client_secret_basic")
	post := slices.Contains(c.TokenAuthMethods, "client_secret_post")
	switch {
	case c.LastClientAuth == ClientAuthPost:
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader}
	case c.LastClientAuth == ClientAuthBasic:
		return []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams}
	case basic && !post:
		return []oauth2.AuthStyle{oauth2.AuthStyleInHeader}
	case post && !basic:
		return []oauth2.AuthStyle{oauth2.AuthStyleInParams}
	default:
		return []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams}
	}
}

// withAuthFallback runs request with each client authentication style until
// one is not refused as a client authentication failure, and returns the
// method of the last style tried. x/oauth2's own auto-detection retries on
// every error, which would present a refresh token or authorization code
// twice after an invalid_grant or a 5xx; a refused client authentication
// means the grant was not looked at, so retrying it is safe. A caller that
// stores the returned method makes one request per grant from then on.
func (c Config) withAuthFallback(request func(oauth2.AuthStyle) error) (ClientAuth, error) {
	var err error
	var method ClientAuth
	for _, style := range c.authStyles() {
		method = c.methodOf(style)
		err = request(style)
		if !isClientAuthFailure(err) {
			return method, err
		}
	}
	return method, err
}

// methodOf names the client authentication a style sends.
func (c Config) methodOf(style oauth2.AuthStyle) ClientAuth {
	switch {
	case c.ClientSecret == "" || c.ClientAuth == ClientAuthNone:
		return ClientAuthNone
	case style == oauth2.AuthStyleInHeader:
		return ClientAuthBasic
	}
	return ClientAuthPost
}

func isClientAuthFailure(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	if re.Response != nil && re.Response.Request != nil && re.Response.Request.Response != nil {
		// The answer came from where a redirect led (an HTTPClient that
		// follows redirects of POSTs): sending the credentials again, in the
		// other style, would hand them to that place as well.
		return false
	}
	if re.ErrorCode == "invalid_client" {
		return true
	}
	return re.ErrorCode == "" && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized
}
