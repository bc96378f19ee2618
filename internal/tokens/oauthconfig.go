package tokens

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
)

// oauthConfig builds the protocol configuration of an OAuth profile.
func (s *Service) oauthConfig(ctx context.Context, snap snapshot) (oauth.Config, error) {
	p := &snap.profile
	if p.Type != record.OAuth && p.Type != record.Federated || p.OAuth == nil {
		return oauth.Config{}, fmt.Errorf("profile %q is a %s profile, not oauth", p.Name, p.Type)
	}
	// Every request to the provider follows the record's endpoints: check
	// the record first, even for a public client with no secret to send.
	if len(snap.meta.KeyCheck) > 0 {
		if _, err := s.sealerFor(ctx, &snap); err != nil {
			return oauth.Config{}, err
		}
	}
	hc, err := s.httpClient(p)
	if err != nil {
		return oauth.Config{}, err
	}
	cfg := oauth.Config{
		Endpoints:    p.OAuth.Endpoints,
		ClientID:     p.OAuth.ClientID,
		Scopes:       p.OAuth.Scopes,
		Audience:     p.OAuth.Audience,
		Resources:    p.OAuth.Resources,
		AuthParams:   p.OAuth.AuthParams,
		RedirectPort: p.OAuth.RedirectPort,
		HTTPClient:   hc,
		ClientAuth:   p.OAuth.ClientAuth,
	}
	if cfg.ClientAuth == oauth.ClientAuthAuto {
		cfg.LastClientAuth = p.OAuth.ClientAuthSeen
	}
	cfg.AuthParams = withConsentForOffline(cfg.Scopes, cfg.AuthParams)
	if len(p.OAuth.ClientSecret) > 0 && cfg.ClientAuth != oauth.ClientAuthNone {
		sl, err := s.sealerFor(ctx, &snap)
		if err != nil {
			return oauth.Config{}, err
		}
		secret, err := sl.Open(p.OAuth.ClientSecret, seal.AD(p.Name, "client_secret"))
		if err != nil {
			return oauth.Config{}, fmt.Errorf("could not unseal the client secret of profile %q: %w", p.Name, err)
		}
		cfg.ClientSecret = string(secret)
	}
	return cfg, nil
}

// httpClient is the HTTP client for p's provider: its CA file, if any,
// and the Service's timeout.
func (s *Service) httpClient(p *Profile) (*http.Client, error) {
	timeout := s.HTTPTimeout
	if timeout <= 0 {
		timeout = oauth.DefaultTimeout
	}
	return oauth.NewHTTPClient(p.OAuth.CAFile, timeout)
}

// withConsentForOffline adds prompt=consent when offline_access is asked
// for and the profile sets no prompt: OpenID Connect Core §11 requires it,
// and providers such as node oidc-provider silently drop offline_access
// (so issue no refresh token) without it.
func withConsentForOffline(scopes []string, params map[string]string) map[string]string {
	if _, ok := params["prompt"]; ok || !slices.Contains(scopes, "offline_access") {
		return params
	}
	out := make(map[string]string, len(params)+1)
	maps.Copy(out, params)
	out["prompt"] = "consent"
	return out
}
