//go:build unix

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// clientID is the public client every OAuth test registers.
const clientID = "tok"

// newAuthServer starts an in-process authorization server with the public
// client "tok" registered.
func newAuthServer(t testing.TB, opts authserver.Options) *authserver.Server {
	t.Helper()
	srv := authserver.New(t, opts)
	srv.AddClient(authserver.Client{ID: clientID})
	return srv
}

// addOAuth adds an OAuth profile for srv's client "tok" (plus extra flags).
func addOAuth(t testing.TB, env Env, name string, srv *authserver.Server, extra ...string) {
	t.Helper()
	args := append([]string{"profile", "add", name, "--issuer", srv.Issuer(), "--client-id", clientID}, extra...)
	RunOK(t, env, "", args...)
}

// loginOK signs in to profile name by the browser flow, the test's HTTP
// client standing in for the person.
func loginOK(t testing.TB, env Env, name string, srv *authserver.Server) {
	t.Helper()
	r := LoginBrowser(t, env, name, FollowRedirects(srv.HTTPClient()))
	WantCode(t, r, 0)
}

// tokenOK runs tok token -p name and returns the token it printed.
func tokenOK(t testing.TB, env Env, name string) string {
	t.Helper()
	return SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", name))
}

// slack is how far past a token's stale or expiry instant the tests move
// it, for the clocks of the test, tok and the server to agree.
const slack = 150 * time.Millisecond

// makeStale ages the tokens tok stored for profile name (see
// ageStoredTokens) until the access token is inside its refresh margin
// (the profile's margin, capped at half the token's lifetime as tok caps
// it): the next tok process sees a token due for a refresh, at once.
func makeStale(t testing.TB, env Env, name string, margin time.Duration) {
	t.Helper()
	st := storedState(t, env, name)
	if st.Expiry.IsZero() {
		t.Fatalf("profile %q has no token expiry to move", name)
	}
	margin = record.CapMargin(margin, st.Expiry.Sub(st.Obtained))
	ageStoredTokens(t, env, name, time.Until(st.Expiry.Add(-margin+slack)))
}

// makeExpired ages the tokens tok stored for profile name until the access
// token has expired.
func makeExpired(t testing.TB, env Env, name string) {
	t.Helper()
	makeStale(t, env, name, 0)
}

