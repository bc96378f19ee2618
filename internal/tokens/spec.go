package tokens

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
)

// ProfileSpec is a profile as a person describes it: the flags of tok
// profile add and set, the TOK_* variables of an ephemeral profile, or an
// entry of a profile file. Each of them fills a ProfileSpec, and
// BuildProfile alone decides what it means: the checks, the provider
// preset, discovery and the defaults. CheckProfileSpec applies the checks
// without the network (a profile file is checked as it is read).
//
// A zero field is "not given": the default applies. Secrets are not part
// of a spec; the caller passes a client secret to the Service apart.
type ProfileSpec struct {
	Name string
	// Type "" is inferred: federated with Federation, oauth with any of
	// Issuer, TokenURL, AuthURL, ClientID or Provider, else static.
	Type        record.Type
	Description string
	Env         []string

	// Provider names a preset of internal/providers that fills the
	// settings left unset; Tenant is its directory (entra).
	Provider string
	Tenant   string

	Issuer string
	// Explicit endpoints, instead of discovery from Issuer.
	AuthURL       string
	TokenURL      string
	DeviceAuthURL string
	RevocationURL string
	ClientID      string
	// ClientAuth is basic, post or none; "" (or auto) lets tok find out.
	ClientAuth oauth.ClientAuth
	// Scopes nil asks for the default (openid and, where the provider
	// allows it, offline_access, with an issuer); empty asks for none.
	Scopes     []string
	Audience   string
	Resources  []string
	Flow       record.Flow // "" means auto
	AuthParams map[string]string
	// RedirectPort 0 takes a free port at each login.
	RedirectPort  int
	RefreshMargin time.Duration // 0: record.DefaultRefreshMargin
	MaxAge        time.Duration // 0: record.DefaultMaxAge
	CAFile        string
	// K8sToken "" is id-token when the openid scope is requested, else
	// access-token (always access-token for a federated profile).
	K8sToken record.K8sToken
	Username string
	// NoDiscovery leaves discovery of the issuer's endpoints to the
	// first login.
	NoDiscovery bool

	Federation *FederationConfig
	Shared     *SharedCacheConfig
	Remotes    *record.Remotes
}

// SpecOf is the spec a stored profile was built from, as far as it is
// settings: discovered endpoints and learned values are left out, and
// Scopes is never nil (a stored profile's scopes are what it asks for).
// tok profile set applies the changed flags to it and builds it again.
func SpecOf(p Profile) ProfileSpec {
	s := ProfileSpec{Name: p.Name, Type: p.Type, Description: p.Description, Env: slices.Clone(p.Env)}
	if c := p.OAuth; c != nil {
		s.Provider = c.Provider
		s.Issuer = c.Issuer
		if c.ExplicitEndpoints {
			e := c.Endpoints
			s.AuthURL, s.TokenURL, s.DeviceAuthURL, s.RevocationURL = e.AuthURL, e.TokenURL, e.DeviceAuthURL, e.RevocationURL
		}
		s.ClientID = c.ClientID
		s.ClientAuth = c.ClientAuth
		s.Scopes = append([]string{}, c.Scopes...)
		s.Audience = c.Audience
		s.Resources = slices.Clone(c.Resources)
		s.Flow = c.Flow
		s.AuthParams = maps.Clone(c.AuthParams)
		s.RedirectPort = c.RedirectPort
		s.RefreshMargin = time.Duration(c.RefreshMargin)
		s.MaxAge = time.Duration(c.MaxAge)
		s.CAFile = c.CAFile
		s.K8sToken = c.K8sToken
		s.Username = c.Username
	}
	if f := p.Federation; f != nil {
		c := *f
		s.Federation = &c
	}
	if sc := p.Shared; sc != nil {
		c := *sc
		s.Shared = &c
	}
	if r := p.Remotes; r != nil {
		c := *r
		c.Git, c.Registries = slices.Clone(r.Git), slices.Clone(r.Registries)
		s.Remotes = &c
	}
	return s
}

// A SpecError is a problem with one setting of a ProfileSpec, a usage
// error. Its text names settings by their profile-file keys (client_id);
// Text names them as the source of the spec calls them (--client-id).
type SpecError struct {
	// Field is the setting at fault by its profile-file key, a nested
	// one as parent.key (shared_cache.namespace); "" for none.
	Field string
	// format is the message; {key} marks where a setting is named.
	format string
	args   []any
	err    error
}

func specErrorf(field string, cause error, format string, args ...any) *SpecError {
	return &SpecError{Field: field, format: format, args: args, err: cause}
}

// Error is the message with the profile-file names of the settings, a
// nested one by its key in its mapping (subject_token_file).
func (e *SpecError) Error() string { return e.Text(nil) }

