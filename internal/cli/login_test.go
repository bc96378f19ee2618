package cli

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

func TestNewCmdLogin(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want loginOptions
		port int // -1: no --redirect-port
	}{
		{nil, loginOptions{}, -1},
		{[]string{"api", "--flow", "device", "--timeout", "2m"}, loginOptions{Profile: "api", Flow: "device", Timeout: 2 * time.Minute}, -1},
		{[]string{"-p", "api", "--redirect-port", "0", "--no-browser"}, loginOptions{Profile: "api", NoBrowser: true}, 0},
		{[]string{"--with-token", "--expires-at", "2026-12-31", "gh"}, loginOptions{Profile: "gh", WithToken: true, ExpiresAt: "2026-12-31"}, -1},
		{[]string{"--remote", "--username", "bob", "--password-stdin"}, loginOptions{Remote: true, Username: "bob", PasswordStdin: true}, -1},
	} {
		d, _, _, _, _ := testDeps(t, nil)
		got := parsed(t, d, newCmdLogin, tc.argv...)
		if got == nil {
			t.Fatalf("%q: runF not called", tc.argv)
		}
		port := got.RedirectPort
		got.RedirectPort = nil
		if *got != tc.want || (port == nil) != (tc.port < 0) || (port != nil && *port != tc.port) {
			t.Errorf("%q: parsed %+v (port %v), want %+v (port %d)", tc.argv, *got, port, tc.want, tc.port)
		}
	}
}

// TestLoginRunStatic stores a static profile's token from stdin and
// refuses to prompt off a terminal.
func TestLoginRunStatic(t *testing.T) {
	d, _, in, _, errOut := testDeps(t, nil)
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddProfile(t.Context(), tokens.Profile{Profile: record.Profile{Name: "gh", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "gh"}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--with-token") {
		t.Errorf("no terminal, no --with-token: %v", err)
	}
	in.WriteString("ghp_s3cret\n")
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "gh", WithToken: true, ExpiresAt: "2999-01-01"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), `Stored the token of profile "gh", valid until`) || strings.Contains(errOut.String(), "ghp_s3cret") {
		t.Errorf("stderr: %q", errOut)
	}
	cred, err := svc.Token(t.Context(), "gh", record.Options{})
	if err != nil || cred.Token != "ghp_s3cret" {
		t.Errorf("stored %+v, %v", cred, err)
	}
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "gh", Flow: "device"}); err == nil {
		t.Error("--flow for a static profile without a token on stdin succeeded")
	}
}

// TestLoginRunBrowser signs in with the browser flow against the
// in-process provider; the "browser" follows the start address, the
// provider approves and redirects to tok's loopback listener.
func TestLoginRunBrowser(t *testing.T) {
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "cli"})
	d, _, _, out, errOut := testDeps(t, map[string]string{"DISPLAY": ":0"})
	opened := make(chan error, 1)
	d.openBrowser = func(url string) error {
		go func() {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
			}
			opened <- err
		}()
		return nil
	}
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	p := tokens.Profile{
		Profile: record.Profile{Name: "web", Type: record.OAuth},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowBrowser},
			Issuer:        srv.Issuer(),
			Endpoints:     oauth.Endpoints{Issuer: srv.Issuer(), AuthURL: srv.AuthURL(), TokenURL: srv.TokenURL(), JWKSURL: srv.JWKSURL()},
			ClientID:      "cli",
			Scopes:        []string{"openid"}}}
	if err := svc.AddProfile(t.Context(), p, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "web", Timeout: time.Minute}); err != nil {
		t.Fatalf("%v; stderr %s", err, errOut)
	}
	if err := <-opened; err != nil {
		t.Errorf("the browser's requests: %v", err)
	}
	if !strings.Contains(errOut.String(), `Logged in to profile "web" as `+authserver.TestUser) || out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	if n := srv.Counts().AuthorizationCode; n != 1 {
		t.Errorf("%d authorization code exchanges, want 1", n)
	}
	if _, err := svc.Token(t.Context(), "web", record.Options{}); err != nil || srv.Counts().TokenRequests() != 1 {
		t.Errorf("token after login: %v, %d token requests", err, srv.Counts().TokenRequests())
	}
	// A flow the profile's provider cannot do is a usage error.
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "web", Flow: "sideways"}); exitCode(err) != ExitUsage {
		t.Errorf("--flow sideways: %v", err)
	}
	d.lingering.Wait()
}

// TestLoginTimeout: how long a login waits: the device code's own expiry,
// else the browser default, unless --timeout says.
func TestLoginTimeout(t *testing.T) {
	for _, tc := range []struct {
		given time.Duration
		flow  record.Flow
		want  time.Duration
	}{
		{0, record.FlowDevice, 0}, // the code's own expiry ends the wait
		{0, record.FlowBrowser, defaultBrowserTimeout},
		{2 * time.Second, record.FlowDevice, 2 * time.Second},
		{time.Minute, record.FlowBrowser, time.Minute},
	} {
		if got := loginTimeout(tc.given, tc.flow); got != tc.want {
			t.Errorf("loginTimeout(%s, %s) = %s, want %s", tc.given, tc.flow, got, tc.want)
		}
	}
}

// TestStaticExpiryWarning: storing a static token that has already
// expired, by --expires-at or by a JWT's exp claim, warns; a current one,
// an opaque one or a JWT without exp does not.
func TestStaticExpiryWarning(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	jwtWith := func(claims string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
	}
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	for _, tc := range []struct {
		token   string
		expires time.Time
		want    string
	}{
		{"ghp_x", past, `warning: the token stored for profile "gh" expired at ` + when.Format(past, now) + `; tok token refuses it (unless --allow-expired). Store a current one with: tok login -p gh --with-token`},
		{jwtWith(fmt.Sprintf(`{"exp":%d}`, past.Unix())), time.Time{}, `warning: the token stored for profile "gh" expired at ` + when.Format(past, now) + `; its exp claim says so, and its issuer will likely refuse it. Store a current one with: tok login -p gh --with-token`},
		{jwtWith(fmt.Sprintf(`{"exp":%d}`, past.Unix())), future, ""}, // --expires-at wins over the claim
		{jwtWith(fmt.Sprintf(`{"exp":%d}`, future.Unix())), time.Time{}, ""},
		{jwtWith(`{"sub":"x"}`), time.Time{}, ""},
		{"ghp_x", time.Time{}, ""},
		{"ghp_x", future, ""},
	} {
		if got := staticExpiryWarning("gh", tc.token, tc.expires, now); got != tc.want {
			t.Errorf("token %.20s… expires %v:\n got  %q\n want %q", tc.token, tc.expires, got, tc.want)
		}
	}
}
