//go:build unix

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// fakeGitHub emulates GitHub's OAuth endpoints for the device flow, quirks
// included: no discovery document, a device code response that is
// form-encoded unless the request accepts JSON, token responses
// form-encoded with errors under HTTP 200.
type fakeGitHub struct {
	*httptest.Server
	mu        sync.Mutex
	discovery int
	polls     int
	accepts   []string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.discovery++
		f.mu.Unlock()
		http.NotFound(w, r)
	})
	mux.HandleFunc("POST /login/device/code", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.accepts = append(f.accepts, r.Header.Get("Accept"))
		f.mu.Unlock()
		v := url.Values{"device_code": {"dc-1"}, "user_code": {"WDJB-MJHT"}, "verification_uri": {f.URL + "/login/device"},
			"expires_in": {"899"}, "interval": {"1"}}
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "dc-1", "user_code": "WDJB-MJHT",
				"verification_uri": f.URL + "/login/device", "expires_in": 899, "interval": 1})
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		fmt.Fprint(w, v.Encode())
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.polls++
		n := f.polls
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if r.PostForm.Get("device_code") != "dc-1" || r.PostForm.Get("client_id") != "Iv1.tok" {
			fmt.Fprint(w, "error=incorrect_client_credentials")
			return
		}
		if n == 1 { // GitHub answers a pending authorization with HTTP 200
			fmt.Fprint(w, "error=authorization_pending&error_description=The+authorization+request+is+still+pending.")
			return
		}
		fmt.Fprint(w, "access_token=ghu_fromfake&expires_in=28800&refresh_token=ghr_fromfake&refresh_token_expires_in=15811200&scope=&token_type=bearer")
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// TestProviderGitHub: --provider github uses fixed endpoints (no
// discovery; here overridden to the fake, as any field can be), the device
// flow, and copes with GitHub's form-encoded answers.
func TestProviderGitHub(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	env := FileKeyEnv(t)
	r := Run(t, env, "", "profile", "add", "gh", "--provider", "github", "--client-id", "Iv1.tok",
		"--auth-url", gh.URL+"/login/oauth/authorize", "--token-url", gh.URL+"/login/oauth/access_token",
		"--device-auth-url", gh.URL+"/login/device/code")
	WantCode(t, r, 0)
	WantStderr(t, r, "no discovery document")
	show := RunOK(t, env, "", "profile", "show", "gh")
	if !contains(show, "Flow:", "device", gh.URL+"/login/oauth/access_token") {
		t.Errorf("profile show after --provider github:\n%s", show)
	}

	w := StartWatched(t, env, "login", "-p", "gh", "--timeout", "20s")
	if code := w.WaitStderr(t, userCodeLine)[1]; code != "WDJB-MJHT" {
		t.Errorf("user code %q, want the fake's", code)
	}
	WantCode(t, w.Wait(t), 0)
	if got := tokenOK(t, env, "gh"); got != "ghu_fromfake" {
		t.Errorf("tok token = %q, want the fake's token", got)
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.discovery != 0 {
		t.Errorf("tok asked GitHub for a discovery document %d times", gh.discovery)
	}
	if len(gh.accepts) != 1 || !strings.Contains(gh.accepts[0], "application/json") {
		t.Errorf("device code requests sent Accept %q, want one asking for JSON", gh.accepts)
	}
	if st := StatusOf(t, env, "gh"); !st.Refresh {
		t.Error("the GitHub App user token's refresh token was not kept")
	}
}

// TestProviderGoogle: --provider google asks for a refresh token Google's
// way (access_type=offline and prompt=consent, no offline_access scope)
// and needs the installed app's client secret.
func TestProviderGoogle(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "desktop.apps.googleusercontent.com", Secret: secret})
	env := FileKeyEnv(t)
	r := Run(t, env, "", "profile", "add", "g", "--provider", "google", "--issuer", srv.Issuer(), "--client-id", "desktop.apps.googleusercontent.com")
	WantCode(t, r, 2)
	WantStderr(t, r, "need their client secret", "--client-secret-stdin")

	WantCode(t, Run(t, env, secret+"\n", "profile", "add", "g", "--provider", "google", "--issuer", srv.Issuer(),
		"--client-id", "desktop.apps.googleusercontent.com", "--client-secret-stdin"), 0)
	follow := FollowRedirects(srv.HTTPClient())
	r = LoginBrowser(t, env, "g", func(authURL string) error {
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		q := u.Query()
		if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("scope") != "openid email" {
			t.Errorf("authorization request: access_type=%q prompt=%q scope=%q; want offline, consent, \"openid email\"",
				q.Get("access_type"), q.Get("prompt"), q.Get("scope"))
		}
		return follow(authURL)
	})
	WantCode(t, r, 0)
}

