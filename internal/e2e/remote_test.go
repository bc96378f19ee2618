//go:build unix

package e2e

// tok login --remote: the browser runs on another machine (tok over SSH),
// the person pastes the address the browser ended on.

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// remoteAuthURL matches the authorization URL of a remote browser login.
var remoteAuthURL = regexp.MustCompile(`open this URL in a browser on any machine:\s+(https?://\S+)`)

// TestRemoteLoginPaste: against the test OpenID Provider, a pasted address
// with the wrong state is refused (and another asked for), the right one
// logs in with PKCE, and the token works.
func TestRemoteLoginPaste(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := opContext(t)
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "web", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser")

	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "web", "--remote", "--timeout", "15s")
	authURL := term.WaitScreenMatch(t, remoteAuthURL)[1]
	term.WaitScreen(t, "Address: ")
	if u, err := url.Parse(authURL); err != nil || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("the authorization URL %q does not use PKCE S256", authURL)
	}
	// The browser on the other machine: sign in, consent, and stop where
	// it would load http://127.0.0.1:PORT/callback?code=...
	redirect, err := p.Authorize(ctx, authURL, oidcprovider.Decision{SkipCallback: true})
	if err != nil {
		t.Fatalf("signing in at the provider: %v", err)
	}
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") {
		t.Fatalf("the provider redirected to %q, not the loopback address", redirect)
	}

	forged, _ := url.Parse(redirect)
	q := forged.Query()
	q.Set("state", "not-"+q.Get("state"))
	forged.RawQuery = q.Encode()
	term.Type(t, forged.String()+"\r")
	term.WaitScreen(t, "wrong state): it was refused; paste the address again.")

	term.Type(t, redirect+"\r")
	r := term.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "web"`)
	if st := StatusOf(t, env, "web"); st.Status != "valid" {
		t.Fatalf("status after the remote login: %+v", st)
	}
	if tok := tokenOK(t, env, "web"); !opIntrospect(t, ctx, p, tok) {
		t.Errorf("the token from the remote login is not active at the provider")
	}

	// The listener runs as well: when the browser is on this machine
	// after all, its redirect finishes the login without a paste.
	term = StartTerminal(t, env, TerminalOptions{}, "login", "-p", "web", "--remote", "--timeout", "15s")
	authURL = term.WaitScreenMatch(t, remoteAuthURL)[1]
	if _, err := p.Approve(ctx, authURL); err != nil {
		t.Fatalf("signing in with the callback delivered: %v", err)
	}
	r = term.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "web"`)
}

// TestRemoteLoginOverSSH: over SSH the browser flow takes a pasted address
// without --remote; a pasted response naming another issuer is refused as
// the listener refuses it (RFC 9207).
func TestRemoteLoginOverSSH(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := opContext(t)
	env := FileKeyEnv(t).With("SSH_CONNECTION=192.0.2.10 50000 192.0.2.20 22")
	RunOK(t, env, "", "profile", "add", "web", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser")

	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "web", "--timeout", "15s")
	authURL := term.WaitScreenMatch(t, remoteAuthURL)[1]
	redirect, err := p.Authorize(ctx, authURL, oidcprovider.Decision{SkipCallback: true})
	if err != nil {
		t.Fatalf("signing in at the provider: %v", err)
	}
	other, _ := url.Parse(redirect)
	q := other.Query()
	q.Set("iss", "https://evil.example")
	other.RawQuery = q.Encode()
	term.Type(t, other.String()+"\r")
	r := term.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, `"https://evil.example"`)
	if st := StatusOf(t, env, "web"); st.Status == "valid" {
		t.Fatalf("a response from another issuer logged in: %+v", st)
	}
}

// TestLoginRequiredStorm: twenty callers without a terminal (an IDE
// polling kubectl overnight, over SSH) that need a login all exit 4 at
// once; none opens a browser or waits for a paste.
func TestLoginRequiredStorm(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	env := FileKeyEnv(t).With("SSH_CONNECTION=192.0.2.10 50000 192.0.2.20 22", "BROWSER=/bin/false")
	RunOK(t, env, "", "profile", "add", "web", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser")
	stormExit4(t, env, "run: tok login -p web", "token", "-p", "web")
	stormExit4(t, env, "run: tok login -p web", "kube", "-p", "web")
}

// stormExit4 starts twenty tok processes with args at once, none on a
// terminal, and wants each to exit 4 naming next, quickly.
func stormExit4(t *testing.T, env Env, next string, args ...string) {
	t.Helper()
	const callers = 20
	start := time.Now()
	procs := make([]*Process, callers)
	for i := range procs {
		procs[i] = Start(t, env, "", args...)
	}
	results := make([]Result, callers)
	for i, p := range procs {
		results[i] = p.Wait(t)
	}
	elapsed := time.Since(start)
	for _, r := range results {
		WantCode(t, r, 4)
		WantStderr(t, r, next)
	}
	// Each caller fails without waiting for anything; 20 processes on a
	// shared 2-core machine still finish well within this.
	if elapsed > 8*time.Second {
		t.Errorf("%d callers took %s to exit 4; they must not wait", callers, elapsed)
	}
}