// Unwrap is the cause, such as ErrInvalidName.
func (e *SpecError) Unwrap() error { return e.err }

// Text is the message with every setting it names written as name(key)
// does; nil writes the profile-file key as Error does.
func (e *SpecError) Text(name func(key string) string) string {
	if name == nil {
		name = func(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }
	}
	var b strings.Builder
	f := e.format
	for {
		i := strings.IndexByte(f, '{')
		j := strings.IndexByte(f[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(f)
			break
		}
		b.WriteString(f[:i])
		b.WriteString(strings.ReplaceAll(name(f[i+1:i+1+j]), "%", "%%"))
		f = f[i+2+j:]
	}
	if len(e.args) == 0 {
		return strings.ReplaceAll(b.String(), "%%", "%")
	}
	return fmt.Sprintf(b.String(), e.args...)
}

// CheckProfileSpec checks s without the network and returns every
// problem found, in the order BuildProfile would meet them. A provider
// preset is applied before the checks, as BuildProfile does.
func CheckProfileSpec(s ProfileSpec) []*SpecError {
	_, problems := resolve(s)
	return problems
}

// Discover finds an issuer's endpoints, trusting caFile's CAs besides
// the system's. HTTPDiscovery is the real one; tests pass their own.
type Discover func(ctx context.Context, issuer, caFile string) (oauth.Endpoints, error)

// HTTPDiscovery discovers endpoints over HTTP (OpenID Connect discovery,
// then RFC 8414) with the given timeout per request.
func HTTPDiscovery(timeout time.Duration) Discover {
	return func(ctx context.Context, issuer, caFile string) (oauth.Endpoints, error) {
		hc, err := oauth.NewHTTPClient(caFile, timeout)
		if err != nil {
			return oauth.Endpoints{}, err
		}
		return oauth.Discover(ctx, hc, issuer)
	}
}

// BuildProfile checks s and makes the profile it describes: the provider
// preset fills what s leaves unset, the issuer's endpoints are discovered
// with discover (unless s.NoDiscovery or explicit endpoints), the login
// flow is checked against them, and the default scopes and Kubernetes
// token are chosen. warnings are for the person (a flow the discovery
// document does not list). A *SpecError is a usage error; a failed
// discovery is not. Created is left for the Service to set.
func BuildProfile(ctx context.Context, s ProfileSpec, discover Discover, now time.Time) (p Profile, warnings []string, err error) {
	s, problems := resolve(s)
	if len(problems) > 0 {
		return Profile{}, nil, problems[0]
	}
	p = Profile{Profile: record.Profile{Name: s.Name, Type: s.Type, Env: slices.Clone(s.Env), Remotes: s.Remotes}, Description: s.Description, Shared: s.Shared}
	if s.Type == record.Static {
		return p, nil, nil
	}
	federated := s.Type == record.Federated
	c := &OAuthConfig{
		OAuthSettings: record.OAuthSettings{Flow: s.Flow, RefreshMargin: record.Duration(s.RefreshMargin), MaxAge: record.Duration(s.MaxAge), K8sToken: s.K8sToken},
		Issuer:        s.Issuer,
		ClientID:      s.ClientID,
		Scopes:        s.Scopes,
		Audience:      s.Audience,
		Resources:     s.Resources,
		RedirectPort:  s.RedirectPort,
		CAFile:        s.CAFile,
		Username:      s.Username,
		ClientAuth:    s.ClientAuth,
		Provider:      s.Provider}
	if len(s.AuthParams) > 0 {
		c.AuthParams = maps.Clone(s.AuthParams)
	}
	explicit := s.explicitEndpoints()
	switch {
	case explicit:
		c.ExplicitEndpoints = true
		c.Endpoints = oauth.Endpoints{Issuer: c.Issuer, AuthURL: s.AuthURL, TokenURL: s.TokenURL, DeviceAuthURL: s.DeviceAuthURL, RevocationURL: s.RevocationURL}
	case !s.NoDiscovery:
		eps, err := discover(ctx, c.Issuer, c.CAFile)
		if err != nil {
			var unknownCA x509.UnknownAuthorityError
			if errors.As(err, &unknownCA) {
				return Profile{}, nil, fmt.Errorf("could not discover the endpoints of %s: its TLS certificate is signed by an unknown authority; if it uses a private CA, add --ca-file CA.pem: %w", c.Issuer, err)
			}
			return Profile{}, nil, fmt.Errorf("could not discover the endpoints of %s (check the URL, or add --no-discovery to try again at login): %w", c.Issuer, err)
		}
		c.Endpoints = eps
		c.DiscoveredAt = now.UTC()
	}
	if !federated && (explicit || !s.NoDiscovery) {
		warning, err := CheckFlow(c.Endpoints, c.Flow)
		if err != nil {
			return Profile{}, nil, specErrorf("flow", err, "%s", err.Error())
		}
		if warning != "" {
			warnings = append(warnings, warning)
		}
	}
	if c.Scopes == nil && c.Issuer != "" && c.Flow != record.FlowClientCredentials && !federated {
		c.Scopes = DefaultScopes(c.Endpoints.ScopesSupported)
	}
	if c.K8sToken == "" {
		c.K8sToken = record.K8sAccessToken
		if !federated && slices.Contains(c.Scopes, "openid") {
			c.K8sToken = record.K8sIDToken
		}
	}
	p.OAuth = c
	if federated {
		f := *s.Federation
		p.Federation = &f
	}
	return p, warnings, nil
}

// DefaultScopes are the scopes an OpenID Connect profile asks for when
// the person names none: openid, and offline_access for a refresh token.
// A provider whose discovery document lists its scopes without
// offline_access (Google, which uses access_type=offline instead) would
// refuse the request, so it is left out there.
func DefaultScopes(supported []string) []string {
	scopes := []string{"openid"}
	if len(supported) == 0 || slices.Contains(supported, "offline_access") {
		scopes = append(scopes, "offline_access")
	}
	return scopes
}

func (s *ProfileSpec) explicitEndpoints() bool {
	return s.AuthURL != "" || s.TokenURL != "" || s.DeviceAuthURL != "" || s.RevocationURL != ""
}

// oauthOnly names the settings of s that only an oauth or federated
// profile takes and that s gives, in profile-file order. A refresh
// margin, maximum age or flow equal to its default counts as not given:
// tok profile add's flags always carry their defaults.
func (s *ProfileSpec) oauthOnly() []string {
	var out []string
	for _, f := range []struct {
		key   string
		given bool
	}{
		{"provider", s.Provider != ""},
		{"tenant", s.Tenant != ""},
		{"issuer", s.Issuer != ""},
		{"auth_url", s.AuthURL != ""},
		{"token_url", s.TokenURL != ""},
		{"device_auth_url", s.DeviceAuthURL != ""},
		{"revocation_url", s.RevocationURL != ""},
		{"client_id", s.ClientID != ""},
		{"scopes", s.Scopes != nil},
		{"audience", s.Audience != ""},
		{"resources", len(s.Resources) > 0},
		{"flow", s.Flow != "" && s.Flow != record.FlowAuto},
		{"auth_params", len(s.AuthParams) > 0},
		{"redirect_port", s.RedirectPort != 0},
		{"refresh_margin", s.RefreshMargin != 0 && s.RefreshMargin != record.DefaultRefreshMargin},
		{"max_age", s.MaxAge != 0 && s.MaxAge != record.DefaultMaxAge},
		{"ca_file", s.CAFile != ""},
		{"k8s_token", s.K8sToken != ""},
		{"username", s.Username != ""},
		{"client_auth", s.ClientAuth != ""},
		{"federation", s.Federation != nil},
	} {
		if f.given {
			out = append(out, f.key)
		}
	}
	return out
}

// resolve infers the type, applies the provider preset and checks s. It
// returns s as BuildProfile builds it and every problem found.
func resolve(s ProfileSpec) (ProfileSpec, []*SpecError) {
	var problems []*SpecError
	fail := func(field string, cause error, format string, args ...any) {
		problems = append(problems, specErrorf(field, cause, format, args...))
	}
	if err := ValidateName(s.Name); err != nil {
		fail("name", err, "%s", err.Error())
	}
	for _, e := range s.Env {
		if err := record.ValidateEnvName(e); err != nil {
			fail("env", err, "%s", err.Error())
		}
	}
	if s.Type == "" {
		s.Type = record.Static
		if s.Issuer != "" || s.TokenURL != "" || s.AuthURL != "" || s.ClientID != "" || s.Provider != "" {
			s.Type = record.OAuth
		}
		if s.Federation != nil {
			s.Type = record.Federated
		}
	}
	if _, err := record.ParseType(string(s.Type)); err != nil {
		fail("type", err, "%s", err.Error())
		return s, problems
	}
	if s.Type == record.Static {
		for _, key := range s.oauthOnly() {
			fail(key, nil, "{"+key+"} applies to oauth and federated profiles only, and this one is static")
		}
		if s.Shared != nil {
			fail("shared_cache", nil, "{shared_cache} needs an oauth or federated profile; a static token has nothing to share")
		}
		return s, problems
	}
	if problem := applyPreset(&s); problem != nil {
		return s, append(problems, problem)
	}
	federated := s.Type == record.Federated
	if s.ClientID == "" && !federated {
		fail("client_id", nil, "an oauth profile needs {client_id}")
	}
	flow, err := record.ParseFlow(string(s.Flow))
	if err != nil {
		fail("flow", err, "%s", err.Error())
	}
	s.Flow = flow
	if s.ClientAuth, err = oauth.ParseClientAuth(string(s.ClientAuth)); err != nil {
		fail("client_auth", err, "{client_auth}: %v", err)
	}
	if s.RedirectPort < 0 || s.RedirectPort > 65535 {
		fail("redirect_port", nil, "{redirect_port} %d is not a port (0-65535)", s.RedirectPort)
	}
	if s.MaxAge < 0 {
		fail("max_age", nil, "{max_age} must not be negative")
	}
	if s.RefreshMargin < 0 {
		fail("refresh_margin", nil, "{refresh_margin} must not be negative")
	}
	switch s.K8sToken {
	case "", record.K8sAccessToken, record.K8sIDToken:
	default:
		fail("k8s_token", nil, "{k8s_token} must be access-token or id-token")
	}
	for _, k := range slices.Sorted(maps.Keys(s.AuthParams)) {
		if strings.TrimSpace(k) == "" {
			fail("auth_params", nil, "{auth_params} has an empty parameter name")
		}
	}
	for _, e := range []struct{ key, url string }{
		{"auth_url", s.AuthURL}, {"token_url", s.TokenURL}, {"device_auth_url", s.DeviceAuthURL}, {"revocation_url", s.RevocationURL},
	} {
		if e.url == "" {
			continue
		}
		if err := oauth.ValidateEndpointURL(e.url); err != nil {
			fail(e.key, err, "{"+e.key+"}: %v", err)
		}
	}
	if s.Issuer != "" {
		if err := oauth.ValidateIssuerURL(s.Issuer); err != nil {
			fail("issuer", err, "{issuer}: %v", err)
		}
	}
	switch {
	case s.explicitEndpoints() && s.TokenURL == "":
		fail("token_url", nil, "explicit endpoints need at least {token_url}")
	case s.Issuer == "" && s.TokenURL == "":
		fail("issuer", nil, "an oauth profile needs {issuer}, or explicit endpoints ({token_url} and friends)")
	}
	switch {
	case federated && s.Federation == nil:
		fail("federation", nil, "a federated profile needs a subject token source: {federation.subject_token_file}, {federation.subject_token_command}, {federation.subject_token_env} or {federation.github_actions_audience}")
	case federated:
		if err := s.Federation.Validate(); err != nil {
			fail("federation", err, "%s", err.Error())
		}
	case s.Federation != nil:
		fail("federation", nil, "{federation}: only a federated profile takes these settings; use {type} federated")
	}
	if s.Shared != nil && s.Shared.Namespace != "" {
		if err := ValidateNamespace(s.Shared.Namespace); err != nil {
			fail("shared_cache.namespace", err, "%s", err.Error())
		}
	}
	return s, problems
}

// applyPreset fills the settings s leaves unset from the provider preset
// s names; what the person gave always wins.
func applyPreset(s *ProfileSpec) *SpecError {
	if s.Provider == "" {
		if s.Tenant != "" {
			return specErrorf("tenant", nil, "{tenant} needs {provider} entra")
		}
		return nil
	}
	pr, err := providers.Lookup(s.Provider)
	if err != nil {
		return specErrorf("provider", err, "{provider}: %v", err)
	}
	s.Provider = pr.Name
	explicit := s.explicitEndpoints()
	switch {
	case pr.Endpoints != nil && s.Issuer == "":
		if e := pr.Endpoints; !explicit {
			s.AuthURL, s.TokenURL, s.DeviceAuthURL, s.RevocationURL = e.AuthURL, e.TokenURL, e.DeviceAuthURL, e.RevocationURL
		}
	case s.Issuer == "" && !explicit:
		if s.Issuer, err = pr.IssuerFor(s.Tenant); err != nil {
			return specErrorf("tenant", err, "%s", err.Error())
		}
	case s.Tenant != "":
		return specErrorf("tenant", nil, "{tenant} fills the issuer of {provider} %s; give either {tenant} or {issuer}", pr.Name)
	}
	if s.Scopes == nil {
		s.Scopes = append([]string{}, pr.Scopes...) // non-nil: no default scopes on top
	}
	if s.Flow == "" || s.Flow == record.FlowAuto {
		s.Flow = record.Flow(pr.Flow)
	}
	if len(pr.AuthParams) > 0 {
		params := maps.Clone(s.AuthParams) // the caller's map stays as it is
		if params == nil {
			params = map[string]string{}
		}
		for k, v := range pr.AuthParams {
			if _, given := params[k]; !given {
				params[k] = v
			}
		}
		s.AuthParams = params
	}
	return nil
}
