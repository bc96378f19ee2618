//go:build unix

package e2e

import (
	"strings"
	"testing"
)

// TestProviderGitLab: --provider gitlab with a self-managed instance's URL
// takes it as the issuer, logs in with the device flow the instance's
// discovery lists (GitLab 17.2+ publishes /oauth/authorize_device), asks
// for the preset's scopes, and follows GitLab's refresh token rotation. An
// older instance without the device endpoint is refused at profile add,
// and --flow browser works there.
func TestProviderGitLab(t *testing.T) {
	t.Parallel()
	host := newFakeProviderHost(t)
	gl := host.serve(&fakeServer{authorize: "/oauth/authorize", token: "/oauth/token",
		device: "/oauth/authorize_device", revocation: "/oauth/revoke"})
	env := FileKeyEnv(t)
	r := Run(t, env, "", "profile", "add", "gl", "--provider", "gitlab", "--issuer", gl.Issuer(), "--client-id", "app-id")
	WantCode(t, r, 0)
	WantStderr(t, r, "self-managed GitLab", "17.2")
	show := RunOK(t, env, "", "profile", "show", "gl")
	if !contains(show, gl.Issuer(), "Flow:", "device", "openid read_user") {
		t.Errorf("profile show after --provider gitlab --issuer:\n%s", show)
	}

	w := StartWatched(t, env, "login", "-p", "gl", "--timeout", "20s")
	if code := w.WaitStderr(t, userCodeLine)[1]; code != "GLAB-CODE" {
		t.Errorf("user code %q, want the fake's", code)
	}
	WantCode(t, w.Wait(t), 0)
	gl.mu.Lock()
	if len(gl.devices) != 1 || gl.devices[0].Get("scope") != "openid read_user" || gl.devices[0].Get("client_id") != "app-id" {
		t.Errorf("device authorization requests %v, want one for app-id with scope \"openid read_user\"", gl.devices)
	}
	gl.mu.Unlock()
	if got := tokenOK(t, env, "gl"); got != "at-1" {
		t.Errorf("tok token = %q, want the device login's token", got)
	}
	// GitLab rotates refresh tokens: each renewal presents the newest.
	RunOK(t, env, "", "refresh", "-p", "gl")
	RunOK(t, env, "", "refresh", "-p", "gl")
	if got := tokenOK(t, env, "gl"); got != "at-3" {
		t.Errorf("tok token after two refreshes = %q, want at-3", got)
	}
	wantGrants(t, gl, "urn:ietf:params:oauth:grant-type:device_code", "refresh_token", "refresh_token")
	gl.wantNoReuse(t)

	old := newFakeProviderHost(t).serve(&fakeServer{authorize: "/oauth/authorize", token: "/oauth/token", revocation: "/oauth/revoke"})
	r = Run(t, env, "", "profile", "add", "old", "--provider", "gitlab", "--issuer", old.Issuer(), "--client-id", "app-id")
	WantCode(t, r, 2)
	WantStderr(t, r, "device", "browser")
	WantCode(t, Run(t, env, "", "profile", "add", "old", "--provider", "gitlab", "--issuer", old.Issuer(), "--client-id", "app-id", "--flow", "browser"), 0)
	browserLogin(t, env, "old")
	if q := old.lastAuthorize(t); q.Get("scope") != "openid read_user" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization request to the older GitLab: scope %q, PKCE %q", q.Get("scope"), q.Get("code_challenge_method"))
	}
}

// TestProviderOkta: Okta's org authorization server (https://ORG.okta.com)
// and a custom one (…/oauth2/default) live on one host with their own
// discovery documents and endpoints; the issuer given picks which one tok
// talks to, profile add says when it is the org server, and the preset's
// offline_access brings a refresh token that Okta rotates.
func TestProviderOkta(t *testing.T) {
	t.Parallel()
	host := newFakeProviderHost(t)
	org := host.serve(&fakeServer{authorize: "/oauth2/v1/authorize", token: "/oauth2/v1/token", revocation: "/oauth2/v1/revoke"})
	custom := host.serve(&fakeServer{prefix: "/oauth2/default", authorize: "/v1/authorize", token: "/v1/token", revocation: "/v1/revoke"})
	env := FileKeyEnv(t)

	r := Run(t, env, "", "profile", "add", "okta-org", "--provider", "okta", "--issuer", org.Issuer(), "--client-id", "0oa-native")
	WantCode(t, r, 0)
	WantStderr(t, r, "org authorization server", "--issuer "+host.URL+"/oauth2/default")
	r = Run(t, env, "", "profile", "add", "okta", "--provider", "okta", "--issuer", custom.Issuer(), "--client-id", "0oa-native")
	WantCode(t, r, 0)
	if strings.Contains(r.Stderr, "org authorization server") {
		t.Errorf("the custom authorization server was called the org server:\n%s", r.Stderr)
	}

	browserLogin(t, env, "okta")
	if q := custom.lastAuthorize(t); q.Get("scope") != "openid profile offline_access" || q.Get("client_id") != "0oa-native" {
		t.Errorf("authorization request: scope %q client_id %q; want the preset's scopes", q.Get("scope"), q.Get("client_id"))
	}
	if st := StatusOf(t, env, "okta"); !st.Refresh {
		t.Error("offline_access brought a refresh token that tok did not keep")
	}
	RunOK(t, env, "", "refresh", "-p", "okta")
	wantGrants(t, custom, "authorization_code", "refresh_token")
	custom.wantNoReuse(t)
	if got := org.grants(); len(got) != 0 {
		t.Errorf("the org server got token requests %q for the custom server's profile", got)
	}

	browserLogin(t, env, "okta-org")
	if org.lastAuthorize(t).Get("client_id") != "0oa-native" {
		t.Error("the org-server profile did not log in at the org server")
	}
	wantGrants(t, org, "authorization_code")
}

