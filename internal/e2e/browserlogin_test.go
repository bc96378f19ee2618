//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// failingOpener writes an executable that prints a reason and exits 3, as
// xdg-open does without a display, and returns its directory.
func failingOpener(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"" + name + ": no method available for opening '$1'\" >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Issue 15: tok said "Opened a browser" when the opener failed.
func TestLoginSaysWhenTheBrowserDidNotOpen(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	for _, tt := range []struct{ name, browser string }{
		{"xdg-open without a display", ""},
		{"a BROWSER list whose entries all fail", "no-such-browser:xdg-open --new-window"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := failingOpener(t, "xdg-open")
			env := FileKeyEnv(t).Without("BROWSER")
			env = env.With("PATH="+fake+string(os.PathListSeparator)+env["PATH"], "DISPLAY=:99")
			if tt.browser != "" {
				env = env.With("BROWSER=" + tt.browser)
			}
			addOAuth(t, env, "api", srv)
			w := StartWatched(t, env, "login", "-p", "api", "--flow", "browser", "--timeout", "15s", "--debug")
			authURL := w.WaitStderr(t, authURLLine)[1]
			if err := FollowRedirects(srv.HTTPClient())(authURL); err != nil {
				t.Fatalf("signing in at the printed URL: %v", err)
			}
			r := w.Wait(t)
			WantCode(t, r, 0)
			WantStderr(t, r, "Could not open a browser", "exited with status 3", `Logged in to profile "api"`)
			if strings.Contains(r.Stderr, "Opened a browser") {
				t.Errorf("tok claimed a browser opened: %s", r)
			}
		})
	}
}

// Issue 14, finding 1: tok says who signed in and warns when a login
// brings back another account than the profile had.
func TestLoginReportsWhoSignedIn(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := opContext(t)
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "web", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser")
	as := func(account string) func(string) error {
		return func(authURL string) error {
			_, err := p.Authorize(ctx, authURL, oidcprovider.Decision{Account: account})
			return err
		}
	}

	r := LoginBrowser(t, env, "web", as("alice"))
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "web" as alice,`)
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("the first login warned: %s", r)
	}

	r = LoginBrowser(t, env, "web", as("mallory"))
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "web" as mallory,`,
		`warning: profile "web" was signed in as alice before and is now signed in as mallory`, "tok revoke -p web")

	r = LoginBrowser(t, env, "web", as("mallory"))
	WantCode(t, r, 0)
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("a login as the same account warned: %s", r)
	}

	// A refresh keeps the identity: the next login as the same account
	// still does not warn.
	RunOK(t, env, "", "refresh", "-p", "web")
	r = LoginBrowser(t, env, "web", as("mallory"))
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("after a refresh, a login as the same account warned: %s", r)
	}
}
