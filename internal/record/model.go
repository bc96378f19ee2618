// Package record is tok's domain core: what a profile's stored record
// and token state are (Type, Policy, State), the one rule that says
// whether a token can be handed out as it is (Evaluate, Status), the
// Credential handed out, and the read path, a Reader that serves it
// without network, locks or heavy dependencies.
//
// Both binaries build on it. The small `tok` links it to answer
// `tok token`, `tok kube` and `tok exec` from the store on every kubectl
// call, so it must stay free of HTTP, TUI and YAML packages: their
// initialisation alone would cost the hot path more than its whole budget.
// internal/tokens builds refresh, login and revocation on top of the types
// here and uses them under these names; it re-exports none of them.
package record

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Type is what kind of credential a profile holds.
type Type string

// Profile types.
const (
	// Static profiles hold a token the user pasted: an API key, a personal
	// access token, a service-account token. tok never refreshes them.
	Static Type = "static"
	// OAuth profiles sign in at an OAuth 2.0 / OpenID Connect provider and
	// refresh their access token before it expires.
	OAuth Type = "oauth"
	// Federated profiles trade a workload's own OIDC token (from a CI
	// platform) for an access token, and trade it again before expiry.
	Federated Type = "federated"
)

// K8sToken chooses which token an exec credential carries.
type K8sToken string

// Kubernetes credential choices.
const (
	K8sAccessToken K8sToken = "access-token"
	K8sIDToken     K8sToken = "id-token"
)

// DefaultRefreshMargin is how long before expiry a token counts as stale.
// One minute covers clock skew between this host and the servers that check
// the token plus the latency of a request that starts just before expiry,
// yet stays small next to common lifetimes (5 min to 1 h), so refreshes do
// not pile up.
const DefaultRefreshMargin = time.Minute

// MarginShare caps the refresh margin at this share of a token's lifetime
// (1/MarginShare): a token that lives no longer than the margin would
// otherwise be stale from the moment it is obtained, and every call would
// refresh it. Half keeps at least half of every lifetime as headroom for
// clock skew and requests in flight (the margin's purpose) and honours any
// explicit margin up to half the lifetime, while each token is renewed once:
// a 20-second token with the default margin is renewed every 10 s, and
// lifetimes of two minutes and more keep the full default margin. See
// docs/refresh.md.
const MarginShare = 2

// CapMargin is the effective refresh margin of a token that lives lifetime:
// margin, but at most lifetime/MarginShare. A lifetime of zero or less is
// unknown and leaves margin as it is.
func CapMargin(margin, lifetime time.Duration) time.Duration {
	if limit := lifetime / MarginShare; lifetime > 0 && margin > limit {
		return limit
	}
	return margin
}

// DefaultMaxAge is how long a renewable token without an expiry is used
// before tok renews it anyway: an hour, the most common access-token
// lifetime, so a token whose server forgot expires_in behaves like most.
const DefaultMaxAge = time.Hour

// Duration is a time.Duration stored as text ("1m30s").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Policy is the part of a profile that decides whether its token can be
// handed out: its type and its timing settings.
type Policy struct {
	Type Type
	// ClientCredentials is set for OAuth profiles using the client
	// credentials grant, which renew without a refresh token.
	ClientCredentials bool
	// RefreshMargin and MaxAgeSetting are the profile's settings; zero
	// means the default.
	RefreshMargin Duration
	MaxAgeSetting Duration
}

// Renewable reports whether profiles of this policy are ever renewed.
func (p Policy) Renewable() bool { return p.Type == OAuth || p.Type == Federated }

// Margin is how long before expiry a token counts as stale.
func (p Policy) Margin() time.Duration {
	if p.RefreshMargin > 0 {
		return time.Duration(p.RefreshMargin)
	}
	if p.Renewable() {
		return DefaultRefreshMargin
	}
	return 0
}

// MarginFor is the effective refresh margin of the chosen token of s: the
// profile's margin capped by the token's lifetime (CapMargin). The
// staleness test, the refresher of tok exec and the expiry of an
// ExecCredential all use it, so they agree on when a token is due.
func (p Policy) MarginFor(s *State, use K8sToken) time.Duration {
	return CapMargin(p.Margin(), s.LifetimeFor(use))
}

// MaxAge is how long a renewable token without an expiry is trusted.
func (p Policy) MaxAge() time.Duration {
	if !p.Renewable() {
		return 0
	}
	if p.MaxAgeSetting > 0 {
		return time.Duration(p.MaxAgeSetting)
	}
	return DefaultMaxAge
}