// TestProviderDex: the Dex preset's scopes (groups, offline_access) reach
// the authorization request and bring a refresh token; Dex publishes no
// revocation endpoint, so tok revoke says so and --local forgets.
func TestProviderDex(t *testing.T) {
	t.Parallel()
	dex := newFakeProviderHost(t).serve(&fakeServer{prefix: "/dex", authorize: "/auth", token: "/token", device: "/device/code"})
	env := FileKeyEnv(t)
	WantCode(t, Run(t, env, "", "profile", "add", "dex", "--provider", "dex", "--issuer", dex.Issuer(), "--client-id", "tok"), 0)
	browserLogin(t, env, "dex")
	if q := dex.lastAuthorize(t); q.Get("scope") != "openid profile email groups offline_access" {
		t.Errorf("authorization request scope %q, want the Dex preset's", q.Get("scope"))
	}
	if st := StatusOf(t, env, "dex"); !st.Refresh {
		t.Error("offline_access brought a refresh token that tok did not keep")
	}
	r := Run(t, env, "", "revoke", "-p", "dex")
	WantCode(t, r, 1)
	WantStderr(t, r, "no revocation endpoint", "tok revoke -p dex --local")
	if st := StatusOf(t, env, "dex"); !st.Refresh {
		t.Error("a refused revoke dropped the tokens")
	}
	RunOK(t, env, "", "revoke", "-p", "dex", "--local")
	if st := StatusOf(t, env, "dex"); st.Refresh {
		t.Error("tok revoke --local kept the refresh token")
	}
}

// TestProviderAuth0AndKeycloak: the Auth0 issuer with its trailing slash
// is taken as given; the Auth0 preset's --audience reaches the
// authorization request and the code exchange, and rotated refresh tokens
// are presented once; a Keycloak realm URL is the issuer,
// with Keycloak's endpoint paths under it.
func TestProviderAuth0AndKeycloak(t *testing.T) {
	t.Parallel()
	host := newFakeProviderHost(t)
	a0 := host.serve(&fakeServer{prefix: "/a0", slash: true, authorize: "/authorize", token: "/oauth/token", device: "/oauth/device/code", revocation: "/oauth/revoke"})
	kc := host.serve(&fakeServer{prefix: "/realms/dev", authorize: "/protocol/openid-connect/auth", token: "/protocol/openid-connect/token",
		device: "/protocol/openid-connect/auth/device", revocation: "/protocol/openid-connect/revoke"})
	env := FileKeyEnv(t)

	WantCode(t, Run(t, env, "", "profile", "add", "a0", "--provider", "auth0", "--issuer", a0.Issuer(), "--client-id", "native",
		"--audience", "https://api.example.com"), 0)
	browserLogin(t, env, "a0")
	if q := a0.lastAuthorize(t); q.Get("audience") != "https://api.example.com" || q.Get("scope") != "openid profile offline_access" {
		t.Errorf("auth0 authorization request: audience %q scope %q", q.Get("audience"), q.Get("scope"))
	}
	RunOK(t, env, "", "refresh", "-p", "a0")
	a0.mu.Lock()
	// The code exchange carries it too; the refresh keeps the grant's.
	if n := len(a0.tokens); n != 2 || a0.tokens[0].Get("audience") != "https://api.example.com" || a0.tokens[1].Get("grant_type") != "refresh_token" {
		t.Errorf("auth0 token requests: %d, the code exchange without the audience: %v", n, a0.tokens[0])
	}
	a0.mu.Unlock()
	a0.wantNoReuse(t)

	r := Run(t, env, "", "profile", "add", "kc", "--provider", "keycloak", "--issuer", kc.Issuer(), "--client-id", "tok")
	WantCode(t, r, 0)
	show := RunOK(t, env, "", "profile", "show", "kc")
	if !contains(show, kc.Issuer()) {
		t.Errorf("keycloak profile:\n%s", show)
	}
	browserLogin(t, env, "kc")
	if q := kc.lastAuthorize(t); q.Get("scope") != "openid profile" {
		t.Errorf("keycloak authorization request scope %q, want \"openid profile\" (no offline token)", q.Get("scope"))
	}
	kc.mu.Lock()
	if kc.discovery == 0 {
		t.Error("tok never read the realm's discovery document")
	}
	kc.mu.Unlock()
	wantGrants(t, kc, "authorization_code")
}
