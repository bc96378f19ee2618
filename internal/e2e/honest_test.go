//go:build unix

package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// faultProxy stands in front of a token endpoint and, after Fail, answers
// the way a broken provider does. Down closes it: connection refused.
type faultProxy struct {
	srv  *httptest.Server
	path string
	mode atomic.Value // "", "503", "huge"
}

func newFaultProxy(t testing.TB, endpoint string) *faultProxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{path: u.Path}
	fp.mode.Store("")
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch fp.mode.Load() {
		case "503":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "huge":
			// A 200 whose body is larger than any token response.
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"`))
			w.Write([]byte(strings.Repeat("a", 3<<20)))
			w.Write([]byte(`","token_type":"Bearer","expires_in":3600}`))
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *faultProxy) URL() string       { return fp.srv.URL + fp.path }
func (fp *faultProxy) Fail(mode string)  { fp.mode.Store(mode) }
func (fp *faultProxy) Down(t testing.TB) { t.Helper(); fp.srv.Close() }

// wantNoRefreshed fails when r claims a refresh that did not happen, or
// says more than one line.
func wantNoRefreshed(t testing.TB, r Result) {
	t.Helper()
	if strings.Contains(r.Stderr, "Refreshed") {
		t.Errorf("a failed refresh said Refreshed: %s", r)
	}
	if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n != 0 {
		t.Errorf("the failure takes %d lines, want one: %s", n+1, r)
	}
	for _, internal := range []string{"context canceled", "dial tcp", "oauth2:", "deadline exceeded"} {
		if strings.Contains(r.Stderr, internal) {
			t.Errorf("the message shows Go's wording %q: %s", internal, r)
		}
	}
}

// TestRefreshFailureIsNotSuccess: tok refresh against a provider that is
// down, answers 503, or sends a huge reply exits 1 with the reason on one
// line and never says Refreshed; tok token meanwhile hands out the still
// valid token with one warning, as before. --debug adds the cause.
func TestRefreshFailureIsNotSuccess(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	fp := newFaultProxy(t, srv.TokenURL())
	env := FileKeyEnv(t)
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--token-url", fp.URL(), "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials")
	first := tokenOK(t, env, "ci")
	r := Run(t, env, "", "refresh", "ci")
	WantCode(t, r, 0)
	WantStderr(t, r, `Refreshed profile "ci", valid until `, "(in ")

	for _, tc := range []struct{ mode, reason string }{
		{"503", "the provider answered HTTP 503 Service Unavailable"},
		{"huge", "the provider's answer was not a usable token response"},
		{"down", "the connection to the provider was refused"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			if tc.mode == "down" {
				fp.Down(t)
			} else {
				fp.Fail(tc.mode)
			}
			r := Run(t, env, "", "refresh", "ci")
			WantCode(t, r, 1)
			wantNoRefreshed(t, r)
			WantStderr(t, r, `tok: could not refresh profile "ci" (`+tc.reason+`); its current token is unchanged, valid until `, "Next, try again later: tok refresh ci")

			r = Run(t, env, "", "refresh", "ci", "--debug")
			WantCode(t, r, 1)
			WantStderr(t, r, "tok: debug: cause: ")

			// tok token keeps today's behaviour: the valid token and one warning.
			r = Run(t, env, "", "token", "-p", "ci")
			WantCode(t, r, 0)
			if strings.TrimSpace(r.Stdout) == "" {
				t.Fatalf("tok token printed no token: %s", r)
			}
			_ = first
		})
	}
}

