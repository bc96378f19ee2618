package profilefile

import (
	"strings"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// oauthOnlyKeys are the keys that make no sense for a static profile, as
// tok profile add refuses their flags without --type oauth.
var oauthOnlyKeys = []string{"issuer", "auth_url", "token_url", "device_auth_url", "revocation_url", "client_id",
	"client_secret_required", "scopes", "audience", "resources", "flow", "auth_params", "redirect_port",
	"refresh_margin", "max_age", "ca_file", "k8s_token", "username", "client_auth", "federation", "shared_cache"}

// validate applies tok profile add's rules across the keys of one profile.
// Single values (type, flow, env names, federation) were checked while
// decoding; lines maps each key given to its line.
func (d *decoder) validate(p *Profile, where string, line int, lines map[string]int) {
	at := func(key string) int {
		if l, ok := lines[key]; ok {
			return l
		}
		return line
	}
	if _, ok := lines["name"]; !ok {
		d.failf(line, "%shas no name; add name: followed by 1-64 letters, digits, '.', '_' or '-'", where)
	} else if err := tokens.ValidateName(p.Name); err != nil && p.Name != "" {
		d.failf(at("name"), "%s%v", where, err)
	}
	if _, ok := lines["type"]; !ok {
		d.failf(line, "%shas no type; add type: static, oauth or federated", where)
		return
	}
	switch p.Type {
	case "":
		return // its problem is recorded
	case record.Static:
		for _, k := range oauthOnlyKeys {
			if _, ok := lines[k]; ok {
				d.failf(at(k), "%s%s applies to oauth and federated profiles only, and this one is static", where, k)
			}
		}
		return
	case record.OAuth:
		if p.ClientID == "" {
			d.failf(line, "%san oauth profile needs client_id", where)
		}
		if _, ok := lines["federation"]; ok {
			d.failf(at("federation"), "%sfederation applies to federated profiles only; use type: federated", where)
		}
	case record.Federated:
		if _, ok := lines["federation"]; !ok {
			d.failf(line, "%sa federated profile needs federation: with a subject token source (subject_token_file, subject_token_command, subject_token_env or github_actions_audience)", where)
		}
	}
	if p.Issuer != "" {
		if err := oauth.ValidateIssuerURL(p.Issuer); err != nil {
			d.failf(at("issuer"), "%sissuer: %v", where, err)
		}
	}
	for _, e := range []struct{ key, url string }{
		{"auth_url", p.AuthURL}, {"token_url", p.TokenURL}, {"device_auth_url", p.DeviceAuthURL}, {"revocation_url", p.RevocationURL},
	} {
		if e.url == "" {
			continue
		}
		if err := oauth.ValidateEndpointURL(e.url); err != nil {
			d.failf(at(e.key), "%s%s: %v", where, e.key, err)
		}
	}
	switch {
	case p.ExplicitEndpoints() && p.TokenURL == "":
		d.failf(line, "%sexplicit endpoints need at least token_url", where)
	case p.Issuer == "" && p.TokenURL == "":
		d.failf(line, "%sneeds issuer, or explicit endpoints (token_url and friends)", where)
	}
	if p.RedirectPort < 0 || p.RedirectPort > 65535 {
		d.failf(at("redirect_port"), "%sredirect_port %d is not a port (0-65535)", where, p.RedirectPort)
	}
	switch p.K8sToken {
	case "", record.K8sAccessToken, record.K8sIDToken:
	default:
		d.failf(at("k8s_token"), "%sk8s_token must be access-token or id-token", where)
	}
	if _, err := oauth.ParseClientAuth(string(p.ClientAuth)); err != nil || p.ClientAuth == "auto" {
		d.failf(at("client_auth"), "%sclient_auth must be basic, post or none", where)
	}
	for k := range p.AuthParams {
		if strings.TrimSpace(k) == "" {
			d.failf(at("auth_params"), "%sauth_params has an empty parameter name", where)
		}
	}
}
