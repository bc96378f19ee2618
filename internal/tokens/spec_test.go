package tokens

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/federation"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
)

// fakeDiscovery answers discovery for one issuer from a table and counts
// the requests, so the builder is tested without a network.
type fakeDiscovery struct {
	endpoints map[string]oauth.Endpoints
	err       error
	calls     []string
}

func (f *fakeDiscovery) discover(_ context.Context, issuer, caFile string) (oauth.Endpoints, error) {
	f.calls = append(f.calls, issuer+" "+caFile)
	if f.err != nil {
		return oauth.Endpoints{}, f.err
	}
	e, ok := f.endpoints[issuer]
	if !ok {
		return oauth.Endpoints{}, fmt.Errorf("no discovery document at %s", issuer)
	}
	return e, nil
}

const specIssuer = "https://id.example.com"

// fullProvider offers every flow and lists offline_access.
var fullProvider = oauth.Endpoints{
	Issuer: specIssuer, AuthURL: specIssuer + "/auth", TokenURL: specIssuer + "/token",
	DeviceAuthURL: specIssuer + "/device", RevocationURL: specIssuer + "/revoke",
	ScopesSupported: []string{"openid", "profile", "offline_access"},
}

// flagName names settings as tok profile add's flags do, for tests of
// SpecError.Text.
func flagName(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return "--" + strings.ReplaceAll(key, "_", "-")
}

