// Package providers holds tok's presets for well-known OAuth providers:
// the issuer (or, for providers without discovery, the endpoints), the
// scopes, the login flow and the authorization parameters each needs, and
// the quirks tok must know about. It is pure data plus a few pure
// functions: `tok profile add NAME --provider P` fills every setting the
// user did not give from the preset, so any field can still be
// overridden. Nothing here makes a request.
package providers

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/oauth"
)

// Preset is what tok knows about one provider.
type Preset struct {
	// Name is the value of --provider.
	Name string
	// Title is how people call the provider.
	Title string
	// Issuer is the issuer URL; {tenant} is replaced by --tenant. Empty
	// when each deployment has its own: IssuerHint then says what to give.
	Issuer     string
	IssuerHint string
	// Endpoints are given for providers without a discovery document.
	Endpoints *oauth.Endpoints
	// Scopes are the default scopes.
	Scopes []string
	// Flow is the default login flow (a record.Flow value).
	Flow string
	// AuthParams are extra authorization request parameters.
	AuthParams map[string]string
	// NeedsSecret: the provider's clients of this kind always have a
	// secret, even installed (native) applications.
	NeedsSecret bool
	// NeedsAudience: without the audience parameter the provider issues
	// tokens its APIs do not accept.
	NeedsAudience bool
	// Notes are printed at profile add: what the person should know.
	Notes []string
}

// presets are tok's provider presets, in the order --help lists them.
var presets = []Preset{
	{
		Name:  "github",
		Title: "GitHub",
		// No discovery document for OAuth apps and GitHub Apps.
		Endpoints: &oauth.Endpoints{
			AuthURL:       "https://github.com/login/oauth/authorize",
			TokenURL:      "https://github.com/login/oauth/access_token",
			DeviceAuthURL: "https://github.com/login/device/code",
		},
		Flow: "device",
		Notes: []string{
			"GitHub has no discovery document; tok uses its fixed endpoints (override with --auth-url, --token-url, --device-auth-url)",
			"enable the device flow in the OAuth app's or GitHub App's settings; GitHub App user tokens expire after 8 hours and refresh for 6 months, OAuth app tokens never expire",
		},
	},
	{
		Name:       "gitlab",
		Title:      "GitLab",
		Issuer:     "https://gitlab.com",
		IssuerHint: "https://gitlab.com, or your self-managed GitLab's URL",
		Scopes:     []string{"openid", "read_user"},
		Flow:       "device",
		Notes:      []string{"for a self-managed GitLab give --issuer https://gitlab.example.com; the device flow needs GitLab 17.2 or later"},
	},
	{
		Name:   "google",
		Title:  "Google",
		Issuer: "https://accounts.google.com",
		// Google has no offline_access scope: it issues a refresh token
		// for access_type=offline, and again only with prompt=consent.
		Scopes:      []string{"openid", "email"},
		Flow:        "browser",
		AuthParams:  map[string]string{"access_type": "offline", "prompt": "consent"},
		NeedsSecret: true,
		Notes:       []string{"Google's desktop-app clients have a client secret that is not secret; give it with --client-secret or --client-secret-stdin"},
	},
	{
		Name:       "entra",
		Title:      "Microsoft Entra ID",
		Issuer:     "https://login.microsoftonline.com/{tenant}/v2.0",
		IssuerHint: "give --tenant TENANT (the directory's ID or domain)",
		Scopes:     []string{"openid", "profile", "offline_access"},
		Flow:       "browser",
		Notes:      []string{"to call an API, add its scope, e.g. --scopes openid,offline_access,api://APP-ID/.default; one resource per profile"},
	},
	{
		Name:          "auth0",
		Title:         "Auth0",
		IssuerHint:    "https://YOUR-TENANT.auth0.com/ (with the trailing slash), or your custom domain",
		Scopes:        []string{"openid", "profile", "offline_access"},
		Flow:          "browser",
		NeedsAudience: true,
		Notes:         []string{"Auth0 rotates refresh tokens with reuse detection when rotation is on: tok presents each one once"},
	},
	{
		Name:       "okta",
		Title:      "Okta",
		IssuerHint: "https://YOUR-ORG.okta.com/oauth2/default for the default custom authorization server (tokens for your APIs), or https://YOUR-ORG.okta.com for the org server (tokens for Okta's own API)",
		Scopes:     []string{"openid", "profile", "offline_access"},
		Flow:       "browser",
	},
	{
		Name:       "keycloak",
		Title:      "Keycloak",
		IssuerHint: "https://keycloak.example.com/realms/REALM",
		Scopes:     []string{"openid", "profile"},
		Flow:       "browser",
		Notes: []string{
			"tok asks for no offline_access scope: Keycloak turns it into an offline token that survives logout and idle timeouts; add it with --scopes only if you want that",
			"Keycloak has the device grant off per client: enable \"OAuth 2.0 Device Authorization Grant\" in the client's settings to use --flow device",
		},
	},
	{
		Name:       "dex",
		Title:      "Dex",
		IssuerHint: "your Dex issuer URL, e.g. https://dex.example.com",
		Scopes:     []string{"openid", "profile", "email", "groups", "offline_access"},
		Flow:       "browser",
	},
}

