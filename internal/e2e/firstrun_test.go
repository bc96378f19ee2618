//go:build unix

package e2e

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestFirstRunOffersAProfile: tok alone at a terminal with no profiles
// offers to add one and asks for it in a short form; off a terminal it
// prints help as before.
func TestFirstRunOffersAProfile(t *testing.T) {
	t.Parallel()
	env := terminalEnv(t)
	term := StartTerminal(t, env, TerminalOptions{})
	term.WaitScreen(t, "tok has no profiles yet. Add one now?")
	term.Type(t, "\r")
	term.WaitScreen(t, "┃ Profile name")
	term.Type(t, "gh\r")
	term.WaitScreen(t, "┃ Type") // the type list has the focus
	term.Type(t, "j")            // down to static
	term.WaitScreen(t, "> Static")
	term.Type(t, "\r")
	r := term.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Added static profile "gh". Next: tok login -p gh --with-token < FILE`)
	if out := RunOK(t, env, "", "profile", "list"); !strings.Contains(out, "gh") {
		t.Errorf("the profile from the form is not listed:\n%s", out)
	}

	// Off a terminal: help, as before, and nothing is asked.
	empty := FileKeyEnv(t)
	r = Run(t, empty, "")
	WantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "Usage:") || strings.Contains(r.Stderr, "Add one now") {
		t.Errorf("tok off a terminal: %s", r)
	}
}

// TestProfileAddForm: tok profile add at a terminal with required values
// missing asks for them: the issuer, then shows what discovery found and
// asks for the client ID, scopes and flow; off a terminal it fails as
// before.
func TestProfileAddForm(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := terminalEnv(t)
	term := StartTerminal(t, env, TerminalOptions{}, "profile", "add", "api", "--type", "oauth")
	term.WaitScreen(t, "┃ Issuer URL")
	term.Type(t, srv.Issuer()+"\r")
	term.WaitScreen(t, "Login flows: browser")
	term.WaitScreen(t, "offline_access: listed")
	// Each answer waits until its field has the focus (the ┃ bar).
	term.WaitScreen(t, "┃ Client ID")
	term.Type(t, clientID+"\r")
	term.WaitScreen(t, "┃ Scopes")
	term.Type(t, "\r") // keep the default scopes
	term.WaitScreen(t, "┃ Login flow")
	term.Type(t, "\r") // auto
	r := term.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Added oauth profile "api". Next: tok login -p api`)
	show := RunOK(t, env, "", "profile", "show", "api")
	for _, want := range []string{srv.Issuer(), clientID, "openid offline_access", srv.TokenURL()} {
		if !strings.Contains(show, want) {
			t.Errorf("profile show lacks %q:\n%s", want, show)
		}
	}

	// Off a terminal the same command fails as it always did.
	plain := FileKeyEnv(t)
	r = Run(t, plain, "", "profile", "add", "api", "--type", "oauth")
	WantCode(t, r, 2)
	WantStderr(t, r, "an oauth profile needs --client-id")
	r = Run(t, plain, "", "profile", "add")
	WantCode(t, r, 2)
	WantStderr(t, r, "takes a profile name")

	// Esc in the form cancels and adds nothing.
	term = StartTerminal(t, env, TerminalOptions{}, "profile", "add")
	term.WaitScreen(t, "Profile name")
	term.Type(t, "\x03")
	r = term.Wait(t)
	WantCode(t, r, 130)
}
