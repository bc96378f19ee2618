//go:build unix

package e2e

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestClientAuthFlag: --client-auth on profile add and profile set. A
// client registered for client_secret_post only, at a server whose
// discovery lists Basic too: with the method given, one request per token;
// learned, one refused request once and never again.
func TestClientAuthFlag(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret, TokenEndpointAuthMethod: "client_secret_post"})
	env := FileKeyEnv(t)
	add := func(name string, extra ...string) Result {
		args := append([]string{"profile", "add", name, "--issuer", srv.Issuer(), "--client-id", "svc",
			"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile"}, extra...)
		return Run(t, env, secret+"\n", args...)
	}

	WantCode(t, add("given", "--client-auth", "post"), 0)
	if out := RunOK(t, env, "", "profile", "show", "given"); !contains(out, "Client auth:", "post") {
		t.Errorf("profile show does not tell the client authentication:\n%s", out)
	}
	tokenOK(t, env, "given")
	RunOK(t, env, "", "refresh", "-p", "given")
	if n := srv.Counts().ClientCredentials; n != 2 {
		t.Errorf("with --client-auth post, a token and a refresh made %d requests, want 2", n)
	}

	srv.ResetCounts()
	WantCode(t, add("learned"), 0)
	tokenOK(t, env, "learned")
	RunOK(t, env, "", "refresh", "-p", "learned")
	RunOK(t, env, "", "refresh", "-p", "learned")
	if n := srv.Counts().ClientCredentials; n != 4 {
		t.Errorf("learning the method: %d requests for three tokens, want 4 (one refused Basic, once)", n)
	}
	if out := RunOK(t, env, "", "profile", "show", "learned"); !contains(out, "post (learned)") {
		t.Errorf("profile show does not tell the learned method:\n%s", out)
	}

	// profile set changes it; a wrong given method is not second-guessed.
	RunOK(t, env, "", "profile", "set", "given", "--client-auth", "basic")
	srv.ResetCounts()
	// tok refresh fails and says why (the still valid token is kept).
	r := Run(t, env, "", "refresh", "-p", "given")
	WantCode(t, r, 1)
	WantStderr(t, r, "invalid_client", "client_secret_basic")
	if n := srv.Counts().ClientCredentials; n != 1 {
		t.Errorf("with --client-auth basic at a post-only client: %d requests, want 1", n)
	}

	// Refused combinations change nothing.
	r = add("none-with-secret", "--client-auth", "none")
	WantCode(t, r, 2)
	WantStderr(t, r, "--client-auth none is for public clients")
	r = Run(t, env, "", "profile", "add", "nosecret", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-auth", "post")
	WantCode(t, r, 2)
	WantStderr(t, r, "--client-secret")
	r = Run(t, env, "", "profile", "add", "bad", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-auth", "jwt")
	WantCode(t, r, 2)
	WantStderr(t, r, "basic, post or none")
	if out := RunOK(t, env, "", "profile", "list"); contains(out, "none-with-secret") || contains(out, "nosecret") || contains(out, "bad") {
		t.Errorf("a refused profile add left a profile behind:\n%s", out)
	}
}

// contains reports whether s holds every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