// TestProviderPresetsNeedTheirParts: presets whose issuer differs per
// deployment say what to give; what is given overrides the preset; notes
// and warnings come at profile add.
func TestProviderPresetsNeedTheirParts(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "keycloak"}, "realms/REALM"},
		{[]string{"--provider", "auth0"}, "YOUR-TENANT.auth0.com"},
		{[]string{"--provider", "okta"}, "oauth2/default"},
		{[]string{"--provider", "entra", "--no-discovery"}, "--tenant"},
		{[]string{"--provider", "gitlab", "--tenant", "x"}, "--tenant is for --provider entra"},
		{[]string{"--provider", "entra", "--tenant", "../x", "--no-discovery"}, "not a tenant"},
		{[]string{"--provider", "hydra"}, "github, gitlab, google, entra, auth0, okta, keycloak, dex"},
	} {
		r := Run(t, env, "", append([]string{"profile", "add", "p", "--client-id", clientID}, tc.args...)...)
		WantCode(t, r, 2)
		WantStderr(t, r, tc.want)
	}

	// A preset makes an oauth profile, which needs its client.
	r := Run(t, env, "", "profile", "add", "p", "--provider", "github")
	WantCode(t, r, 2)
	WantStderr(t, r, "needs --client-id")

	r = Run(t, env, "", "profile", "add", "kc", "--provider", "keycloak", "--issuer", srv.Issuer(), "--client-id", clientID)
	WantCode(t, r, 0)
	WantStderr(t, r, "offline token")
	if show := RunOK(t, env, "", "profile", "show", "kc"); !contains(show, "Scopes:", "openid profile") || strings.Contains(show, "offline_access") {
		t.Errorf("keycloak preset scopes:\n%s", show)
	}
	r = Run(t, env, "", "profile", "add", "a0", "--provider", "auth0", "--issuer", srv.Issuer(), "--client-id", clientID)
	WantCode(t, r, 0)
	WantStderr(t, r, "warning: without --audience")
	r = Run(t, env, "", "profile", "add", "a1", "--provider", "auth0", "--issuer", srv.Issuer(), "--client-id", clientID,
		"--audience", "https://api.example.com", "--scopes", "openid", "--flow", "client-credentials", "--client-auth", "none")
	if r.Code == 0 || !strings.Contains(r.Stderr, "client secret") {
		// client-credentials without a secret is refused: the user's
		// flags win over the preset, and are checked as ever.
		t.Errorf("overriding the preset's flow: %s", r)
	}
	r = Run(t, env, "", "profile", "add", "a2", "--provider", "auth0", "--issuer", srv.Issuer(), "--client-id", clientID,
		"--audience", "https://api.example.com", "--scopes", "openid")
	WantCode(t, r, 0)
	if strings.Contains(r.Stderr, "without --audience") {
		t.Errorf("warned about a missing audience that was given: %s", r)
	}
	if show := RunOK(t, env, "", "profile", "show", "a2"); !contains(show, "Audience:", "https://api.example.com") || strings.Contains(show, "offline_access") {
		t.Errorf("auth0 preset with overrides:\n%s", show)
	}
	WantCode(t, Run(t, env, "", "profile", "add", "az", "--provider", "entra", "--tenant", "contoso.onmicrosoft.com", "--client-id", clientID, "--no-discovery"), 0)
	if show := RunOK(t, env, "", "profile", "show", "az"); !contains(show, "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "offline_access") {
		t.Errorf("entra preset:\n%s", show)
	}
}
