package cli

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileOptions are a profile's settings as flags: tok profile add builds
// a profile from them, tok profile set changes a stored one with them, and
// tok profile import fills them from a profile file (addOptionsFor), so all
// three apply the same checks, discovery and defaults.
type profileOptions struct {
	typ              string
	description      string
	env              []string
	issuer           string
	authURL          string
	tokenURL         string
	deviceAuthURL    string
	revocationURL    string
	clientID         string
	clientSecretFlag bool
	clientSecretIn   bool
	clientAuth       string
	provider         string
	tenant           string
	scopes           []string
	audience         string
	resources        []string
	flow             string
	authParams       []string
	redirectPort     int
	refreshMargin    time.Duration
	maxAge           time.Duration
	caFile           string
	k8sToken         string
	username         string
	noDiscovery      bool
	fed              federationOptions
	shared           sharedCacheOptions
	remotes          remoteOptions
}

// profileSetting is one profile flag, defined once for tok profile add
// and tok profile set.
//
// To add a profile setting (say --shared-cache): add its field to
// profileOptions, append one profileSetting below whose flag registers
// the flag and whose load copies the stored value back into the field,
// and use the field where buildProfile makes the tokens.Profile. Both
// commands then take the flag, and set changes it only when it is given.
type profileSetting struct {
	// flag registers the flag(s) on f, writing into o.
	flag func(f *pflag.FlagSet, o *profileOptions)
	// load sets o's field from a stored profile, so that tok profile set
	// keeps what it is not told to change. nil for flags that are not
	// stored settings (the client secret flags, --no-discovery).
	load func(o *profileOptions, p *tokens.Profile)
}

// oauthOf is p's OAuth configuration, or an empty one for a static profile.
func oauthOf(p *tokens.Profile) *tokens.OAuthConfig {
	if p.OAuth == nil {
		return &tokens.OAuthConfig{}
	}
	return p.OAuth
}

var profileSettings = []profileSetting{
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.provider, "provider", "", "fill the settings of a known provider ("+strings.Join(providers.Names(), ", ")+"); every other flag overrides them; see docs/providers.md")
		f.StringVar(&o.tenant, "tenant", "", "with --provider entra: the directory (tenant) ID or domain")
	}, func(o *profileOptions, p *tokens.Profile) { o.provider = oauthOf(p).Provider }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVarP(&o.typ, "type", "t", "", "profile type: static, oauth or federated (default federated with a --subject-token-* source, oauth with --issuer or --token-url, else static)")
	}, func(o *profileOptions, p *tokens.Profile) { o.typ = string(p.Type) }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.description, "description", "", "a note for yourself")
	}, func(o *profileOptions, p *tokens.Profile) { o.description = p.Description }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.env, "env", nil, "environment variable that tok exec fills with the token, e.g. GH_TOKEN (repeatable)")
	}, func(o *profileOptions, p *tokens.Profile) { o.env = p.Env }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.issuer, "issuer", "", "OpenID Connect / OAuth issuer URL (https, or http on loopback)")
	}, func(o *profileOptions, p *tokens.Profile) { o.issuer = oauthOf(p).Issuer }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.authURL, "auth-url", "", "authorization endpoint (instead of discovery)")
		f.StringVar(&o.tokenURL, "token-url", "", "token endpoint (instead of discovery)")
		f.StringVar(&o.deviceAuthURL, "device-auth-url", "", "device authorization endpoint (instead of discovery)")
		f.StringVar(&o.revocationURL, "revocation-url", "", "revocation endpoint (instead of discovery)")
	}, func(o *profileOptions, p *tokens.Profile) {
		// Discovered endpoints are not settings: set finds them again
		// when the issuer changes and keeps them otherwise.
		if c := oauthOf(p); c.ExplicitEndpoints {
			e := c.Endpoints
			o.authURL, o.tokenURL, o.deviceAuthURL, o.revocationURL = e.AuthURL, e.TokenURL, e.DeviceAuthURL, e.RevocationURL
		}
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.clientID, "client-id", "", "OAuth client ID")
	}, func(o *profileOptions, p *tokens.Profile) { o.clientID = oauthOf(p).ClientID }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.BoolVar(&o.clientSecretFlag, "client-secret", false, "prompt for the client secret (hidden input)")
		f.BoolVar(&o.clientSecretIn, "client-secret-stdin", false, "read the client secret from stdin")
	}, nil},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.clientAuth, "client-auth", "", "how the client authenticates: basic (HTTP Basic), post (secret in the request body) or none (public client); default: what the provider accepts, remembered after the first request")
	}, func(o *profileOptions, p *tokens.Profile) { o.clientAuth = string(oauthOf(p).ClientAuth) }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringSliceVar(&o.scopes, "scopes", nil, "scopes to request, comma-separated (default openid,offline_access with an issuer)")
	}, func(o *profileOptions, p *tokens.Profile) {
		if p.OAuth != nil {
			o.scopes = append([]string{}, p.OAuth.Scopes...) // non-nil: no default scopes on top
		}
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.audience, "audience", "", "audience parameter some providers need (Auth0)")
	}, func(o *profileOptions, p *tokens.Profile) { o.audience = oauthOf(p).Audience }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.resources, "resource", nil, "RFC 8707 resource indicator (repeatable)")
	}, func(o *profileOptions, p *tokens.Profile) { o.resources = oauthOf(p).Resources }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.flow, "flow", "auto", "login flow: auto, browser, device, client-credentials, password")
	}, func(o *profileOptions, p *tokens.Profile) {
		if fl := oauthOf(p).Flow; fl != "" {
			o.flow = string(fl)
		}
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.authParams, "auth-param", nil, "extra authorization parameter KEY=VALUE, e.g. prompt=login (repeatable)")
	}, func(o *profileOptions, p *tokens.Profile) { o.authParams = authParamList(oauthOf(p).AuthParams) }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.IntVar(&o.redirectPort, "redirect-port", 0, "fixed loopback port for the browser flow's redirect (0: a free port)")
	}, func(o *profileOptions, p *tokens.Profile) { o.redirectPort = oauthOf(p).RedirectPort }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.DurationVar(&o.refreshMargin, "refresh-margin", record.DefaultRefreshMargin, "refresh a token this long before it expires")
	}, func(o *profileOptions, p *tokens.Profile) {
		if m := oauthOf(p).RefreshMargin; m != 0 {
			o.refreshMargin = time.Duration(m)
		}
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.DurationVar(&o.maxAge, "max-age", record.DefaultMaxAge, "renew a token the server gave no expiry for once it is this old")
	}, func(o *profileOptions, p *tokens.Profile) {
		if m := oauthOf(p).MaxAge; m != 0 {
			o.maxAge = time.Duration(m)
		}
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.caFile, "ca-file", "", "PEM file of CA certificates to trust for this provider")
	}, func(o *profileOptions, p *tokens.Profile) { o.caFile = oauthOf(p).CAFile }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.k8sToken, "k8s-token", "", "token kubectl gets: access-token or id-token (default id-token when the openid scope is requested)")
	}, func(o *profileOptions, p *tokens.Profile) { o.k8sToken = string(oauthOf(p).K8sToken) }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.username, "username", "", "username for the password flow")
	}, func(o *profileOptions, p *tokens.Profile) { o.username = oauthOf(p).Username }},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.BoolVar(&o.noDiscovery, "no-discovery", false, "do not fetch the issuer's discovery document now (it is fetched at login)")
	}, nil},
	{func(f *pflag.FlagSet, o *profileOptions) { o.fed.register(f) },
		func(o *profileOptions, p *tokens.Profile) {
			if c := p.Federation; c != nil {
				o.fed = federationOptions{
					grant:              string(c.Grant),
					subjectFile:        c.Source.File,
					subjectCommand:     c.Source.Command,
					subjectEnv:         c.Source.Env,
					githubAudience:     c.Source.GitHubAudience,
					subjectTokenType:   c.SubjectTokenType,
					requestedTokenType: c.RequestedTokenType,
				}
			}
		}},
	{func(f *pflag.FlagSet, o *profileOptions) { o.remotes.register(f) },
		func(o *profileOptions, p *tokens.Profile) { o.remotes.load(p.Remotes) }},
	{func(f *pflag.FlagSet, o *profileOptions) { o.shared.register(f) },
		func(o *profileOptions, p *tokens.Profile) {
			if c := p.Shared; c != nil {
				o.shared = sharedCacheOptions{url: c.URL, namespace: c.Namespace, keyFile: c.KeyFile, passwordFile: c.PasswordFile, caFile: c.CAFile}
			}
		}},
}