// State is a profile's token state as stored: the secrets are sealed. One
// State is written in one transaction, so an access token, its refresh
// token and their expiry can never be out of step.
type State struct {
	// Gen increases with every write. A writer that read Gen n only
	// commits if the stored Gen is still n, so older state never
	// overwrites newer (see tokens.Service).
	Gen       uint64    `json:"gen"`
	TokenType string    `json:"token_type,omitempty"`
	Access    []byte    `json:"access,omitempty"`  // sealed
	Refresh   []byte    `json:"refresh,omitempty"` // sealed
	ID        []byte    `json:"id,omitempty"`      // sealed
	Expiry    time.Time `json:"expiry,omitzero"`
	IDExpiry  time.Time `json:"id_expiry,omitzero"`
	Obtained  time.Time `json:"obtained,omitzero"`
	Scope     string    `json:"scope,omitempty"`
	// RefreshRefused is when the provider refused the refresh token for
	// good (invalid_grant): the grant is dead. The refresh token is dropped
	// then, so it is never sent again, and the profile needs a login, which
	// writes a new State without it. Zero while the grant is alive.
	RefreshRefused time.Time `json:"refresh_refused,omitzero"`
	// RefusalReason is the provider's answer to that refresh, as tok
	// reported it (no secrets), for the message that asks for a login.
	RefusalReason string `json:"refusal_reason,omitempty"`
	// Identity is who signed in at the last login (oauth.Identity as
	// JSON), kept to notice a login that brings back another account. It
	// is not a secret; the read path never looks at it.
	Identity json.RawMessage `json:"identity,omitempty"`
}

// GrantDead reports whether the provider refused the refresh token and
// nothing else can renew the token without a person.
func GrantDead(p Policy, s *State) bool {
	return !s.RefreshRefused.IsZero() && !CanRenew(p, s)
}

// HasToken reports whether any access token is stored.
func (s *State) HasToken() bool { return s != nil && len(s.Access) > 0 }

// ExpiryFor is the expiry that matters for the chosen credential.
func (s *State) ExpiryFor(use K8sToken) time.Time {
	if use == K8sIDToken {
		return s.IDExpiry
	}
	return s.Expiry
}

// LifetimeFor is how long the chosen token was meant to live when tok got
// it: its expiry minus the time it was obtained (the server's expires_in).
// Zero when either is unknown.
func (s *State) LifetimeFor(use K8sToken) time.Duration {
	exp := s.ExpiryFor(use)
	if exp.IsZero() || s.Obtained.IsZero() || !exp.After(s.Obtained) {
		return 0
	}
	return exp.Sub(s.Obtained)
}

// Status summarises whether a profile can hand out a token now.
type Status string

// Token states, from best to worst.
const (
	StatusValid         Status = "valid"
	StatusStale         Status = "stale"   // inside the refresh margin: the next call refreshes
	StatusExpired       Status = "expired" // past expiry but refreshable
	StatusLoginRequired Status = "login required"
	StatusNoToken       Status = "no token"
)

// CanRenew reports whether tok can get a new token without a person.
func CanRenew(p Policy, s *State) bool {
	switch {
	case p.Type == Federated:
		return true // a fresh subject token is exchanged again
	case p.Type != OAuth:
		return false
	case len(s.Refresh) > 0:
		return true
	}
	return p.ClientCredentials
}

// Evaluate tells the status of s for a profile of policy p at now, for the
// credential use.
func Evaluate(p Policy, s *State, use K8sToken, now time.Time) Status {
	if !s.HasToken() {
		if p.Renewable() {
			return StatusLoginRequired
		}
		return StatusNoToken
	}
	if GrantDead(p, s) {
		// Even a token still valid is not handed out: the person learns
		// about the dead grant now, not when the token runs out.
		return StatusLoginRequired
	}
	if use == K8sIDToken && len(s.ID) == 0 {
		if CanRenew(p, s) {
			return StatusExpired
		}
		return StatusLoginRequired
	}
	exp := s.ExpiryFor(use)
	switch {
	case exp.IsZero():
		// No expiry from the server: treat a renewable token as stale once
		// it is older than the profile's max age, so it cannot live forever.
		if age := p.MaxAge(); age > 0 && CanRenew(p, s) && !s.Obtained.IsZero() && !now.Before(s.Obtained.Add(age)) {
			return StatusStale
		}
		return StatusValid
	case !now.Before(exp):
		if CanRenew(p, s) {
			return StatusExpired
		}
		if p.Type == OAuth {
			return StatusLoginRequired
		}
		return StatusExpired
	case !now.Before(exp.Add(-p.MarginFor(s, use))):
		if CanRenew(p, s) {
			return StatusStale
		}
		// Nothing to refresh with: the token stays usable until it expires.
		return StatusValid
	}
	return StatusValid
}

// Credential is a token ready to hand out.
type Credential struct {
	Profile   string
	Token     string
	TokenType string
	Expiry    time.Time // zero when unknown / never
	Env       []string  // extra variable names the profile asks for
	// Margin is how long before Expiry this token is due for renewal: the
	// profile's refresh margin capped by the token's lifetime
	// (Policy.MarginFor). Zero for profiles that never renew.
	Margin time.Duration
}

