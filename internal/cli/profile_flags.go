package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileOptions are a profile's settings as flags. tok profile add and
// tok profile set turn them into a tokens.ProfileSpec (specFromFlags), the
// one description of a profile that flags, TOK_* variables and profile
// files all produce, and tokens.BuildProfile applies the checks, discovery
// and defaults.
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
// profileOptions and to tokens.ProfileSpec (and tokens.SpecOf), append one
// profileSetting below whose flag registers the flag and whose apply
// copies the flag's value into the spec, and give the setting its meaning
// in tokens.BuildProfile. Both commands then take the flag, and set
// changes it only when it is given.
type profileSetting struct {
	// flag registers the flag(s) on f, writing into o.
	flag func(f *pflag.FlagSet, o *profileOptions)
	// apply copies the value of each of the setting's flags that given
	// reports into s. nil for flags that are not settings (the client
	// secret flags).
	apply func(s *tokens.ProfileSpec, o *profileOptions, given func(flag string) bool) error
}

var profileSettings = []profileSetting{
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.provider, "provider", "", "fill the settings of a known provider ("+strings.Join(providers.Names(), ", ")+"); every other flag overrides them; see docs/providers.md")
		f.StringVar(&o.tenant, "tenant", "", "with --provider entra: the directory (tenant) ID or domain")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("provider"), &s.Provider, o.provider)
		copyIf(given("tenant"), &s.Tenant, o.tenant)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVarP(&o.typ, "type", "t", "", "profile type: static, oauth or federated (default federated with a --subject-token-* source, oauth with --issuer or --token-url, else static)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("type"), &s.Type, record.Type(o.typ))
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.description, "description", "", "a note for yourself")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("description"), &s.Description, o.description)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.env, "env", nil, "environment variable that tok exec fills with the token, e.g. GH_TOKEN (repeatable)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("env"), &s.Env, o.env)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.issuer, "issuer", "", "OpenID Connect / OAuth issuer URL (https, or http on loopback)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("issuer"), &s.Issuer, o.issuer)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.authURL, "auth-url", "", "authorization endpoint (instead of discovery)")
		f.StringVar(&o.tokenURL, "token-url", "", "token endpoint (instead of discovery)")
		f.StringVar(&o.deviceAuthURL, "device-auth-url", "", "device authorization endpoint (instead of discovery)")
		f.StringVar(&o.revocationURL, "revocation-url", "", "revocation endpoint (instead of discovery)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("auth-url"), &s.AuthURL, o.authURL)
		copyIf(given("token-url"), &s.TokenURL, o.tokenURL)
		copyIf(given("device-auth-url"), &s.DeviceAuthURL, o.deviceAuthURL)
		copyIf(given("revocation-url"), &s.RevocationURL, o.revocationURL)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.clientID, "client-id", "", "OAuth client ID")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("client-id"), &s.ClientID, o.clientID)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.BoolVar(&o.clientSecretFlag, "client-secret", false, "prompt for the client secret (hidden input)")
		f.BoolVar(&o.clientSecretIn, "client-secret-stdin", false, "read the client secret from stdin")
	}, nil},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.clientAuth, "client-auth", "", "how the client authenticates: basic (HTTP Basic), post (secret in the request body) or none (public client); default: what the provider accepts, remembered after the first request")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("client-auth"), &s.ClientAuth, oauth.ClientAuth(o.clientAuth))
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringSliceVar(&o.scopes, "scopes", nil, "scopes to request, comma-separated (default openid,offline_access with an issuer)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("scopes"), &s.Scopes, o.scopes)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.audience, "audience", "", "audience parameter some providers need (Auth0)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("audience"), &s.Audience, o.audience)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.resources, "resource", nil, "RFC 8707 resource indicator (repeatable)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("resource"), &s.Resources, o.resources)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.flow, "flow", "auto", "login flow: auto, browser, device, client-credentials, password")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("flow"), &s.Flow, record.Flow(o.flow))
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringArrayVar(&o.authParams, "auth-param", nil, "extra authorization parameter KEY=VALUE, e.g. prompt=login (repeatable)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		if !given("auth-param") {
			return nil
		}
		s.AuthParams = nil
		for _, kv := range o.authParams {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usagef("--auth-param %q is not KEY=VALUE", kv)
			}
			if s.AuthParams == nil {
				s.AuthParams = map[string]string{}
			}
			s.AuthParams[k] = v
		}
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.IntVar(&o.redirectPort, "redirect-port", 0, "fixed loopback port for the browser flow's redirect (0: a free port)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("redirect-port"), &s.RedirectPort, o.redirectPort)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.DurationVar(&o.refreshMargin, "refresh-margin", record.DefaultRefreshMargin, "refresh a token this long before it expires")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("refresh-margin"), &s.RefreshMargin, o.refreshMargin)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.DurationVar(&o.maxAge, "max-age", record.DefaultMaxAge, "renew a token the server gave no expiry for once it is this old")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("max-age"), &s.MaxAge, o.maxAge)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.caFile, "ca-file", "", "PEM file of CA certificates to trust for this provider")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("ca-file"), &s.CAFile, o.caFile)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.k8sToken, "k8s-token", "", "token kubectl gets: access-token or id-token (default id-token when the openid scope is requested)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("k8s-token"), &s.K8sToken, record.K8sToken(o.k8sToken))
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.StringVar(&o.username, "username", "", "username for the password flow")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("username"), &s.Username, o.username)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) {
		f.BoolVar(&o.noDiscovery, "no-discovery", false, "do not fetch the issuer's discovery document now (it is fetched at login)")
	}, func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
		copyIf(given("no-discovery"), &s.NoDiscovery, o.noDiscovery)
		return nil
	}},
	{func(f *pflag.FlagSet, o *profileOptions) { o.fed.register(f) },
		func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
			f := federationOptionsOf(s.Federation)
			copyIf(given("grant"), &f.grant, o.fed.grant)
			copyIf(given("subject-token-file"), &f.subjectFile, o.fed.subjectFile)
			copyIf(given("subject-token-command"), &f.subjectCommand, o.fed.subjectCommand)
			copyIf(given("subject-token-env"), &f.subjectEnv, o.fed.subjectEnv)
			copyIf(given("github-actions-audience"), &f.githubAudience, o.fed.githubAudience)
			copyIf(given("subject-token-type"), &f.subjectTokenType, o.fed.subjectTokenType)
			copyIf(given("requested-token-type"), &f.requestedTokenType, o.fed.requestedTokenType)
			if !f.given() {
				s.Federation = nil
				return nil
			}
			var err error
			s.Federation, err = f.config()
			return err
		}},
	{func(f *pflag.FlagSet, o *profileOptions) { o.remotes.register(f) },
		func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
			var r remoteOptions
			r.load(s.Remotes)
			copyIf(given("git-url"), &r.gitURLs, o.remotes.gitURLs)
			copyIf(given("git-username"), &r.gitUsername, o.remotes.gitUsername)
			copyIf(given("registry"), &r.registries, o.remotes.registries)
			copyIf(given("registry-username"), &r.registryUsername, o.remotes.registryUsername)
			var err error
			s.Remotes, err = r.config()
			return err
		}},
	{func(f *pflag.FlagSet, o *profileOptions) { o.shared.register(f) },
		func(s *tokens.ProfileSpec, o *profileOptions, given func(string) bool) error {
			var c sharedCacheOptions
			if sc := s.Shared; sc != nil {
				c = sharedCacheOptions{url: sc.URL, namespace: sc.Namespace, keyFile: sc.KeyFile, passwordFile: sc.PasswordFile, caFile: sc.CAFile}
			}
			copyIf(given("shared-cache"), &c.url, o.shared.url)
			copyIf(given("shared-cache-namespace"), &c.namespace, o.shared.namespace)
			copyIf(given("shared-cache-key-file"), &c.keyFile, o.shared.keyFile)
			copyIf(given("shared-cache-password-file"), &c.passwordFile, o.shared.passwordFile)
			copyIf(given("shared-cache-ca-file"), &c.caFile, o.shared.caFile)
			var err error
			s.Shared, err = c.config()
			return err
		}},
}

// copyIf sets *dst to v when the flag was given.
func copyIf[T any](given bool, dst *T, v T) {
	if given {
		*dst = v
	}
}

// specFromFlags is base with the settings whose flags given reports set
// to their values in o: tok profile add starts from an empty spec and
// takes every flag (their defaults included), tok profile set starts from
// the stored profile's spec and takes the flags on its command line.
func specFromFlags(base tokens.ProfileSpec, o *profileOptions, given func(flag string) bool) (tokens.ProfileSpec, error) {
	s := base
	for _, setting := range profileSettings {
		if setting.apply == nil {
			continue
		}
		if err := setting.apply(&s, o, given); err != nil {
			return tokens.ProfileSpec{}, err
		}
	}
	return s, nil
}

// allFlags is given for tok profile add: every flag counts, default or not.
func allFlags(string) bool { return true }

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
