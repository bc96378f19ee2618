package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdToken(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		want    tokenOptions
		wantErr string
	}{
		{argv: nil, want: tokenOptions{Output: "raw"}},
		{argv: []string{"api"}, want: tokenOptions{Profile: "api", Output: "raw"}},
		{argv: []string{"-p", "api", "-o", "json"}, want: tokenOptions{Profile: "api", Output: "json"}},
		{argv: []string{"-p=api", "-o=header"}, want: tokenOptions{Profile: "api", Output: "header"}},
		{argv: []string{"--allow-expired", "gh", "-p", "gh"}, want: tokenOptions{Profile: "gh", Output: "raw", AllowExpired: true}},
		{argv: []string{"--issuer", "https://id.example.com", "--client-id", "ci", "--scopes", "a,b", "-o", "env"},
			want: tokenOptions{Output: "env", Ephemeral: ephemeralOptions{issuer: "https://id.example.com", clientID: "ci", scopes: []string{"a", "b"}, refreshMargin: record.DefaultRefreshMargin}}},
		{argv: []string{"a", "b"}, wantErr: "takes at most one profile name"},
		{argv: []string{"-p", "a", "b"}, wantErr: "name different profiles"},
		{argv: []string{"--output"}, wantErr: "flag needs an argument"},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			d, _, _, _, _ := testDeps(t, nil)
			var got *tokenOptions
			err := parseCmd(d, newCmdToken(d, func(o *tokenOptions) error { got = o; return nil }), tc.argv...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			if got.Profile != tc.want.Profile || got.Output != tc.want.Output || got.AllowExpired != tc.want.AllowExpired ||
				got.Ephemeral.issuer != tc.want.Ephemeral.issuer || got.Ephemeral.clientID != tc.want.Ephemeral.clientID ||
				strings.Join(got.Ephemeral.scopes, ",") != strings.Join(tc.want.Ephemeral.scopes, ",") ||
				got.Ephemeral.refreshMargin != record.DefaultRefreshMargin {
				t.Errorf("parsed %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestTokenRun(t *testing.T) {
	srv := svcServer(t)
	d, now, _, out, errOut := testDeps(t, nil)
	ctx := t.Context()
	addClientCredentials(t, d, srv, "ci")

	if err := d.runToken(ctx, &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	first := strings.TrimSuffix(out.String(), "\n")
	if first == "" || first+"\n" != out.String() || !srv.Introspect(first) {
		t.Fatalf("printed %q, not an active token and a newline", out)
	}
	if n := srv.Counts().ClientCredentials; n != 1 {
		t.Fatalf("%d client-credentials requests, want 1", n)
	}

	// The stored token serves again without a request, in JSON this time.
	out.Reset()
	if err := d.runToken(ctx, &tokenOptions{Profile: "ci", Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Profile, Token string
		ExpiresIn      int64 `json:"expires_in"`
	}
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || j.Profile != "ci" || j.Token != first || j.ExpiresIn <= 0 {
		t.Fatalf("json output %s (%v)", out, err)
	}
	if n := srv.Counts().TokenRequests(); n != 1 {
		t.Errorf("the cached token made %d token requests, want 1", n)
	}

	// Inside its refresh margin with the server failing, the current
	// token serves and the warning reaches stderr whole.
	*now = now.Add(time.Hour - 30*time.Second)
	srv.FailTokenRequests(500)
	out.Reset()
	if err := d.runToken(ctx, &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	if out.String() != first+"\n" {
		t.Errorf("a failed refresh printed %q, want the current token", out)
	}
	if !strings.Contains(errOut.String(), `warning: could not refresh profile "ci"`) {
		t.Errorf("stderr lacks the refresh warning: %q", errOut)
	}
	srv.FailTokenRequests(0)

	// Unknown format: a usage error before any request.
	if err := d.runToken(ctx, &tokenOptions{Profile: "ci", Output: "yaml"}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), `unknown output format "yaml"`) {
		t.Errorf("-o yaml: %v (exit %d)", err, exitCode(err))
	}
	// An unknown profile is named in the error.
	if err := d.runToken(ctx, &tokenOptions{Profile: "nope", Output: "raw"}); err == nil || exitCode(err) == ExitOK || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown profile: %v (exit %d)", err, exitCode(err))
	}
}

// TestTokenRunProfilePrecedence: the argument or -p, else TOK_PROFILE,
// else TOK_ISSUER's ephemeral profile, else the stored default.
func TestTokenRunProfilePrecedence(t *testing.T) {
	srv := svcServer(t)
	vars := map[string]string{}
	d, _, _, out, _ := testDeps(t, vars)
	svc, _ := d.service()
	// No profile selected yet, off a terminal: exit 2.
	if err := d.runToken(t.Context(), &tokenOptions{Output: "raw"}); exitCode(err) != ExitUsage {
		t.Errorf("no profile: %v (exit %d)", err, exitCode(err))
	}
	addClientCredentials(t, d, srv, "a")
	addClientCredentials(t, d, srv, "b")
	if err := svc.SetDefault("a"); err != nil {
		t.Fatal(err)
	}
	profileOf := func(opts tokenOptions) string {
		t.Helper()
		out.Reset()
		opts.Output = "json"
		if err := d.runToken(t.Context(), &opts); err != nil {
			t.Fatalf("%+v with %v: %v", opts, vars, err)
		}
		var j struct{ Profile string }
		if err := json.Unmarshal(out.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		return j.Profile
	}
	if got := profileOf(tokenOptions{}); got != "a" {
		t.Errorf("default: %q", got)
	}
	vars["TOK_PROFILE"] = "b"
	if got := profileOf(tokenOptions{}); got != "b" {
		t.Errorf("TOK_PROFILE=b over the default: %q", got)
	}
	if got := profileOf(tokenOptions{Profile: "a"}); got != "a" {
		t.Errorf("-p a over TOK_PROFILE: %q", got)
	}
	delete(vars, "TOK_PROFILE")
	vars["TOK_ISSUER"], vars["TOK_CLIENT_ID"], vars["TOK_CLIENT_SECRET"] = srv.Issuer(), "svc", "s3cret"
	before := srv.Counts().ClientCredentials
	if got := profileOf(tokenOptions{}); got != ephemeralProfile {
		t.Errorf("TOK_ISSUER over the stored default: %q", got)
	}
	if srv.Counts().ClientCredentials != before+1 {
		t.Error("the ephemeral profile made no token request of its own")
	}
	if got := profileOf(tokenOptions{Profile: "b"}); got != "b" {
		t.Errorf("-p b over TOK_ISSUER: %q", got)
	}
	vars["TOK_PROFILE"] = "b"
	if got := profileOf(tokenOptions{}); got != "b" {
		t.Errorf("TOK_PROFILE=b over TOK_ISSUER: %q", got)
	}
	// The ephemeral profile never reached the database.
	if _, err := svc.Profile(ephemeralProfile); err == nil {
		t.Error("the ephemeral profile was stored")
	}
	// -p together with --issuer is a mistake.
	err := d.runToken(t.Context(), &tokenOptions{Profile: "a", Output: "raw", Ephemeral: ephemeralOptions{issuer: srv.Issuer()}})
	if exitCode(err) != ExitUsage {
		t.Errorf("-p with --issuer: %v (exit %d)", err, exitCode(err))
	}
}

// TestTokenRunLoginRequired: a profile that needs a person, off a
// terminal, fails with exit 4 and names the command to run.
func TestTokenRunLoginRequired(t *testing.T) {
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "cli"})
	d, _, _, out, _ := testDeps(t, nil)
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	p := tokens.Profile{
		Profile: record.Profile{Name: "web", Type: record.OAuth},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowBrowser},
			Issuer:        srv.Issuer(),
			Endpoints:     oauth.Endpoints{Issuer: srv.Issuer(), AuthURL: srv.AuthURL(), TokenURL: srv.TokenURL()},
			ClientID:      "cli"}}
	if err := svc.AddProfile(t.Context(), p, ""); err != nil {
		t.Fatal(err)
	}
	err = d.runToken(t.Context(), &tokenOptions{Profile: "web", Output: "raw"})
	if exitCode(err) != ExitLoginRequired || !strings.Contains(err.Error(), "tok login -p web") {
		t.Errorf("got %v (exit %d), want login required naming tok login -p web", err, exitCode(err))
	}
	if out.Len() != 0 || srv.Counts().TokenRequests() != 0 {
		t.Errorf("stdout %q, %d token requests", out, srv.Counts().TokenRequests())
	}
}
