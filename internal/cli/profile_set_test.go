package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdProfileSet(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	o := parsed(t, d, newCmdProfileSet, "api", "--description", "new", "--home", t.TempDir(), "--scopes", "a,b", "--client-secret-stdin")
	if o.Name != "api" || !slices.Equal(o.Changed, []string{"client-secret-stdin", "description", "scopes"}) ||
		o.Settings.description != "new" || !slices.Equal(o.Settings.scopes, []string{"a", "b"}) || !o.Settings.clientSecretIn {
		t.Errorf("parsed %+v", o)
	}
	if o := parsed(t, d, newCmdProfileSet, "api"); len(o.Changed) != 0 {
		t.Errorf("no flags: changed %q", o.Changed)
	}
	if err := parseCmd(d, newCmdProfileSet(d, nil), "--description", "x"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "takes a profile name") {
		t.Errorf("no name: %v", err)
	}
}

func TestSetSpecAppliesOnlyGivenFlags(t *testing.T) {
	stored := tokens.Profile{
		Profile:     record.Profile{Name: "api", Type: record.OAuth, Env: []string{"API_TOKEN"}},
		Description: "old",
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowDevice, RefreshMargin: record.Duration(2 * time.Minute)},
			Issuer:        "https://id.example.com", ClientID: "tok", Scopes: []string{"openid"}, RedirectPort: 8400, AuthParams: map[string]string{"prompt": "login"}}}
	d, _, _, _, _ := testDeps(t, nil)
	for _, tc := range []struct {
		args  []string
		check func(s tokens.ProfileSpec) bool
	}{
		{[]string{"--description", "new"}, func(s tokens.ProfileSpec) bool {
			return s.Description == "new" && s.ClientID == "tok" && s.Flow == record.FlowDevice && s.RedirectPort == 8400 &&
				s.RefreshMargin == 2*time.Minute && slices.Equal(s.Env, []string{"API_TOKEN"}) && s.AuthParams["prompt"] == "login" && len(s.AuthParams) == 1
		}},
		{[]string{"--redirect-port", "0"}, func(s tokens.ProfileSpec) bool { return s.RedirectPort == 0 && s.Description == "old" }},
		{[]string{"--env", "A", "--env", "B"}, func(s tokens.ProfileSpec) bool { return slices.Equal(s.Env, []string{"A", "B"}) }},
		{[]string{"--scopes", "openid,groups"}, func(s tokens.ProfileSpec) bool { return slices.Equal(s.Scopes, []string{"openid", "groups"}) }},
		{[]string{"--auth-param", "acr_values=2"}, func(s tokens.ProfileSpec) bool { return len(s.AuthParams) == 1 && s.AuthParams["acr_values"] == "2" }},
		{[]string{"--type", "static"}, func(s tokens.ProfileSpec) bool {
			return s.Type == record.Static && s.ClientID == "" && s.Issuer == "" && s.Scopes == nil && s.Description == "old"
		}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o := parsed(t, d, newCmdProfileSet, append([]string{"api"}, tc.args...)...)
			s, err := setSpec(stored, &o.Settings, o.given)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Errorf("spec after %v: %+v", tc.args, s)
			}
		})
	}
	if stored.OAuth.AuthParams["prompt"] != "login" || len(stored.OAuth.AuthParams) != 1 {
		t.Errorf("setSpec changed the stored profile's map: %v", stored.OAuth.AuthParams)
	}
}

// TestProfileSetRun changes profiles in process: settings that do not
// change what a token is keep the tokens (and the client secret); a new
// scope set or client drops them and says a login is needed.
func TestProfileSetRun(t *testing.T) {
	srv := svcServer(t)
	srv.AddClient(authserver.Client{ID: "other", Secret: "0ther"})
	d, _, in, _, errOut := testDeps(t, nil)
	ctx := t.Context()
	in.WriteString("s3cret\n")
	if err := profileAdd(t, d, "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile"); err != nil {
		t.Fatal(err)
	}
	svc, _ := d.service()
	first, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := func(args ...string) error {
		errOut.Reset()
		return d.runProfileSet(ctx, parsed(t, d, newCmdProfileSet, append([]string{"ci"}, args...)...))
	}

	if err := set(); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "needs the settings to change") {
		t.Errorf("profile set without flags: %v", err)
	}
	if err := set("--description", "x", "--home", "/elsewhere"); err != nil {
		t.Fatal(err)
	}
	if err := d.runProfileSet(ctx, parsed(t, d, newCmdProfileSet, "nope", "--description", "x")); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("profile set of a missing profile: %v", err)
	}

	discoveries := srv.Counts().Discovery
	if err := set("--description", "CI robot", "--redirect-port", "8400"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Updated oauth profile "ci"; its tokens were kept (same provider, client and scopes).`)
	if srv.Counts().Discovery != discoveries {
		t.Error("a change of description discovered the issuer again")
	}
	p, _ := svc.Profile("ci")
	if p.Description != "CI robot" || p.OAuth.RedirectPort != 8400 || p.OAuth.Endpoints.TokenURL != srv.TokenURL() || !slices.Equal(p.OAuth.Scopes, []string{"profile"}) {
		t.Errorf("profile after set: %+v %+v", p, p.OAuth)
	}
	again, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil || again.Token != first.Token {
		t.Errorf("the kept token is not handed out: %v", err)
	}

	if err := set("--scopes", "profile,email"); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Updated oauth profile "ci"; its tokens were deleted, since they came from another provider, client or scope set, so a login is needed. Next: tok login -p ci`)
	if st := storedStatus(t, d, "ci"); st.HasRefresh || !st.Expiry.IsZero() {
		t.Errorf("tokens left after a scope change: %+v", st)
	}

	err = set("--client-id", "other")
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("a new client without its secret: %v", err)
	}
	if p, _ := svc.Profile("ci"); p.OAuth.ClientID != "svc" {
		t.Errorf("a refused set changed the client to %q", p.OAuth.ClientID)
	}
	in.WriteString("0ther\n")
	if err := set("--client-id", "other", "--client-secret-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, "ci", record.Options{}); err != nil {
		t.Errorf("the new client with its new secret gets no token: %v", err)
	}

	// A new issuer is discovered again; a bad one changes nothing.
	if err := set("--issuer", "http://127.0.0.1:1"); exitCode(err) != ExitError || !strings.Contains(err.Error(), "could not discover") {
		t.Errorf("unreachable issuer: %v", err)
	}
	if p, _ := svc.Profile("ci"); p.OAuth.Issuer != srv.Issuer() {
		t.Errorf("a refused set changed the issuer to %q", p.OAuth.Issuer)
	}
	// Static keeps no OAuth settings, and refuses the shared cache.
	if err := set("--type", "static", "--shared-cache", "redis://h:6379/0"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "a static token has nothing to share") {
		t.Errorf("static with a shared cache: %v", err)
	}
}