// registerProfileFlags puts every profile setting on cmd, with completions.
func registerProfileFlags(cmd *cobra.Command, o *profileOptions) {
	registerProfileSettings(cmd.Flags(), o)
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"static", "oauth", "federated"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("flow", cobra.FixedCompletions([]string{"auto", "browser", "device", "client-credentials", "password"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(providers.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("client-auth", cobra.FixedCompletions([]string{"basic", "post", "none"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("k8s-token", cobra.FixedCompletions([]string{"access-token", "id-token"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("grant", cobra.FixedCompletions([]string{"token-exchange", "jwt-bearer"}, cobra.ShellCompDirectiveNoFileComp))
}

func registerProfileSettings(f *pflag.FlagSet, o *profileOptions) {
	for _, s := range profileSettings {
		s.flag(f, o)
	}
}

// optionsFromProfile are the settings of a stored profile with the given
// flags applied on top: what tok profile set builds the new profile from.
// given is a flag set the profile flags were parsed into; only the flags
// changed there count.
func optionsFromProfile(p *tokens.Profile, given *pflag.FlagSet) (profileOptions, error) {
	// A new type keeps only what applies to it: a static profile has no
	// provider, only a federated one a subject token source.
	src := *p
	if t := given.Lookup("type"); t != nil && t.Changed && t.Value.String() != string(p.Type) {
		if t.Value.String() == string(record.Static) {
			src.OAuth = nil
		}
		if t.Value.String() != string(record.Federated) {
			src.Federation = nil
		}
	}
	var o profileOptions
	f := pflag.NewFlagSet("stored", pflag.ContinueOnError)
	registerProfileSettings(f, &o) // the defaults, for what the profile leaves unset
	for _, s := range profileSettings {
		if s.load != nil {
			s.load(&o, &src)
		}
	}
	var err error
	given.Visit(func(g *pflag.Flag) {
		dst := f.Lookup(g.Name)
		if dst == nil || err != nil {
			return // a global flag such as --home
		}
		if sv, ok := g.Value.(pflag.SliceValue); ok {
			err = dst.Value.(pflag.SliceValue).Replace(sv.GetSlice())
			return
		}
		err = dst.Value.Set(g.Value.String())
	})
	return o, err
}

// authParamList is a profile's extra authorization parameters as the
// KEY=VALUE values of --auth-param, in a stable order.
func authParamList(params map[string]string) []string {
	var out []string
	for k, v := range params {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