func TestOAuthBrowserLogin(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)

	r := Run(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer(), "--client-id", clientID)
	WantCode(t, r, 0)
	if got := srv.Counts().Discovery; got != 1 {
		t.Errorf("profile add fetched discovery %d times, want 1", got)
	}

	r = LoginBrowser(t, env, "api", FollowRedirects(srv.HTTPClient()))
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "api"`)
	if r.Stdout != "" {
		t.Errorf("login wrote to stdout: %s", r)
	}
	if c := srv.Counts(); c.Authorize != 1 || c.AuthorizationCode != 1 {
		t.Errorf("login made %d authorization and %d code exchange requests, want 1 and 1", c.Authorize, c.AuthorizationCode)
	}

	before := srv.Counts()
	tok := tokenOK(t, env, "api")
	if !srv.Introspect(tok) {
		t.Errorf("the token tok printed is not active at the server")
	}
	if after := srv.Counts(); after.TokenRequests() != before.TokenRequests() || after.Discovery != before.Discovery {
		t.Errorf("tok token with a valid token made requests: before %+v, after %+v", before, after)
	}
	stored := ReadStoredTokens(t, env, "api")
	if stored.Access != tok {
		t.Errorf("tok token printed a token other than the stored access token")
	}
	if !srv.Introspect(stored.Refresh) {
		t.Errorf("tok holds no active refresh token after a login with offline_access")
	}

	st := StatusOf(t, env, "api")
	if st.Status != "valid" || !st.Refresh || !st.IDToken || st.Type != "oauth" || st.Issuer != srv.Issuer() {
		t.Errorf("status after login = %+v, want an oauth profile of %s, valid, with refresh and ID tokens", st, srv.Issuer())
	}
	if st.ExpiresIn == nil || *st.ExpiresIn < 3000 {
		t.Errorf("status says the token expires in %v s, want about an hour", st.ExpiresIn)
	}
}

func TestOAuthBrowserLoginDenied(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	srv.SetDeny(true)
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv)

	r := LoginBrowser(t, env, "api", func(authURL string) error {
		resp, err := srv.HTTPClient().Get(authURL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	WantCode(t, r, 1)
	WantStderr(t, r, "access_denied")
	if st := StatusOf(t, env, "api"); st.Status != "login required" {
		t.Errorf("status after a denied login = %q, want login required", st.Status)
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	env := FileKeyEnv(t)

	var outputs []Result
	run := func(stdin string, args ...string) Result {
		t.Helper()
		r := Run(t, env, stdin, args...)
		outputs = append(outputs, r)
		return r
	}
	r := run(secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile")
	WantCode(t, r, 0)

	// No person is needed, so even the first tok token may fetch a token.
	r = run("", "token", "-p", "ci")
	WantCode(t, r, 0)
	tok := SingleLine(t, "tok token", r.Stdout)
	if !srv.Introspect(tok) {
		t.Errorf("the client credentials token is not active at the server")
	}
	if got := srv.Counts().ClientCredentials; got != 1 {
		t.Errorf("server saw %d client credentials requests, want 1", got)
	}
	r = run("", "token", "-p", "ci")
	WantCode(t, r, 0)
	if r.Stdout != tok+"\n" {
		t.Errorf("a second tok token fetched a new token instead of using the stored one")
	}

	WantCode(t, run("", "login", "-p", "ci"), 0)
	WantCode(t, run("", "refresh", "-p", "ci"), 0)
	if got := srv.Counts().ClientCredentials; got != 3 {
		t.Errorf("after login and refresh the server saw %d client credentials requests, want 3", got)
	}
	for _, args := range [][]string{{"status", "--json"}, {"status"}, {"profile", "show", "ci"}, {"profile", "list"}, {"token", "-p", "ci", "-o", "json"}, {"--debug", "token", "-p", "ci"}} {
		WantCode(t, run("", args...), 0)
	}

	for _, r := range outputs {
		if strings.Contains(r.Stdout, secret) || strings.Contains(r.Stderr, secret) {
			t.Errorf("the client secret appears in the output of %q", r.Args)
		}
	}
	db, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), secret) {
		t.Errorf("the client secret is stored in plain text in %s", env.DB())
	}
}

func TestOAuthTLSIssuer(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{TLS: true})
	env := FileKeyEnv(t)
	if !strings.HasPrefix(srv.Issuer(), "https://") {
		t.Fatalf("TLS server issuer %s is not https", srv.Issuer())
	}

	t.Run("without the CA the certificate is refused", func(t *testing.T) {
		r := Run(t, env, "", "profile", "add", "untrusted", "--issuer", srv.Issuer(), "--client-id", clientID)
		if r.Code == 0 {
			t.Fatalf("profile add trusted a self-signed issuer without --ca-file: %s", r)
		}
		WantNoCrash(t, r)
		WantStderr(t, r, "certificate signed by unknown authority")
	})

	t.Run("with --ca-file", func(t *testing.T) {
		addOAuth(t, env, "api", srv, "--ca-file", srv.CAFile())
		loginOK(t, env, "api", srv)
		if tok := tokenOK(t, env, "api"); !srv.Introspect(tok) {
			t.Errorf("the token tok printed is not active at the server")
		}
		// The refresh goes over TLS too.
		r := Run(t, env, "", "refresh", "-p", "api")
		WantCode(t, r, 0)
		if got := srv.Counts().RefreshToken; got != 1 {
			t.Errorf("server saw %d refresh requests, want 1", got)
		}
	})
}

func TestOAuthProfileAddRefused(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)

	t.Run("http issuer off loopback", func(t *testing.T) {
		r := Run(t, env, "", "profile", "add", "api", "--issuer", "http://id.example.com", "--client-id", clientID)
		WantCode(t, r, 2)
		WantStderr(t, r, "https")
	})

	t.Run("discovery failure", func(t *testing.T) {
		// A server that answers 404 to both discovery documents.
		srv := newAuthServer(t, authserver.Options{})
		r := Run(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer()+"/no-such-tenant", "--client-id", clientID)
		if r.Code == 0 {
			t.Fatalf("profile add succeeded without a discovery document: %s", r)
		}
		WantNoCrash(t, r)
		WantStderr(t, r, "discover", "/no-such-tenant")
	})

	t.Run("issuer not listening", func(t *testing.T) {
		r := Run(t, env, "", "profile", "add", "api", "--issuer", "http://127.0.0.1:1", "--client-id", clientID)
		if r.Code == 0 {
			t.Fatalf("profile add succeeded with an unreachable issuer: %s", r)
		}
		WantNoCrash(t, r)
		WantStderr(t, r, "127.0.0.1:1")
	})

	if r := Run(t, env, "", "profile", "list"); strings.Contains(r.Stdout+r.Stderr, "api") {
		t.Errorf("a refused profile add left a profile behind: %s", r)
	}
}

func TestOAuthRefreshRotation(t *testing.T) {
	t.Parallel()
	const ttl, margin = 3 * time.Second, time.Second
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--refresh-margin", margin.String())

	loginOK(t, env, "api", srv)
	first := ReadStoredTokens(t, env, "api")
	if tok := tokenOK(t, env, "api"); tok != first.Access {
		t.Fatalf("a fresh token was not returned as stored")
	}
	if got := srv.Counts().RefreshToken; got != 0 {
		t.Fatalf("a fresh token was refreshed (%d refresh requests)", got)
	}

	makeStale(t, env, "api", margin)
	second := tokenOK(t, env, "api")
	if got := srv.Counts().RefreshToken; got != 1 {
		t.Fatalf("tok token on a stale token made %d refresh requests, want 1", got)
	}
	if second == first.Access || !srv.Introspect(second) {
		t.Errorf("the refreshed token is the old one or not active")
	}
	stored := ReadStoredTokens(t, env, "api")
	if stored.Refresh == first.Refresh || stored.Refresh == "" {
		t.Errorf("the rotated refresh token was not stored")
	}
	if srv.Introspect(first.Refresh) {
		t.Errorf("the old refresh token is still active after rotation")
	}
	if again := tokenOK(t, env, "api"); again != second {
		t.Errorf("tok token right after a refresh refreshed again")
	}

	r := Run(t, env, "", "refresh", "-p", "api")
	WantCode(t, r, 0)
	WantStderr(t, r, `Refreshed profile "api"`, "valid until")
	if r.Stdout != "" {
		t.Errorf("tok refresh wrote to stdout: %s", r)
	}
	if got := srv.Counts().RefreshToken; got != 2 {
		t.Errorf("after tok refresh the server saw %d refresh requests, want 2", got)
	}
	if third := tokenOK(t, env, "api"); third == second || !srv.Introspect(third) {
		t.Errorf("tok refresh did not store a new active token")
	}
	if got := srv.Counts().RefreshToken; got != 2 {
		t.Errorf("tok token after tok refresh refreshed again")
	}
}

func TestOAuthRevoke(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv)
	loginOK(t, env, "api", srv)
	old := ReadStoredTokens(t, env, "api")
	if !srv.Introspect(old.Access) || !srv.Introspect(old.Refresh) {
		t.Fatalf("the tokens are not active before revocation")
	}

	r := Run(t, env, "", "revoke", "-p", "api")
	WantCode(t, r, 0)
	WantStderr(t, r, `Revoked the tokens of profile "api" at the provider and forgot them here.`)
	if srv.Introspect(old.Access) || srv.Introspect(old.Refresh) {
		t.Errorf("after tok revoke the server still has active tokens: access %v, refresh %v", srv.Introspect(old.Access), srv.Introspect(old.Refresh))
	}
	if got := srv.Counts().Revocation; got < 1 {
		t.Errorf("the revocation endpoint was not called")
	}
	if ReadStoredTokens(t, env, "api").HasState {
		t.Errorf("tok revoke kept the token state")
	}
	r = Run(t, env, "", "token", "-p", "api")
	WantCode(t, r, 4)
	WantStderr(t, r, "tok login -p api")
	if r.Stdout != "" {
		t.Errorf("tok token printed something after revoke: %s", r)
	}
	RunOK(t, env, "", "profile", "show", "api") // the configuration stays
}

func TestOAuthRevokeLocalWithoutServer(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	var old StoredTokens
	t.Run("log in while the server runs", func(t *testing.T) {
		srv := newAuthServer(t, authserver.Options{})
		addOAuth(t, env, "api", srv)
		loginOK(t, env, "api", srv)
		old = ReadStoredTokens(t, env, "api")
	}) // the server stops with this subtest

	r := Run(t, env, "", "revoke", "-p", "api")
	if r.Code == 0 {
		t.Fatalf("tok revoke claimed success with the server down: %s", r)
	}
	WantNoCrash(t, r)
	WantStderr(t, r, "--local")
	if got := ReadStoredTokens(t, env, "api"); got.Access != old.Access {
		t.Fatalf("a failed revoke changed the local state")
	}

	r = Run(t, env, "", "revoke", "-p", "api", "--local")
	WantCode(t, r, 0)
	WantStderr(t, r, "the provider was not told (--local)")
	if ReadStoredTokens(t, env, "api").HasState {
		t.Errorf("tok revoke --local kept the token state")
	}
	r = Run(t, env, "", "token", "-p", "api")
	WantCode(t, r, 4)
	WantStderr(t, r, "tok login -p api")
}

func TestOAuthRefreshTokenRevokedAtServer(t *testing.T) {
	t.Parallel()
	const ttl, margin = 2 * time.Second, time.Second
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--refresh-margin", margin.String())
	loginOK(t, env, "api", srv)
	before := ReadStoredTokens(t, env, "api")
	RevokeAtServer(t, srv.HTTPClient(), srv.RevocationURL(), clientID, before.Refresh)

	makeStale(t, env, "api", margin)
	r := Run(t, env, "", "token", "-p", "api")
	WantCode(t, r, 4)
	WantStderr(t, r, "its refresh token expired or was revoked); run: tok login -p api", "invalid_grant")
	if r.Stdout != "" {
		t.Errorf("tok token printed a token with a revoked refresh token: %s", r)
	}
	if got := srv.Counts().RefreshToken; got != 1 {
		t.Errorf("server saw %d refresh requests, want 1", got)
	}
	// The dead grant is recorded: the refresh token is dropped, the
	// access token kept, and the status says so.
	after := ReadStoredTokens(t, env, "api")
	if after.Gen != before.Gen+1 || after.HasRefresh || after.Access != before.Access {
		t.Errorf("the refused refresh was not recorded as such: gen %d→%d, refresh token kept %v, access token kept %v",
			before.Gen, after.Gen, after.HasRefresh, after.Access == before.Access)
	}
	if st := StatusOf(t, env, "api"); st.Status != "login required" || st.Refresh {
		t.Errorf("tok status after a refused refresh: %q (refresh token %v), want login required", st.Status, st.Refresh)
	}
	// Every later call fails at once, without a request.
	srv.ResetCounts()
	for _, args := range [][]string{{"token", "-p", "api"}, {"kube", "-p", "api"}, {"refresh", "-p", "api"}, {"exec", "-p", "api", "--", "true"}} {
		r := Run(t, env, "", args...)
		WantCode(t, r, 4)
		WantStderr(t, r, "refused the refresh token", "run: tok login -p api")
		if r.Stdout != "" {
			t.Errorf("%q printed something: %s", args, r)
		}
	}
	if c := srv.Counts(); c != (authserver.Counts{}) {
		t.Errorf("calls after the refusal contacted the server: %+v", c)
	}
	// A login clears it.
	loginOK(t, env, "api", srv)
	if st := StatusOf(t, env, "api"); st.Status != "valid" || !st.Refresh {
		t.Errorf("tok status after a new login: %q (refresh token %v), want valid with a refresh token", st.Status, st.Refresh)
	}
	tokenOK(t, env, "api")
}

func TestOAuthNoImplicitLogin(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv)
	srv.ResetCounts()

	for _, args := range [][]string{{"token", "-p", "api"}, {"exec", "-p", "api", "--", "true"}, {"kube", "-p", "api"}} {
		r := Run(t, env, "", args...)
		WantCode(t, r, 4)
		WantStderr(t, r, "login required", "run: tok login -p api")
		if r.Stdout != "" {
			t.Errorf("%q wrote to stdout: %s", args, r)
		}
		for _, sign := range []string{"http://", "listening", "browser"} {
			if strings.Contains(r.Stderr, sign) {
				t.Errorf("%q started a login (stderr mentions %q): %s", args, sign, r)
			}
		}
		if r.Elapsed > 2*time.Second {
			t.Errorf("%q took %s to fail; it must fail at once", args, r.Elapsed)
		}
	}
	if c := srv.Counts(); c != (authserver.Counts{}) {
		t.Errorf("a never-logged-in profile contacted the server: %+v", c)
	}
}

func TestOAuthServerDownDuringRefresh(t *testing.T) {
	t.Parallel()
	const ttl, margin = 6 * time.Second, 3 * time.Second
	env := FileKeyEnv(t)
	var tok string
	t.Run("server fails with 503", func(t *testing.T) {
		srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
		addOAuth(t, env, "api", srv, "--refresh-margin", margin.String())
		loginOK(t, env, "api", srv)
		tok = ReadStoredTokens(t, env, "api").Access

		srv.FailTokenRequests(503)
		makeStale(t, env, "api", margin)
		r := Run(t, env, "", "token", "-p", "api")
		WantCode(t, r, 0)
		if r.Stdout != tok+"\n" {
			t.Errorf("tok token did not return the still-valid token: %s", r)
		}
		if n := strings.Count(r.Stderr, "\n"); n != 1 {
			t.Errorf("want one warning line on stderr, got %d: %s", n, r)
		}
		WantStderr(t, r, "503")
		if got := srv.Counts().RefreshToken; got != 1 {
			t.Errorf("server saw %d refresh requests, want 1", got)
		}
	}) // the server stops here

	t.Run("server unreachable, token still valid", func(t *testing.T) {
		r := Run(t, env, "", "token", "-p", "api")
		WantCode(t, r, 0)
		if r.Stdout != tok+"\n" {
			t.Errorf("tok token did not return the still-valid token: %s", r)
		}
		if n := strings.Count(r.Stderr, "\n"); n != 1 {
			t.Errorf("want one warning line on stderr, got %d: %s", n, r)
		}
	})

	t.Run("server unreachable, token expired", func(t *testing.T) {
		makeExpired(t, env, "api")
		r := Run(t, env, "", "token", "-p", "api")
		WantCode(t, r, 1)
		WantStderr(t, r, "the connection to the provider was refused")
		if r.Stdout != "" {
			t.Errorf("tok token printed an expired token: %s", r)
		}
	})
}
