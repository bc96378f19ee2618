package oidcprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Counts are the requests the provider has received since it started.
type Counts struct {
	// Token counts token endpoint requests by grant_type, whatever their
	// outcome; "(none)" when the request named none.
	Token map[string]int `json:"token"`
	// TokenErrors counts those of them that were refused (HTTP 4xx/5xx).
	TokenErrors map[string]int `json:"token_errors"`
	// Authorization counts requests to the authorization endpoint, not
	// the provider's own resumptions after each login and consent step.
	Authorization       int `json:"authorization"`
	DeviceAuthorization int `json:"device_authorization"`
	Revocation          int `json:"revocation"`
	// Introspection includes the harness's own Introspect calls.
	Introspection int `json:"introspection"`
}

// Counts reads the provider's request counters.
func (p *Provider) Counts(ctx context.Context) (Counts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/__test/counts", nil)
	if err != nil {
		return Counts{}, fmt.Errorf("could not build the counts request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+p.adminSecret)
	var c Counts
	if err := p.doJSON(req, &c); err != nil {
		return Counts{}, fmt.Errorf("could not read the provider's request counts: %w", err)
	}
	return c, nil
}

// Introspect asks the provider's RFC 7662 introspection endpoint, as a
// confidential client of the harness's own, whether token is active. It
// works for access and refresh tokens of any client.
func (p *Provider) Introspect(ctx context.Context, token string) (bool, error) {
	if p.meta.IntrospectionEndpoint == "" {
		return false, errors.New("introspection is disabled for this provider; leave Options.DisableIntrospection false")
	}
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.meta.IntrospectionEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("could not build the introspection request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(p.inspector.ID), url.QueryEscape(p.inspector.Secret))
	var resp struct {
		Active bool `json:"active"`
	}
	if err := p.doJSON(req, &resp); err != nil {
		return false, fmt.Errorf("could not introspect the token: %w", err)
	}
	return resp.Active, nil
}

// doJSON sends req and decodes a 200 JSON answer into v.
func (p *Provider) doJSON(req *http.Request, v any) error {
	resp, err := p.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("could not read the answer from %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", req.URL, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("could not decode the answer from %s: %w", req.URL, err)
	}
	return nil
}
