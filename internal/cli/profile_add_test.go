package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// profileAdd runs tok profile add argv in process: parsed as the command
// line is, then run.
func profileAdd(t *testing.T, d *Deps, argv ...string) error {
	t.Helper()
	return d.runProfileAdd(t.Context(), parsed(t, d, newCmdProfileAdd, argv...))
}

func TestNewCmdProfileAdd(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	o := parsed(t, d, newCmdProfileAdd, "api", "--issuer", "https://id.example.com", "--client-id", "tok", "--scopes", "openid,groups",
		"--auth-param", "prompt=login", "--env", "A", "--env", "B", "--client-secret-stdin", "--refresh-margin", "2m")
	s := o.Settings
	if o.Name != "api" || s.issuer != "https://id.example.com" || s.clientID != "tok" || !slices.Equal(s.scopes, []string{"openid", "groups"}) ||
		!slices.Equal(s.authParams, []string{"prompt=login"}) || !slices.Equal(s.env, []string{"A", "B"}) || !s.clientSecretIn ||
		s.refreshMargin != 2*time.Minute || s.flow != "auto" || s.maxAge != record.DefaultMaxAge {
		t.Errorf("parsed %+v", o)
	}
	o = parsed(t, d, newCmdProfileAdd, "gha", "--type", "federated", "--issuer", "https://sts.example.com", "--github-actions-audience", "sts", "--shared-cache", "redis://h:6379/0")
	if o.Settings.typ != "federated" || o.Settings.fed.githubAudience != "sts" || o.Settings.shared.url != "redis://h:6379/0" {
		t.Errorf("parsed %+v", o.Settings)
	}
	for _, tc := range []struct{ argv []string }{{nil}, {[]string{"a", "b"}}} {
		err := parseCmd(d, newCmdProfileAdd(d, func(*profileAddOptions) error { t.Error("runF called"); return nil }), tc.argv...)
		if exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "takes a profile name") {
			t.Errorf("argv %q off a terminal: %v", tc.argv, err)
		}
	}
	if err := parseCmd(d, newCmdProfileAdd(d, nil), "x", "--flow"); err == nil || !strings.Contains(err.Error(), "flag needs an argument") {
		t.Errorf("--flow without a value: %v", err)
	}
}

