package cli

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

// memoryApp is an app on an in-memory database and key, off a terminal.
func memoryApp(t *testing.T) (*Deps, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, in, _, errOut := iostreams.Test()
	d := newDeps(ios, func(string) string { return "" })
	svc, err := d.newService(store.NewMemory(), &keysource.Memory{}, "")
	if err != nil {
		t.Fatal(err)
	}
	d.svc = svc
	return d, in, errOut
}

// run runs one tok command line in process and returns its exit code.
func (d *Deps) run(args ...string) int {
	d.ran = false
	root := NewRootCmd(d)
	root.SetArgs(args)
	return d.finish(root.ExecuteContext(context.Background()))
}

func TestSetSpecAppliesOnlyGivenFlags(t *testing.T) {
	stored := tokens.Profile{Name: "api", Type: record.OAuth, Description: "old", Env: []string{"API_TOKEN"},
		OAuth: &tokens.OAuthConfig{Issuer: "https://id.example.com", ClientID: "tok", Scopes: []string{"openid"}, Flow: tokens.FlowDevice,
			RefreshMargin: record.Duration(2 * time.Minute), RedirectPort: 8400, AuthParams: map[string]string{"prompt": "login"}}}
	for _, tc := range []struct {
		args  []string
		check func(s tokens.ProfileSpec) bool
	}{
		{[]string{"--description", "new"}, func(s tokens.ProfileSpec) bool {
			return s.Description == "new" && s.ClientID == "tok" && s.Flow == tokens.FlowDevice && s.RedirectPort == 8400 &&
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
			var parsed profileOptions
			f := pflag.NewFlagSet("set", pflag.ContinueOnError)
			registerProfileSettings(f, &parsed)
			f.String("home", "", "a global flag")
			if err := f.Parse(append(tc.args, "--home", "/x")); err != nil {
				t.Fatal(err)
			}
			s, err := setSpec(stored, &parsed, f)
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

func TestProfileSetNeedsAFlag(t *testing.T) {
	d, _, errOut := memoryApp(t)
	if code := d.run("profile", "add", "gh", "--type", "static"); code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	errOut.Reset()
	if code := d.run("profile", "set", "gh"); code != ExitUsage || !strings.Contains(errOut.String(), "needs the settings to change") {
		t.Errorf("profile set without flags: exit %d, %s", code, errOut)
	}
	errOut.Reset()
	if code := d.run("profile", "set", "nope", "--description", "x"); code == 0 || !strings.Contains(errOut.String(), `"nope"`) {
		t.Errorf("profile set of a missing profile: exit %d, %s", code, errOut)
	}
}

// TestRunProfileSet changes profiles in process: settings that do not
// change what a token is keep the tokens (and the client secret); a new
// scope set or client drops them and says a login is needed.
func TestRunProfileSet(t *testing.T) {
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "s3cret"})
	srv.AddClient(authserver.Client{ID: "other", Secret: "0ther"})
	d, in, errOut := memoryApp(t)
	ctx := context.Background()
	in.WriteString("s3cret\n")
	if code := d.run("profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile"); code != 0 {
		t.Fatalf("add: %s", errOut)
	}
	first, err := d.svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := func(args ...string) error {
		errOut.Reset()
		var parsed profileOptions
		f := pflag.NewFlagSet("set", pflag.ContinueOnError)
		registerProfileSettings(f, &parsed)
		if err := f.Parse(args); err != nil {
			t.Fatal(err)
		}
		return runProfileSet(ctx, &profileSetOptions{ErrOut: errOut, Service: d.service, Build: d.buildProfile, Name: "ci", Flags: &parsed, Given: f})
	}

	discoveries := srv.Counts().Discovery
	if err := set("--description", "CI robot", "--redirect-port", "8400"); err != nil {
		t.Fatal(err)
	}
	if want := `Updated oauth profile "ci"; its tokens were kept (same provider, client and scopes).`; strings.TrimSpace(errOut.String()) != want {
		t.Errorf("got %q, want %q", errOut, want)
	}
	if srv.Counts().Discovery != discoveries {
		t.Error("a change of description discovered the issuer again")
	}
	p, _ := d.svc.Profile("ci")
	if p.Description != "CI robot" || p.OAuth.RedirectPort != 8400 || p.OAuth.Endpoints.TokenURL != srv.TokenURL() || !slices.Equal(p.OAuth.Scopes, []string{"profile"}) {
		t.Errorf("profile after set: %+v %+v", p, p.OAuth)
	}
	again, err := d.svc.Token(ctx, "ci", record.Options{})
	if err != nil || again.Token != first.Token {
		t.Errorf("the kept token is not handed out: %v", err)
	}

	if err := set("--scopes", "profile,email"); err != nil {
		t.Fatal(err)
	}
	WantLine(t, errOut.String(), `Updated oauth profile "ci"; its tokens were deleted, since they came from another provider, client or scope set, so a login is needed. Next: tok login -p ci`)
	if st := StoredStatus(t, d, "ci"); st.HasRefresh || !st.Expiry.IsZero() {
		t.Errorf("tokens left after a scope change: %+v", st)
	}

	err = set("--client-id", "other")
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("a new client without its secret: %v", err)
	}
	if p, _ := d.svc.Profile("ci"); p.OAuth.ClientID != "svc" {
		t.Errorf("a refused set changed the client to %q", p.OAuth.ClientID)
	}
	in.WriteString("0ther\n")
	if err := set("--client-id", "other", "--client-secret-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Token(ctx, "ci", record.Options{}); err != nil {
		t.Errorf("the new client with its new secret gets no token: %v", err)
	}
}

// WantLine fails unless out, trimmed, is exactly want.
func WantLine(t *testing.T, out, want string) {
	t.Helper()
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// StoredStatus is what tok status reports about a profile.
func StoredStatus(t *testing.T, d *Deps, name string) tokens.ProfileStatus {
	t.Helper()
	ps, err := d.svc.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