// Names lists the presets' names.
func Names() []string {
	out := make([]string, len(presets))
	for i, p := range presets {
		out[i] = p.Name
	}
	return out
}

// Lookup finds the preset called name.
func Lookup(name string) (Preset, error) {
	i := slices.IndexFunc(presets, func(p Preset) bool { return p.Name == strings.ToLower(name) })
	if i < 0 {
		return Preset{}, fmt.Errorf("unknown provider %q; choose one of: %s", name, strings.Join(Names(), ", "))
	}
	p := presets[i]
	// Callers may change what they get; the table stays as it is.
	p.Scopes = slices.Clone(p.Scopes)
	p.Notes = slices.Clone(p.Notes)
	if p.Endpoints != nil {
		e := *p.Endpoints
		p.Endpoints = &e
	}
	if p.AuthParams != nil {
		m := make(map[string]string, len(p.AuthParams))
		for k, v := range p.AuthParams {
			m[k] = v
		}
		p.AuthParams = m
	}
	return p, nil
}

// NotesFor is what tok says at profile add for a profile of this preset
// with the given issuer: the preset's notes, and for Okta which kind of
// authorization server the issuer names, since an org server's access
// tokens are for Okta's own API only and the mistake shows only later, as
// a 401 from the user's API.
func (p Preset) NotesFor(issuer string) []string {
	notes := slices.Clone(p.Notes)
	if p.Name == "okta" && issuer != "" {
		if u, err := url.Parse(issuer); err == nil && !strings.HasPrefix(u.Path, "/oauth2/") {
			base := strings.TrimSuffix(issuer, "/")
			notes = append(notes, "this is Okta's org authorization server: its access tokens are for Okta's own API only; for your APIs use a custom one, e.g. --issuer "+base+"/oauth2/default")
		}
	}
	return notes
}

// tenantPattern is what a tenant may look like: an ID or a domain. It is
// put into a URL path, so nothing else is accepted.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)

// IssuerFor is the preset's issuer with tenant filled in. It fails when
// the preset needs a tenant or an issuer the user did not give.
func (p Preset) IssuerFor(tenant string) (string, error) {
	switch {
	case p.Issuer == "":
		return "", fmt.Errorf("--provider %s needs --issuer: %s", p.Name, p.IssuerHint)
	case strings.Contains(p.Issuer, "{tenant}") && tenant == "":
		return "", fmt.Errorf("--provider %s needs --tenant: %s", p.Name, p.IssuerHint)
	case tenant != "" && !strings.Contains(p.Issuer, "{tenant}"):
		return "", fmt.Errorf("--tenant is for --provider entra; for %s give --issuer", p.Title)
	case tenant != "" && !tenantPattern.MatchString(tenant):
		return "", fmt.Errorf("--tenant %q is not a tenant ID or domain", tenant)
	}
	return strings.ReplaceAll(p.Issuer, "{tenant}", tenant), nil
}

// aadstsCodes say what the Microsoft Entra ID (AADSTS) errors people meet
// most with a command-line client mean, and what to change.
var aadstsCodes = map[string]string{
	"50076":   "the tenant requires multi-factor authentication: sign in again in the browser",
	"50079":   "the tenant requires you to register for multi-factor authentication: sign in in the browser",
	"50173":   "the grant was revoked because your password changed",
	"65001":   "nobody has consented to this application's permissions: an administrator must grant consent, or sign in once in the browser to consent",
	"70008":   "the refresh token or authorization code expired",
	"700082":  "the refresh token expired after 90 days without use",
	"7000218": "the app registration wants a client secret: give one, or allow public client flows in its Authentication settings",
	"700016":  "no application with this client ID exists in the tenant: check --client-id and --tenant",
	"50011":   "the redirect URI is not registered: add http://localhost as a \"Mobile and desktop applications\" redirect URI",
	"90009":   "the scopes name no resource: add one such as https://graph.microsoft.com/.default or api://APP-ID/.default",
	"70011":   "a requested scope is not valid for this app: check --scopes (one resource's scopes per profile)",
	"50126":   "wrong username or password",
	"53003":   "a conditional access policy blocked the sign-in: ask your administrator",
}

var aadstsPattern = regexp.MustCompile(`AADSTS(\d+)`)

// Explain says what a provider's error description means, for the error
// codes tok knows (Microsoft Entra ID's AADSTS codes). It returns "" when
// it has nothing to add.
func Explain(description string) string {
	m := aadstsPattern.FindStringSubmatch(description)
	if m == nil {
		return ""
	}
	hint, ok := aadstsCodes[m[1]]
	if !ok {
		return ""
	}
	return "AADSTS" + m[1] + ": " + hint
}