// ValidateEnvName checks the name of an environment variable meant to hold
// a token (a profile's --env, tok exec --env, an imported profile's env).
// Besides malformed names it refuses the names in RefusedEnv: a profile
// file from someone else must not be able to make tok exec set PATH,
// LD_PRELOAD or BASH_ENV to a string an identity provider chose.
func ValidateEnvName(name string) error {
	if name == "" || strings.ContainsAny(name, "= \t\n\x00") || (name[0] >= '0' && name[0] <= '9') {
		return fmt.Errorf("invalid environment variable name %q", name)
	}
	if refusedEnv(name) {
		return fmt.Errorf("environment variable %q is refused: programs read it to decide what to run or trust, so it must not hold a token (see: tok help environment)", name)
	}
	return nil
}

// RefusedEnv returns the rule ValidateEnvName applies, for the
// documentation: names (in any case) that are exactly one of exact, start
// with one of prefixes or end with one of suffixes.
func RefusedEnv() (exact, prefixes, suffixes []string) {
	return slices.Clone(refusedExact), slices.Clone(refusedPrefixes), slices.Clone(refusedSuffixes)
}

// The refused names: shell start-up and parsing, the dynamic loader,
// language runtimes' option and library variables, programs tools start
// (editors, pagers, askpass, *_COMMAND), where trust comes from (CA
// bundles, proxies, kubeconfig, D-Bus), and tok's own variables.
var (
	refusedExact = []string{
		"ENV", "BASH_ENV", "IFS", "PS1", "PS2", "PS4", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE",
		"HOME", "SHELL", "USER", "LOGNAME", "TMPDIR", "ZDOTDIR", "TERMINFO",
		"EDITOR", "VISUAL", "PAGER", "BROWSER", "LESSOPEN", "LESSCLOSE",
		"RUBYOPT", "RUBYLIB", "PERLLIB", "NODE_EXTRA_CA_CERTS", "DOTNET_STARTUP_HOOKS",
		"GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "TZDIR",
		"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
		"KUBECONFIG", "KUBERNETES_EXEC_INFO", "DBUS_SESSION_BUS_ADDRESS",
		"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR",
	}
	refusedPrefixes = []string{"LD_", "DYLD_", "PYTHON", "PERL5", "GIT_", "SSH_", "MALLOC_", "BASH_FUNC_", "TOK_"}
	refusedSuffixes = []string{"PATH", "_COMMAND", "_OPTIONS", "_OPTS", "_PROXY", "_ASKPASS", "_EDITOR", "_PAGER"}
)

func refusedEnv(name string) bool {
	up := strings.ToUpper(name)
	for _, n := range refusedExact {
		if up == n {
			return true
		}
	}
	for _, p := range refusedPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	for _, s := range refusedSuffixes {
		if strings.HasSuffix(up, s) {
			return true
		}
	}
	return false
}

// Remotes says which git remotes and container registries a profile
// answers as a credential helper (git-credential-tok,
// docker-credential-tok), and with which username.
type Remotes struct {
	// Git holds URL patterns (credmatch.ParseGitURL); the most specific
	// match among all profiles wins.
	Git []string `json:"git,omitempty"`
	// GitUsername is the username sent to git with the token
	// (DefaultGitUsername when empty).
	GitUsername string `json:"git_username,omitempty"`
	// Registries are HOST[:PORT] of container registries.
	Registries []string `json:"registries,omitempty"`
	// RegistryUsername is the username sent to docker with the token
	// (DefaultRegistryUsername when empty).
	RegistryUsername string `json:"registry_username,omitempty"`
	// StoredBy is "git" or "docker" when that helper's `store` created
	// the profile; the same helper's `erase` removes it again.
	StoredBy string `json:"stored_by,omitempty"`
}

// Who created a profile through a credential helper's store.
const (
	StoredByGit    = "git"
	StoredByDocker = "docker"
)

// DefaultGitUsername is the username git gets with an OAuth token when the
// profile sets none: GitLab, Gitea and Forgejo want "oauth2"; GitHub and
// most others accept any username with a token.
const DefaultGitUsername = "oauth2"

// DefaultRegistryUsername is the username a registry gets with a token
// when the profile sets none.
const DefaultRegistryUsername = "oauth2"

// GitUser is the username git gets for profile remotes r: the profile's
// setting, else the one in the remote URL (git sends it), else
// DefaultGitUsername.
func (r *Remotes) GitUser(requested string) string {
	switch {
	case r != nil && r.GitUsername != "":
		return r.GitUsername
	case requested != "":
		return requested
	}
	return DefaultGitUsername
}

// RegistryUser is the username a registry gets for profile remotes r.
func (r *Remotes) RegistryUser() string {
	if r != nil && r.RegistryUsername != "" {
		return r.RegistryUsername
	}
	return DefaultRegistryUsername
}