func TestProfileAddRun(t *testing.T) {
	srv := svcServer(t)
	srv.AddClient(authserver.Client{ID: "cli"})
	d, now, in, _, errOut := testDeps(t, nil)
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}

	// A static profile.
	if err := profileAdd(t, d, "gh", "--type", "static", "--env", "GH_TOKEN"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Added static profile "gh". Next: tok login -p gh --with-token < FILE`)
	if p, err := svc.Profile("gh"); err != nil || p.Type != record.Static || p.OAuth != nil || !slices.Equal(p.Env, []string{"GH_TOKEN"}) {
		t.Errorf("stored gh: %+v, %v", p, err)
	}

	// An oauth profile: discovered now, default scopes, id-token for kubectl.
	errOut.Reset()
	if err := profileAdd(t, d, "api", "--issuer", srv.Issuer(), "--client-id", "cli"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Added oauth profile "api". Next: tok login -p api`)
	p, err := svc.Profile("api")
	if err != nil {
		t.Fatal(err)
	}
	c := p.OAuth
	if p.Type != record.OAuth || c.Endpoints.TokenURL != srv.TokenURL() || c.Endpoints.AuthURL != srv.AuthURL() || c.ExplicitEndpoints ||
		!c.DiscoveredAt.Equal(now.UTC()) || !slices.Equal(c.Scopes, []string{"openid", "offline_access"}) || c.K8sToken != record.K8sIDToken ||
		c.Flow != record.FlowAuto || time.Duration(c.RefreshMargin) != record.DefaultRefreshMargin {
		t.Errorf("stored api: %+v", c)
	}
	if n := srv.Counts().Discovery; n != 1 {
		t.Errorf("%d discovery requests, want 1", n)
	}

	// A confidential client with its secret from stdin gets tokens.
	errOut.Reset()
	in.WriteString("s3cret\n")
	if err := profileAdd(t, d, "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials"); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Profile("ci"); p.OAuth.Scopes != nil || p.OAuth.K8sToken != record.K8sAccessToken || len(p.OAuth.ClientSecret) == 0 {
		t.Errorf("stored ci: %+v", p.OAuth)
	}
	if _, err := svc.Token(t.Context(), "ci", record.Options{}); err != nil {
		t.Errorf("ci gets no token: %v", err)
	}

	// A preset: GitHub's fixed endpoints, its notes on stderr, no discovery.
	errOut.Reset()
	discoveries := srv.Counts().Discovery
	if err := profileAdd(t, d, "gh2", "--provider", "github", "--client-id", "Iv1.x"); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Profile("gh2"); p.OAuth.Provider != "github" || !p.OAuth.ExplicitEndpoints || p.OAuth.Flow != record.FlowDevice {
		t.Errorf("stored gh2: %+v", p.OAuth)
	}
	if !strings.Contains(errOut.String(), "github: GitHub has no discovery document") || srv.Counts().Discovery != discoveries {
		t.Errorf("github preset: stderr %q, %d discoveries", errOut, srv.Counts().Discovery-discoveries)
	}

	// Refusals: usage errors (exit 2) in the words of the flags, or a
	// failed discovery (exit 1); nothing is stored.
	for _, tc := range []struct {
		argv []string
		code int
		want string
	}{
		{[]string{"bad", "--type", "static", "--issuer", srv.Issuer()}, ExitUsage, "--issuer applies to oauth and federated profiles only, and this one is static"},
		{[]string{"bad", "--type", "static", "--client-secret-stdin"}, ExitUsage, "OAuth flags (--issuer, --client-id, ...) need --type oauth"},
		{[]string{"bad", "--issuer", srv.Issuer()}, ExitUsage, "an oauth profile needs --client-id"},
		{[]string{"bad", "--issuer", srv.Issuer(), "--client-id", "svc", "--flow", "client-credentials"}, ExitUsage, "the client-credentials flow needs a client secret: add --client-secret or --client-secret-stdin"},
		{[]string{"bad", "--token-url", srv.TokenURL(), "--client-id", "cli", "--flow", "device"}, ExitUsage, "the provider has no device authorization endpoint, so --flow device cannot sign in"},
		{[]string{"bad", "--issuer", srv.Issuer(), "--client-id", "c", "--redirect-port", "70000"}, ExitUsage, "--redirect-port 70000 is not a port (0-65535)"},
		{[]string{"bad", "--issuer", srv.Issuer(), "--client-id", "c", "--auth-param", "x"}, ExitUsage, `--auth-param "x" is not KEY=VALUE`},
		{[]string{"bad", "--type", "static", "--shared-cache", "redis://h:6379/0"}, ExitUsage, "a static token has nothing to share"},
		{[]string{"bad", "--provider", "entra", "--client-id", "c"}, ExitUsage, "--provider entra needs --tenant"},
		{[]string{"b/d", "--type", "static"}, ExitUsage, `invalid profile name "b/d"`},
		{[]string{"bad", "--issuer", "http://127.0.0.1:1", "--client-id", "c"}, ExitError, "could not discover the endpoints of http://127.0.0.1:1 (check the URL, or add --no-discovery to try again at login)"},
	} {
		err := profileAdd(t, d, tc.argv...)
		if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("tok profile add %s: %v (exit %d), want exit %d and %q", strings.Join(tc.argv, " "), err, exitCode(err), tc.code, tc.want)
		}
	}
	names, _ := svc.ProfileNames()
	if !slices.Equal(names, []string{"api", "ci", "gh", "gh2"}) {
		t.Errorf("profiles after the refusals: %q", names)
	}
}