func TestBuildProfile(t *testing.T) {
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.FixedZone("CET", 3600))
	noWarnings := []string(nil)
	for _, tc := range []struct {
		name      string
		spec      ProfileSpec
		discovery []string // issuers discovered
		want      func(p Profile) string
		warnings  []string
	}{
		{
			name: "static",
			spec: ProfileSpec{Name: "gh", Description: "GitHub", Env: []string{"GH_TOKEN"},
				Flow: record.FlowAuto, RefreshMargin: record.DefaultRefreshMargin, MaxAge: record.DefaultMaxAge}, // add's flag defaults
			want: func(p Profile) string {
				if p.Type != record.Static || p.OAuth != nil || p.Description != "GitHub" || !slices.Equal(p.Env, []string{"GH_TOKEN"}) {
					return "not a plain static profile"
				}
				return ""
			},
		},
		{
			name:      "oauth inferred from the issuer, discovered, default scopes and id-token",
			spec:      ProfileSpec{Name: "api", Issuer: specIssuer, ClientID: "tok"},
			discovery: []string{specIssuer + " "},
			want: func(p Profile) string {
				c := p.OAuth
				switch {
				case p.Type != record.OAuth:
					return "type " + string(p.Type)
				case !reflect.DeepEqual(c.Endpoints, fullProvider) || c.ExplicitEndpoints:
					return fmt.Sprintf("endpoints %+v", c.Endpoints)
				case !c.DiscoveredAt.Equal(now) || c.DiscoveredAt.Location() != time.UTC:
					return "discovered at " + c.DiscoveredAt.String()
				case !slices.Equal(c.Scopes, []string{"openid", "offline_access"}):
					return fmt.Sprint("scopes ", c.Scopes)
				case c.K8sToken != record.K8sIDToken || c.Flow != record.FlowAuto:
					return fmt.Sprint("k8s token ", c.K8sToken, ", flow ", c.Flow)
				}
				return ""
			},
		},
		{
			name:      "a provider listing scopes without offline_access gets openid alone",
			spec:      ProfileSpec{Name: "g", Issuer: "https://accounts.example.com", ClientID: "tok"},
			discovery: []string{"https://accounts.example.com "},
			want: func(p Profile) string {
				if !slices.Equal(p.OAuth.Scopes, []string{"openid"}) {
					return fmt.Sprint("scopes ", p.OAuth.Scopes)
				}
				return ""
			},
		},
		{
			name:      "given scopes without openid give access-token; the CA file goes to discovery",
			spec:      ProfileSpec{Type: record.OAuth, Name: "api", Issuer: specIssuer, ClientID: "tok", Scopes: []string{"api.read"}, CAFile: "/ca.pem"},
			discovery: []string{specIssuer + " /ca.pem"},
			want: func(p Profile) string {
				if !slices.Equal(p.OAuth.Scopes, []string{"api.read"}) || p.OAuth.K8sToken != record.K8sAccessToken || p.OAuth.CAFile != "/ca.pem" {
					return fmt.Sprint("scopes ", p.OAuth.Scopes, " k8s ", p.OAuth.K8sToken)
				}
				return ""
			},
		},
		{
			name: "empty scopes ask for none",
			spec: ProfileSpec{Name: "api", Issuer: specIssuer, ClientID: "tok", Scopes: []string{}, NoDiscovery: true},
			want: func(p Profile) string {
				if p.OAuth.Scopes == nil || len(p.OAuth.Scopes) != 0 || p.OAuth.K8sToken != record.K8sAccessToken {
					return fmt.Sprintf("scopes %#v", p.OAuth.Scopes)
				}
				return ""
			},
		},
		{
			name:      "client credentials: no default scopes",
			spec:      ProfileSpec{Name: "ci", Issuer: specIssuer, ClientID: "svc", Flow: record.FlowClientCredentials},
			discovery: []string{specIssuer + " "},
			want: func(p Profile) string {
				if p.OAuth.Scopes != nil || p.OAuth.Flow != record.FlowClientCredentials || p.OAuth.K8sToken != record.K8sAccessToken {
					return fmt.Sprint("scopes ", p.OAuth.Scopes, " flow ", p.OAuth.Flow)
				}
				return ""
			},
		},
		{
			name:      "browser, device and password flows",
			spec:      ProfileSpec{Name: "pw", Issuer: "https://pw.example.com", ClientID: "tok", Flow: record.FlowPassword, Username: "me"},
			discovery: []string{"https://pw.example.com "},
			want: func(p Profile) string {
				if p.OAuth.Flow != record.FlowPassword || p.OAuth.Username != "me" {
					return fmt.Sprint("flow ", p.OAuth.Flow)
				}
				return ""
			},
		},
		{
			name:      "a flow whose grant discovery does not list is a warning",
			spec:      ProfileSpec{Name: "api", Issuer: "https://pw.example.com", ClientID: "tok", Flow: record.FlowDevice},
			discovery: []string{"https://pw.example.com "},
			want:      func(p Profile) string { return "" },
			warnings:  []string{"warning: the provider's discovery document does not list the urn:ietf:params:oauth:grant-type:device_code grant of --flow device; the login may be refused (it supports --flow browser, password)"},
		},
		{
			name: "explicit endpoints are not discovered",
			spec: ProfileSpec{Name: "ci", TokenURL: specIssuer + "/t", RevocationURL: specIssuer + "/r", ClientID: "svc",
				Flow: record.FlowClientCredentials, ClientAuth: oauth.ClientAuthPost, AuthParams: map[string]string{"prompt": "login"},
				RedirectPort: 8400, RefreshMargin: 2 * time.Minute, MaxAge: time.Hour, Audience: "aud", Resources: []string{"https://r.example.com"}},
			want: func(p Profile) string {
				c := p.OAuth
				want := oauth.Endpoints{TokenURL: specIssuer + "/t", RevocationURL: specIssuer + "/r"}
				switch {
				case p.Type != record.OAuth || !c.ExplicitEndpoints || !reflect.DeepEqual(c.Endpoints, want) || !c.DiscoveredAt.IsZero():
					return fmt.Sprintf("endpoints %+v", c.Endpoints)
				case c.ClientAuth != oauth.ClientAuthPost || c.AuthParams["prompt"] != "login" || c.RedirectPort != 8400 ||
					c.RefreshMargin != record.Duration(2*time.Minute) || c.MaxAge != record.Duration(time.Hour) || c.Audience != "aud" || len(c.Resources) != 1:
					return fmt.Sprintf("settings %+v", c)
				}
				return ""
			},
		},
		{
			name: "no discovery: no endpoints yet, no flow check",
			spec: ProfileSpec{Name: "api", Issuer: specIssuer, ClientID: "tok", Flow: record.FlowDevice, NoDiscovery: true},
			want: func(p Profile) string {
				if p.OAuth.Endpoints.TokenURL != "" || !p.OAuth.DiscoveredAt.IsZero() || !slices.Equal(p.OAuth.Scopes, []string{"openid", "offline_access"}) {
					return fmt.Sprintf("%+v", p.OAuth)
				}
				return ""
			},
		},
		{
			name: "federated: inferred from the source, no client ID, access-token, no flow check",
			spec: ProfileSpec{Name: "gha", Issuer: specIssuer, Flow: record.FlowDevice,
				Federation: &FederationConfig{Grant: GrantTokenExchange, Source: federation.Source{GitHubAudience: "sts"}}},
			discovery: []string{specIssuer + " "},
			want: func(p Profile) string {
				if p.Type != record.Federated || p.Federation == nil || p.Federation.Source.GitHubAudience != "sts" || p.OAuth.K8sToken != record.K8sAccessToken || p.OAuth.Scopes != nil {
					return fmt.Sprintf("%+v %+v", p, p.OAuth)
				}
				return ""
			},
		},
		{
			name: "the github preset fills endpoints and flow",
			spec: ProfileSpec{Name: "gh", Provider: "GitHub", ClientID: "Iv1.x", Flow: record.FlowAuto},
			want: func(p Profile) string {
				c := p.OAuth
				if p.Type != record.OAuth || c.Provider != "github" || !c.ExplicitEndpoints || c.Endpoints.DeviceAuthURL != "https://github.com/login/device/code" ||
					c.Flow != record.FlowDevice || c.Scopes == nil || len(c.Scopes) != 0 {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name:      "the entra preset makes the issuer from the tenant",
			spec:      ProfileSpec{Name: "az", Provider: "entra", Tenant: "contoso.onmicrosoft.com", ClientID: "app"},
			discovery: []string{"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0 "},
			want: func(p Profile) string {
				c := p.OAuth
				if c.Issuer != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" || c.Flow != record.FlowBrowser ||
					!slices.Equal(c.Scopes, []string{"openid", "profile", "offline_access"}) || c.K8sToken != record.K8sIDToken {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name: "the google preset's parameters do not override given ones",
			spec: ProfileSpec{Name: "g", Provider: "google", ClientID: "c", Scopes: []string{"openid"}, Flow: record.FlowDevice,
				AuthParams: map[string]string{"prompt": "select_account"}, NoDiscovery: true},
			want: func(p Profile) string {
				c := p.OAuth
				want := map[string]string{"prompt": "select_account", "access_type": "offline"}
				if c.Issuer != "https://accounts.google.com" || !reflect.DeepEqual(c.AuthParams, want) || c.Flow != record.FlowDevice || !slices.Equal(c.Scopes, []string{"openid"}) {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDiscovery{endpoints: map[string]oauth.Endpoints{
				specIssuer:                     fullProvider,
				"https://accounts.example.com": {TokenURL: "https://accounts.example.com/t", AuthURL: "https://accounts.example.com/a", ScopesSupported: []string{"openid", "email"}},
				"https://pw.example.com":       {TokenURL: "https://pw.example.com/t", AuthURL: "https://pw.example.com/a", DeviceAuthURL: "https://pw.example.com/d", GrantTypes: []string{"authorization_code", "password"}},
				"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0": fullProvider,
			}}
			given := fmt.Sprintf("%+v", tc.spec)
			p, warnings, err := BuildProfile(context.Background(), tc.spec, d.discover, now)
			if err != nil {
				t.Fatalf("BuildProfile: %v", err)
			}
			if msg := tc.want(p); msg != "" {
				t.Errorf("built profile: %s", msg)
			}
			if p.Name != tc.spec.Name || !p.Created.IsZero() {
				t.Errorf("name %q, created %v", p.Name, p.Created)
			}
			if !slices.Equal(d.calls, tc.discovery) {
				t.Errorf("discovered %q, want %q", d.calls, tc.discovery)
			}
			if tc.warnings == nil {
				tc.warnings = noWarnings
			}
			if !slices.Equal(warnings, tc.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tc.warnings)
			}
			if after := fmt.Sprintf("%+v", tc.spec); after != given {
				t.Errorf("BuildProfile changed its spec:\n%s\n%s", given, after)
			}
		})
	}
}

// TestBuildProfileRefuses: each rule's message, in the words of a profile
// file (Error) and of the flags (Text), with the setting at fault.
func TestBuildProfileRefuses(t *testing.T) {
	oauthSpec := func(change func(s *ProfileSpec)) ProfileSpec {
		s := ProfileSpec{Name: "api", Type: record.OAuth, Issuer: specIssuer, ClientID: "tok", NoDiscovery: true}
		change(&s)
		return s
	}
	for _, tc := range []struct {
		name     string
		spec     ProfileSpec
		field    string
		file     string // the message with profile-file keys
		flags    string // the same with flags
		sentinel error
	}{
		{"bad name", ProfileSpec{Name: "../x"}, "name", `invalid profile name "../x": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`, "", ErrInvalidName},
		{"bad env", ProfileSpec{Name: "a", Env: []string{"A B"}}, "env", `invalid environment variable name "A B"`, "", nil},
		{"bad type", ProfileSpec{Name: "a", Type: "saml"}, "type", `unknown profile type "saml"; choose static, oauth or federated`, "", nil},
		{"static with an issuer", ProfileSpec{Name: "a", Type: record.Static, Issuer: specIssuer}, "issuer",
			"issuer applies to oauth and federated profiles only, and this one is static", "--issuer applies to oauth and federated profiles only, and this one is static", nil},
		{"static with a refresh margin", ProfileSpec{Name: "a", Type: record.Static, RefreshMargin: time.Hour}, "refresh_margin",
			"refresh_margin applies to oauth and federated profiles only, and this one is static", "", nil},
		{"static with a shared cache", ProfileSpec{Name: "a", Type: record.Static, Shared: &SharedCacheConfig{URL: "redis://h:6379/0"}}, "shared_cache",
			"shared_cache needs an oauth or federated profile; a static token has nothing to share", "--shared-cache needs an oauth or federated profile; a static token has nothing to share", nil},
		{"no client ID", oauthSpec(func(s *ProfileSpec) { s.ClientID = "" }), "client_id", "an oauth profile needs client_id", "an oauth profile needs --client-id", nil},
		{"bad flow", oauthSpec(func(s *ProfileSpec) { s.Flow = "magic" }), "flow", `unknown flow "magic"; choose auto, browser, device, client-credentials or password`, "", nil},
		{"bad client auth", oauthSpec(func(s *ProfileSpec) { s.ClientAuth = "jwt" }), "client_auth",
			`client_auth: unknown client authentication "jwt"; use basic, post or none`, `--client-auth: unknown client authentication "jwt"; use basic, post or none`, nil},
		{"port", oauthSpec(func(s *ProfileSpec) { s.RedirectPort = 70000 }), "redirect_port", "redirect_port 70000 is not a port (0-65535)", "--redirect-port 70000 is not a port (0-65535)", nil},
		{"negative max age", oauthSpec(func(s *ProfileSpec) { s.MaxAge = -time.Second }), "max_age", "max_age must not be negative", "--max-age must not be negative", nil},
		{"negative margin", oauthSpec(func(s *ProfileSpec) { s.RefreshMargin = -time.Second }), "refresh_margin", "refresh_margin must not be negative", "--refresh-margin must not be negative", nil},
		{"k8s token", oauthSpec(func(s *ProfileSpec) { s.K8sToken = "both" }), "k8s_token", "k8s_token must be access-token or id-token", "--k8s-token must be access-token or id-token", nil},
		{"empty auth param", oauthSpec(func(s *ProfileSpec) { s.AuthParams = map[string]string{" ": "x"} }), "auth_params", "auth_params has an empty parameter name", "", nil},
		{"ftp endpoint", oauthSpec(func(s *ProfileSpec) { s.TokenURL = "ftp://x.example/t" }), "token_url", "token_url: ", "--token-url: ", nil},
		{"http issuer", oauthSpec(func(s *ProfileSpec) { s.Issuer = "http://id.example.com" }), "issuer", "issuer: ", "--issuer: ", nil},
		{"endpoints without a token endpoint", oauthSpec(func(s *ProfileSpec) { s.Issuer, s.AuthURL = "", specIssuer+"/a" }), "token_url",
			"explicit endpoints need at least token_url", "explicit endpoints need at least --token-url", nil},
		{"no issuer", oauthSpec(func(s *ProfileSpec) { s.Issuer = "" }), "issuer",
			"an oauth profile needs issuer, or explicit endpoints (token_url and friends)", "an oauth profile needs --issuer, or explicit endpoints (--token-url and friends)", nil},
		{"federated without a source", ProfileSpec{Name: "f", Type: record.Federated, Issuer: specIssuer, NoDiscovery: true}, "federation",
			"a federated profile needs a subject token source: subject_token_file, subject_token_command, subject_token_env or github_actions_audience",
			"a federated profile needs a subject token source: --subject-token-file, --subject-token-command, --subject-token-env or --github-actions-audience", nil},
		{"federated with two sources", ProfileSpec{Name: "f", Issuer: specIssuer, NoDiscovery: true, Federation: &FederationConfig{Source: federation.Source{File: "/t", Env: "T"}}}, "federation",
			"more than one subject token source", "", nil},
		{"oauth with a source", oauthSpec(func(s *ProfileSpec) { s.Federation = &FederationConfig{Source: federation.Source{Env: "T"}} }), "federation",
			"federation: only a federated profile takes these settings; use type federated", "", nil},
		{"bad namespace", oauthSpec(func(s *ProfileSpec) { s.Shared = &SharedCacheConfig{URL: "redis://h:6379/0", Namespace: "a:b"} }), "shared_cache.namespace",
			`invalid shared cache namespace "a:b"`, "", nil},
		{"tenant without provider", oauthSpec(func(s *ProfileSpec) { s.Tenant = "x" }), "tenant", "tenant needs provider entra", "--tenant needs --provider entra", nil},
		{"unknown provider", oauthSpec(func(s *ProfileSpec) { s.Provider = "nope" }), "provider", `provider: unknown provider "nope"`, `--provider: unknown provider "nope"`, nil},
		{"entra without tenant", ProfileSpec{Name: "az", Provider: "entra", ClientID: "c"}, "tenant", "--provider entra needs --tenant", "", nil},
		{"tenant and issuer", oauthSpec(func(s *ProfileSpec) { s.Provider, s.Tenant = "entra", "x" }), "tenant",
			"tenant fills the issuer of provider entra; give either tenant or issuer", "--tenant fills the issuer of --provider entra; give either --tenant or --issuer", nil},
		{"tenant for gitlab", ProfileSpec{Name: "gl", Provider: "gitlab", Tenant: "x", ClientID: "c"}, "tenant", "--tenant is for --provider entra", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDiscovery{}
			_, _, err := BuildProfile(context.Background(), tc.spec, d.discover, time.Now())
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SpecError, got %v", err)
			}
			if se.Field != tc.field {
				t.Errorf("field %q, want %q", se.Field, tc.field)
			}
			if !strings.HasPrefix(err.Error(), tc.file) {
				t.Errorf("message %q, want it to start with %q", err, tc.file)
			}
			if tc.flags != "" && !strings.HasPrefix(se.Text(flagName), tc.flags) {
				t.Errorf("with flags %q, want it to start with %q", se.Text(flagName), tc.flags)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("%v does not wrap %v", err, tc.sentinel)
			}
			if len(d.calls) > 0 {
				t.Errorf("a refused spec was discovered: %q", d.calls)
			}
			if problems := CheckProfileSpec(tc.spec); len(problems) == 0 || problems[0].Error() != err.Error() {
				t.Errorf("CheckProfileSpec = %v, want %v first", problems, err)
			}
		})
	}
}

func TestCheckProfileSpecListsEveryProblem(t *testing.T) {
	problems := CheckProfileSpec(ProfileSpec{Name: "a", Type: record.OAuth, Issuer: "http://x.example", RedirectPort: -1, K8sToken: "x"})
	var fields []string
	for _, p := range problems {
		fields = append(fields, p.Field)
	}
	if want := []string{"client_id", "redirect_port", "k8s_token", "issuer"}; !slices.Equal(fields, want) {
		t.Errorf("problems in %q, want %q", fields, want)
	}
}

func TestBuildProfileFlowNeedsItsEndpoint(t *testing.T) {
	d := &fakeDiscovery{endpoints: map[string]oauth.Endpoints{specIssuer: {TokenURL: specIssuer + "/t", AuthURL: specIssuer + "/a"}}}
	_, _, err := BuildProfile(context.Background(), ProfileSpec{Name: "a", Issuer: specIssuer, ClientID: "c", Flow: record.FlowDevice}, d.discover, time.Now())
	var se *SpecError
	if !errors.As(err, &se) || se.Field != "flow" || !strings.Contains(err.Error(), "the provider has no device authorization endpoint, so --flow device cannot sign in; it supports --flow browser, client-credentials") {
		t.Errorf("device flow without a device endpoint: %v", err)
	}
}

func TestBuildProfileDiscoveryFails(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("connection refused"), "could not discover the endpoints of https://id.example.com (check the URL, or add --no-discovery to try again at login): connection refused"},
		{fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), "its TLS certificate is signed by an unknown authority; if it uses a private CA, add --ca-file CA.pem"},
	} {
		d := &fakeDiscovery{err: tc.err}
		_, _, err := BuildProfile(context.Background(), ProfileSpec{Name: "a", Issuer: specIssuer, ClientID: "c"}, d.discover, time.Now())
		var se *SpecError
		if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("discovery failing with %v: %v", tc.err, err)
		}
	}
}

