package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Discover fetches the provider metadata of issuer: first the OpenID Connect
// document (issuer + /.well-known/openid-configuration), then, when that does
// not exist, the RFC 8414 OAuth 2.0 authorization server metadata
// (/.well-known/oauth-authorization-server inserted before the issuer's path,
// then appended to it). The document must name the same issuer (a trailing
// slash aside), every endpoint must pass ValidateEndpointURL and a token
// endpoint must be present. A nil hc means a default client.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	if err := ValidateIssuerURL(issuer); err != nil {
		return Endpoints{}, err
	}
	if hc == nil {
		hc = Config{}.httpClient()
	}
	var tried []string
	for _, docURL := range discoveryURLs(issuer) {
		ep, status, err := fetchMetadata(ctx, hc, docURL)
		if err != nil {
			return Endpoints{}, err
		}
		if status != http.StatusOK {
			// A 4xx means "no document here"; try the next well-known location.
			tried = append(tried, fmt.Sprintf("%s (HTTP %d)", docURL, status))
			continue
		}
		return checkMetadata(issuer, docURL, ep)
	}
	return Endpoints{}, fmt.Errorf("no discovery document for issuer %q; tried %s; check the issuer URL or give the endpoints explicitly",
		issuer, strings.Join(tried, ", "))
}

func discoveryURLs(issuer string) []string {
	trimmed := strings.TrimSuffix(issuer, "/")
	urls := []string{trimmed + "/.well-known/openid-configuration"}
	u, _ := url.Parse(trimmed) // already validated
	path := u.EscapedPath()
	u.Path, u.RawPath = "", ""
	inserted := u.String() + "/.well-known/oauth-authorization-server" + path
	urls = append(urls, inserted)
	if appended := trimmed + "/.well-known/oauth-authorization-server"; appended != inserted {
		urls = append(urls, appended)
	}
	return urls
}

// fetchMetadata returns the decoded document on 200 and the status on any
// 4xx; a network failure, a 5xx or an unreadable 200 is an error.
func fetchMetadata(ctx context.Context, hc *http.Client, docURL string) (Endpoints, int, error) {
	op := "discovery at " + docURL
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return Endpoints{}, 0, wrapError(op, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Endpoints{}, 0, wrapError(op, err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body)
	if err != nil {
		return Endpoints{}, 0, wrapError(op, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return Endpoints{}, resp.StatusCode, nil
	default:
		return Endpoints{}, 0, &Error{Op: op, Status: resp.StatusCode}
	}
	var ep Endpoints
	if err := json.Unmarshal(body, &ep); err != nil {
		return Endpoints{}, 0, wrapError(op, fmt.Errorf("the document is not valid JSON: %w", err))
	}
	return ep, http.StatusOK, nil
}

func checkMetadata(issuer, docURL string, ep Endpoints) (Endpoints, error) {
	if ep.Issuer != issuer {
		if strings.TrimSuffix(ep.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
			return Endpoints{}, fmt.Errorf("discovery document %s names issuer %q, not %q; use exactly the issuer the provider publishes",
				docURL, ep.Issuer, issuer)
		}
		// Only the trailing slash differs: keep the provider's spelling,
		// because ID tokens carry that one.
	}
	if ep.TokenURL == "" {
		return Endpoints{}, fmt.Errorf("discovery document %s has no token_endpoint; give the endpoints explicitly", docURL)
	}
	for name, raw := range map[string]string{
		"authorization_endpoint":        ep.AuthURL,
		"token_endpoint":                ep.TokenURL,
		"device_authorization_endpoint": ep.DeviceAuthURL,
		"revocation_endpoint":           ep.RevocationURL,
		"jwks_uri":                      ep.JWKSURL,
	} {
		if raw == "" {
			continue
		}
		if err := ValidateEndpointURL(raw); err != nil {
			return Endpoints{}, fmt.Errorf("discovery document %s has an unusable %s: %w", docURL, name, err)
		}
	}
	return ep, nil
}

// readBounded reads a whole body of at most MaxResponseBytes.
func readBounded(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	return body, nil
}