// TestRefreshInvalidGrant: a refresh token revoked at the server makes tok
// refresh exit 4 with the login command on one line, and tok refresh --all
// reports each profile and exits non-zero.
func TestRefreshInvalidGrant(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--flow", "browser")
	addOAuth(t, env, "ok", srv, "--flow", "browser")
	loginOK(t, env, "api", srv)
	loginOK(t, env, "ok", srv)
	RevokeAtServer(t, srv.HTTPClient(), srv.RevocationURL(), clientID, ReadStoredTokens(t, env, "api").Refresh)

	r := Run(t, env, "", "refresh", "api")
	WantCode(t, r, 4)
	wantNoRefreshed(t, r)
	WantStderr(t, r, `tok: login required: the provider refused to refresh profile "api" (invalid_grant`, "run: tok login -p api")

	r = Run(t, env, "", "refresh", "--all")
	WantCode(t, r, 4)
	// The refusal is recorded: no second request, the same plain line.
	WantStderr(t, r, `tok: login required: the provider refused the refresh token of profile "api" at `, "(invalid_grant); run: tok login -p api",
		`Refreshed profile "ok"`, "1 of 2 profiles were not refreshed")
}

// TestRefreshNeverLoggedIn: tok refresh of a profile that never signed in
// says it has no token yet and which command signs in.
func TestRefreshNeverLoggedIn(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--flow", "browser")
	r := Run(t, env, "", "refresh", "api")
	WantCode(t, r, 4)
	wantNoRefreshed(t, r)
	WantStderr(t, r, `profile "api" has no token yet; run: tok login -p api`)
	if strings.Contains(r.Stderr, "expired") {
		t.Errorf("a profile that never signed in is called expired: %s", r)
	}
}

// TestRevokeSaysWhatHappened: revoke on a static profile forgets the token
// and says it cannot revoke it (naming GitHub's settings for GH_TOKEN); on
// a profile without tokens it revokes nothing and says so; logout is the
// same command; an OAuth profile is revoked at the provider.
func TestRevokeSaysWhatHappened(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN")
	RunOK(t, env, "ghp_example\n", "login", "gh", "--with-token")

	r := Run(t, env, "", "revoke", "gh")
	WantCode(t, r, 0)
	WantStderr(t, r, `Forgot the token of profile "gh" on this machine. tok cannot revoke a static token; it stays valid until you revoke it at GitHub's token settings (https://github.com/settings/tokens).`)
	if strings.Contains(r.Stderr, "Revoked") {
		t.Errorf("revoke of a static token claims it was revoked: %s", r)
	}
	r = Run(t, env, "", "logout", "-p", "gh")
	WantCode(t, r, 0)
	WantStderr(t, r, `Profile "gh" holds no tokens; there was nothing to revoke.`)
	if strings.Contains(r.Stderr, "Revoked") {
		t.Errorf("revoke without tokens claims it revoked: %s", r)
	}

	addOAuth(t, env, "api", srv, "--flow", "browser")
	loginOK(t, env, "api", srv)
	access := ReadStoredTokens(t, env, "api").Access
	r = Run(t, env, "", "logout", "api")
	WantCode(t, r, 0)
	WantStderr(t, r, `Revoked the tokens of profile "api" at the provider and forgot them here.`)
	if srv.Introspect(access) {
		t.Error("the access token is still active at the provider after logout")
	}
}

// TestStaticExpiredWarns: a static token stored with --expires-at in the
// past, or a JWT whose exp has passed, gets a warning; a current one none.
func TestStaticExpiredWarns(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")
	r := Run(t, env, "tok-secret\n", "login", "-p", "gh", "--with-token", "--expires-at", "2020-01-01")
	WantCode(t, r, 0)
	WantStderr(t, r, `warning: the token stored for profile "gh" expired at 2020-01-01`, "tok token refuses it")

	// header {"alg":"none"}, claims {"exp":1577836800} (2020-01-01)
	expired := "eyJhbGciOiJub25lIn0.eyJleHAiOjE1Nzc4MzY4MDB9.sig"
	r = Run(t, env, expired+"\n", "login", "-p", "gh", "--with-token")
	WantCode(t, r, 0)
	WantStderr(t, r, `warning: the token stored for profile "gh" expired at 2020-01-01`, "its exp claim says so")

	// claims {"exp":4102444800} (2100-01-01)
	current := "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig"
	r = Run(t, env, current+"\n", "login", "-p", "gh", "--with-token")
	WantCode(t, r, 0)
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("a current JWT got a warning: %s", r)
	}
}
