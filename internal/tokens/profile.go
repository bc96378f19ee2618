package tokens

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
)

// ErrInvalidName marks a malformed profile name (a usage error).
var ErrInvalidName = errors.New("invalid profile name")

// ValidateName checks a profile name: it becomes a file name (lock files)
// and part of sealed data's binding, so keep it simple.
func ValidateName(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// validName matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ without a regexp,
// so tok-full does not compile one at every start. (The front does not
// link this package, so this is not about the hot path.)
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// Profile is a named configuration as stored. Secrets in it are sealed.
// The fields both binaries read (name, type, env, remotes) are
// record.Profile's, and OAuthConfig holds record.OAuthSettings, so the
// read path decodes the same fields under the same names.
type Profile struct {
	record.Profile
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	// OAuth is set for OAuth and federated profiles.
	OAuth *OAuthConfig `json:"oauth,omitempty"`
	// Federation is set for federated profiles.
	Federation *FederationConfig `json:"federation,omitempty"`
	// Shared, when set, makes the members of a fleet share this
	// profile's tokens through a shared cache (see shared.go).
	Shared *SharedCacheConfig `json:"shared_cache,omitempty"`
}

// OAuthConfig is an OAuth profile's provider and client configuration.
type OAuthConfig struct {
	// OAuthSettings (flow, refresh margin, max age, k8s token) decide the
	// profile's Policy; the read path decodes them too.
	record.OAuthSettings
	Issuer string `json:"issuer,omitempty"`
	// Endpoints come from discovery (cached here so the hot path never
	// fetches it) or from explicit flags.
	Endpoints    oauth.Endpoints `json:"endpoints"`
	DiscoveredAt time.Time       `json:"discovered_at,omitempty"`
	// ExplicitEndpoints is true when the user gave the endpoints; they
	// are then never replaced by discovery.
	ExplicitEndpoints bool              `json:"explicit_endpoints,omitempty"`
	ClientID          string            `json:"client_id"`
	ClientSecret      []byte            `json:"client_secret,omitempty"` // sealed
	Scopes            []string          `json:"scopes,omitempty"`
	Audience          string            `json:"audience,omitempty"`
	Resources         []string          `json:"resources,omitempty"`
	AuthParams        map[string]string `json:"auth_params,omitempty"`
	RedirectPort      int               `json:"redirect_port,omitempty"`
	CAFile            string            `json:"ca_file,omitempty"`
	Username          string            `json:"username,omitempty"` // password flow only
	// ClientAuth is how the client authenticates (--client-auth basic,
	// post or none); empty means tok finds out.
	ClientAuth oauth.ClientAuth `json:"client_auth,omitempty"`
	// ClientAuthSeen is the method the provider last accepted from this
	// confidential client when ClientAuth is empty. tok tries it first, so
	// a renewal costs one request instead of a refused one first (some
	// providers count refused client authentications toward a lockout).
	// It is learned, not a setting: tok profile set starts afresh.
	ClientAuthSeen oauth.ClientAuth `json:"client_auth_seen,omitempty"`
	// Provider names the preset the profile was made from (--provider),
	// for tok profile show and set; its settings are in the fields above.
	Provider string `json:"provider,omitempty"`
}

// Policy is the part of the profile that decides its token status.
func (p *Profile) Policy() record.Policy { return record.PolicyOf(p.Type, p.OAuth.settings()) }

// TokenFor is the token opts ask for from this profile (record.TokenFor).
func (p *Profile) TokenFor(opts record.Options) record.K8sToken {
	return record.TokenFor(p.OAuth.settings(), opts)
}

// settings are c's record.OAuthSettings; nil when c is nil.
func (c *OAuthConfig) settings() *record.OAuthSettings {
	if c == nil {
		return nil
	}
	return &c.OAuthSettings
}

// IssuerHost is a short label for lists.
func (p *Profile) IssuerHost() string {
	if p.OAuth == nil {
		return ""
	}
	u := p.OAuth.Issuer
	if u == "" {
		u = p.OAuth.Endpoints.TokenURL
	}
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[:i]
	}
	return u
}