// TestSpecOfRebuildsTheProfile: tok profile set starts from SpecOf, so a
// stored profile rebuilt from its spec must come out the same.
func TestSpecOfRebuildsTheProfile(t *testing.T) {
	d := &fakeDiscovery{endpoints: map[string]oauth.Endpoints{specIssuer: fullProvider}}
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	for _, spec := range []ProfileSpec{
		{Name: "gh", Env: []string{"GH_TOKEN"}, Remotes: &record.Remotes{Git: []string{"https://github.com/org/"}, StoredBy: "git"}},
		{Name: "api", Issuer: specIssuer, ClientID: "tok", AuthParams: map[string]string{"prompt": "login"}, RedirectPort: 8400,
			Shared: &SharedCacheConfig{URL: "redis://h:6379/0", Namespace: "team"}},
		{Name: "gh2", Provider: "github", ClientID: "Iv1.x"},
		{Name: "ci", TokenURL: specIssuer + "/t", ClientID: "svc", Flow: record.FlowClientCredentials, ClientAuth: oauth.ClientAuthBasic, MaxAge: time.Hour},
		{Name: "gha", Issuer: specIssuer, Federation: &FederationConfig{Grant: GrantJWTBearer, Source: federation.Source{Command: "cat t"}}},
	} {
		first, _, err := BuildProfile(context.Background(), spec, d.discover, now)
		if err != nil {
			t.Fatalf("%s: %v", spec.Name, err)
		}
		again, _, err := BuildProfile(context.Background(), SpecOf(first), d.discover, now)
		if err != nil {
			t.Fatalf("%s rebuilt: %v", spec.Name, err)
		}
		for _, p := range []*Profile{&first, &again} {
			if p.OAuth != nil && len(p.OAuth.Scopes) == 0 {
				p.OAuth.Scopes = nil // the database keeps no empty list
			}
		}
		if !reflect.DeepEqual(first, again) {
			t.Errorf("%s rebuilt from its spec:\n got %+v %+v\nwant %+v %+v", spec.Name, again, again.OAuth, first, first.OAuth)
		}
	}
}

func TestDefaultScopes(t *testing.T) {
	for _, tc := range []struct {
		supported []string
		want      string
	}{
		{nil, "openid offline_access"},
		{[]string{"openid", "profile", "offline_access"}, "openid offline_access"},
		{[]string{"openid", "email", "profile"}, "openid"},
	} {
		if got := strings.Join(DefaultScopes(tc.supported), " "); got != tc.want {
			t.Errorf("DefaultScopes(%v) = %q, want %q", tc.supported, got, tc.want)
		}
	}
}

func TestSpecErrorTextKeepsValuesAsGiven(t *testing.T) {
	// A value with braces or a per cent sign is printed as it is; only the
	// template names settings.
	_, _, err := BuildProfile(context.Background(), ProfileSpec{Name: "a", Type: record.OAuth, Issuer: specIssuer, ClientID: "c", NoDiscovery: true, Provider: "{issuer}%d"}, nil, time.Now())
	var se *SpecError
	if !errors.As(err, &se) || se.Text(flagName) != `--provider: unknown provider "{issuer}%d"; choose one of: github, gitlab, google, entra, auth0, okta, keycloak, dex` {
		t.Errorf("got %v", err)
	}
}
