//go:build unix

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestEphemeralWinsOverStoredDefault: with a stored default profile whose
// token the front could serve from the cache, TOK_ISSUER (or
// TOK_TOKEN_URL) without -p or TOK_PROFILE still means the ephemeral
// profile, in the front (command lines it parses and could serve from the
// cache) and in tok-full (--debug, which the front always hands over, and
// tok-full run directly). The front's own copy of that rule is what keeps
// it from serving the stored token here.
func TestEphemeralWinsOverStoredDefault(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "ci", Secret: secret})

	env := FileKeyEnv(t)
	stored := NewSecret(t)
	addStatic(t, env, "stored", stored) // the first profile: the default
	if out := RunOK(t, env, "", "token"); out != stored+"\n" {
		t.Fatalf("tok token before TOK_ISSUER: got %q, want the stored default's token", out)
	}
	full := filepath.Join(filepath.Dir(tokPath), "tok-full")

	for _, tc := range []struct {
		name string
		vars []string
	}{
		{"TOK_ISSUER", []string{"TOK_ISSUER=" + srv.Issuer()}},
		{"TOK_TOKEN_URL", []string{"TOK_TOKEN_URL=" + srv.TokenURL()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ci := env.With(append(tc.vars, "TOK_CLIENT_ID=ci", "TOK_CLIENT_SECRET="+secret, "TOK_SCOPES=profile")...)

			// The front parses this command line and could answer it
			// from the cache.
			tok := SingleLine(t, "tok token", RunOK(t, ci, "", "token"))
			if tok == stored || !srv.Introspect(tok) {
				t.Errorf("tok token with %s: got the stored default's token or one the server does not know, want a fresh ephemeral one", tc.name)
			}

			wantEphemeral := func(what string, r Result) {
				t.Helper()
				WantCode(t, r, 0)
				var cred struct {
					Profile string `json:"profile"`
					Token   string `json:"token"`
				}
				if err := json.Unmarshal([]byte(r.Stdout), &cred); err != nil {
					t.Fatalf("%s: not JSON: %v\n%s", what, err, r)
				}
				if cred.Profile != "ephemeral" || cred.Token == stored || !srv.Introspect(cred.Token) {
					t.Errorf("%s with %s: profile %q, want a fresh token of the ephemeral profile", what, tc.name, cred.Profile)
				}
				if strings.Contains(r.Stderr, secret) {
					t.Errorf("%s: the client secret reached stderr", what)
				}
			}
			wantEphemeral("tok token -o=json", Run(t, ci, "", "token", "-o=json"))
			wantEphemeral("tok token --debug -o json", Run(t, ci, "", "token", "--debug", "-o", "json"))
			wantEphemeral("tok-full token -o json", RunProgram(t, ci, "", full, "token", "-o", "json"))

			// A named profile still wins over the variables.
			for _, r := range []Result{Run(t, ci, "", "token", "-p", "stored"), Run(t, ci.With("TOK_PROFILE=stored"), "", "token")} {
				WantCode(t, r, 0)
				if r.Stdout != stored+"\n" || strings.Contains(r.Stdout+r.Stderr, secret) {
					t.Errorf("a named profile with %s: want the stored token; got %s", tc.name, r)
				}
			}
		})
	}
}
