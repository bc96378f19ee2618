//go:build unix

package e2e

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestProfileSet: the built pair changes a signed-in profile in place; a
// change that does not alter what a token is keeps the token (tok token
// still hands out the same one), a new scope set drops it and names the
// login, and a refused change leaves everything as it was.
func TestProfileSet(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--scopes", "openid,offline_access", "--flow", "browser")
	loginOK(t, env, "api", srv)
	first := tokenOK(t, env, "api")

	r := Run(t, env, "", "profile", "set", "api", "--description", "Team API", "--env", "API_TOKEN", "--redirect-port", "0")
	WantCode(t, r, 0)
	WantStderr(t, r, `Updated oauth profile "api"; its tokens were kept (same provider, client and scopes).`)
	if got := tokenOK(t, env, "api"); got != first {
		t.Error("tok token handed out another token after a change that keeps tokens")
	}
	show := RunOK(t, env, "", "profile", "show", "api")
	for _, want := range []string{"Team API", "API_TOKEN", srv.TokenURL()} {
		if !strings.Contains(show, want) {
			t.Errorf("profile show lacks %q after set:\n%s", want, show)
		}
	}

	r = Run(t, env, "", "profile", "set", "api", "--k8s-token", "sometimes")
	WantCode(t, r, 2)
	if got := tokenOK(t, env, "api"); got != first {
		t.Error("a refused set dropped the tokens")
	}

	r = Run(t, env, "", "profile", "set", "api", "--scopes", "openid,offline_access,email")
	WantCode(t, r, 0)
	WantStderr(t, r, `its tokens were deleted, since they came from another provider, client or scope set, so a login is needed. Next: tok login -p api`)
	if st := StatusOf(t, env, "api"); st.Refresh || st.ExpiresAt != nil {
		t.Errorf("tokens left after a scope change: %+v", st)
	}

	r = Run(t, env, "", "profile", "add", "api", "--type", "static")
	WantCode(t, r, 1)
	WantStderr(t, r, "change its settings with: tok profile set api --flag value")
}

// TestLoginRedirectPort: the browser flow listens on the port the profile
// keeps (tok profile set --redirect-port), and tok login --redirect-port
// overrides it for one login.
func TestLoginRedirectPort(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--flow", "browser")
	kept, once := freePort(t), freePort(t)
	RunOK(t, env, "", "profile", "set", "api", "--redirect-port", fmt.Sprint(kept))

	for _, tc := range []struct {
		args []string
		port int
	}{{nil, kept}, {[]string{"--redirect-port", fmt.Sprint(once)}, once}} {
		w := StartWatched(t, env, append([]string{"login", "-p", "api", "--no-browser", "--timeout", "15s"}, tc.args...)...)
		authURL := w.WaitStderr(t, authURLLine)[1]
		u, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("http://127.0.0.1:%d/", tc.port); !strings.HasPrefix(u.Query().Get("redirect_uri"), want) {
			t.Errorf("login %v: redirect_uri %q, want it on %s", tc.args, u.Query().Get("redirect_uri"), want)
		}
		if err := FollowRedirects(srv.HTTPClient())(authURL); err != nil {
			t.Fatal(err)
		}
		WantCode(t, w.Wait(t), 0)
	}
	r := Run(t, env, "", "login", "-p", "api", "--redirect-port", "70000")
	WantCode(t, r, 2)
}

// freePort is a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLockFilesFollowProfiles: renaming or removing a profile removes its
// lock files from locks/, so the directory holds only live profiles' locks.
func TestLockFilesFollowProfiles(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--flow", "browser")
	loginOK(t, env, "api", srv)
	RunOK(t, env, "", "refresh", "api")
	locks := func() []string {
		entries, err := os.ReadDir(filepath.Join(env.Home(), "locks"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if got := strings.Join(locks(), " "); got != "api.login api.refresh" {
		t.Fatalf("locks after login and refresh: %q", got)
	}
	RunOK(t, env, "", "profile", "rename", "api", "web")
	RunOK(t, env, "", "refresh", "web")
	if got := strings.Join(locks(), " "); got != "web.refresh" {
		t.Errorf("locks after rename and refresh: %q, want only web.refresh", got)
	}
	RunOK(t, env, "", "profile", "rm", "web")
	if got := locks(); len(got) != 0 {
		t.Errorf("locks after rm: %q, want none", got)
	}
}
