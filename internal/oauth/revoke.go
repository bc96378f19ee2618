package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// ErrNoRevocationEndpoint is returned by Revoke when the provider has no
// revocation endpoint.
var ErrNoRevocationEndpoint = errors.New("the provider has no revocation endpoint")

// Revoke asks the provider to revoke token (RFC 7009). tokenTypeHint is
// "refresh_token", "access_token" or empty. A confidential client
// authenticates with HTTP Basic (or client_secret_post when that is all the
// provider lists, or when Basic is refused); a public client sends its
// client_id in the body. Revoking an unknown or already revoked token
// succeeds, as RFC 7009 says. Errors are *Error; IsTransient tells an
// unreachable or failing server from a refusal.
func Revoke(ctx context.Context, cfg Config, token, tokenTypeHint string) error {
	if cfg.RevocationURL == "" {
		return ErrNoRevocationEndpoint
	}
	if err := ValidateEndpointURL(cfg.RevocationURL); err != nil {
		return err
	}
	hc := cfg.httpClient()
	op := "revocation at " + cfg.RevocationURL
	var err error
	for _, style := range cfg.authStyles() {
		err = revokeOnce(ctx, hc, cfg, style, token, tokenTypeHint)
		if !isClientAuthFailure(err) {
			break
		}
	}
	return wrapError(op, err, token, cfg.ClientSecret)
}

func revokeOnce(ctx context.Context, hc *http.Client, cfg Config, style oauth2.AuthStyle, token, hint string) error {
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if style == oauth2.AuthStyleInParams {
		form.Set("client_id", cfg.ClientID)
		if cfg.ClientSecret != "" {
			form.Set("client_secret", cfg.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if style == oauth2.AuthStyleInHeader {
		// RFC 6749 section 2.3.1: both parts are form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(cfg.ClientSecret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, readErr := readBounded(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	// Reuse RetrieveError so that wrapError and isClientAuthFailure treat
	// revocation answers like token endpoint answers.
	re := &oauth2.RetrieveError{Response: resp}
	if readErr == nil {
		var e struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
			URI         string `json:"error_uri"`
		}
		if json.Unmarshal(body, &e) == nil {
			re.ErrorCode, re.ErrorDescription, re.ErrorURI = e.Code, e.Description, e.URI
		}
	}
	return re
}
