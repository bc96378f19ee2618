//go:build unix

package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fedserver"
)

const ciSubject = "repo:tok-cli/tok:ref:refs/heads/main"

// ciEnv is a CI job's environment: CI=true, no D-Bus session, a TOK_HOME
// that does not exist, and a private TMPDIR, so the test can check that
// an ephemeral run leaves nothing behind anywhere.
func ciEnv(t *testing.T) Env {
	t.Helper()
	tmp := t.TempDir()
	return NewEnv(t).Without("DBUS_SESSION_BUS_ADDRESS").With("CI=true", "TMPDIR="+tmp)
}

// wantNothingWritten fails unless TOK_HOME still does not exist and HOME
// and TMPDIR are still empty.
func wantNothingWritten(t *testing.T, env Env) {
	t.Helper()
	if _, err := os.Stat(env.Home()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("TOK_HOME %s was created (%v)", env.Home(), err)
	}
	for _, dir := range []string{env["HOME"], env["TMPDIR"]} {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 0 {
			t.Errorf("%s is not empty after the run: %v %v", dir, entries, err)
		}
	}
}

// TestEphemeralClientCredentials gets tokens in a CI job with no stored
// profile, no database and no keyring: from flags, and from TOK_*
// variables alone (the path scripts use).
func TestEphemeralClientCredentials(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "ci", Secret: secret})

	t.Run("tok token with flags and TOK_CLIENT_SECRET", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t).With("TOK_CLIENT_SECRET=" + secret)
		out := RunOK(t, env, "", "token", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile")
		if tok := SingleLine(t, "tok token", out); !srv.Introspect(tok) {
			t.Fatal("the token is not active at the server")
		}
		wantNothingWritten(t, env)
	})

	t.Run("tok token from TOK_ variables only", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t).With("TOK_ISSUER="+srv.Issuer(), "TOK_CLIENT_ID=ci", "TOK_CLIENT_SECRET="+secret, "TOK_SCOPES=profile")
		out := RunOK(t, env, "", "token", "-o", "json")
		if !strings.Contains(out, `"profile": "ephemeral"`) || !strings.Contains(out, `"expires_in"`) {
			t.Errorf("unexpected JSON: %s", out)
		}
		wantNothingWritten(t, env)
	})

	t.Run("client secret from a file", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t)
		secretFile := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		RunOK(t, env, "", "token", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile", "--client-secret-file", secretFile)
		wantNothingWritten(t, env)
	})

	t.Run("tok exec with --mask", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t).With("TOK_CLIENT_SECRET=" + secret)
		r := Run(t, env, "", "exec", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile", "--mask", "--",
			"sh", "-c", `test "$(cat "$TOK_TOKEN_FILE")" = "$TOK_TOKEN" && echo "token: $TOK_TOKEN exec: $TOK_EXEC"`)
		WantCode(t, r, 0)
		if r.Stdout != "token: *** exec: ephemeral\n" {
			t.Errorf("stdout = %q", r.Stdout)
		}
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Error("the client secret reached the output")
		}
		wantNothingWritten(t, env)
	})

	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t).With("TOK_CLIENT_SECRET=wrong-secret-value")
		r := Run(t, env, "", "token", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile")
		WantCode(t, r, 1)
		WantStderr(t, r, "invalid_client")
		if strings.Contains(r.Stderr, "wrong-secret-value") {
			t.Errorf("the secret is in the error: %s", r)
		}
		wantNothingWritten(t, env)
	})

	t.Run("usage errors", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t)
		for _, args := range [][]string{
			{"token", "--issuer", srv.Issuer(), "--client-id", "ci"},                        // no secret, no flow
			{"token", "-p", "x", "--issuer", srv.Issuer(), "--client-id", "ci"},             // -p and --issuer
			{"token", "--client-id", "ci"},                                                  // no issuer
			{"token", "--issuer", srv.Issuer(), "--subject-token-env", "A", "--grant", "x"}, // bad grant
		} {
			r := Run(t, env, "", args...)
			WantCode(t, r, 2)
		}
		wantNothingWritten(t, env)
	})
}

// TestFederationTokenExchange exchanges a CI platform's token (from a
// file, like a Kubernetes projected service account token, and from a
// GitLab id_tokens variable) for an access token with RFC 8693, with no
// stored secret.
func TestFederationTokenExchange(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, ciSubject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: ciSubject})

	t.Run("ephemeral, subject token file", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t)
		file := filepath.Join(t.TempDir(), "oidc-token")
		if err := os.WriteFile(file, []byte(platform.Mint(ciSubject, srv.Issuer(), time.Minute)), 0o600); err != nil {
			t.Fatal(err)
		}
		out := RunOK(t, env, "", "token", "--issuer", srv.Issuer(), "--subject-token-file", file, "--scopes", "deploy")
		if tok := SingleLine(t, "tok token", out); srv.Subject(tok) != ciSubject {
			t.Fatal("the exchanged token is not active for the CI subject")
		}
		wantNothingWritten(t, env)
	})

	t.Run("ephemeral, GitLab id_tokens variable", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t).With("GITLAB_OIDC_TOKEN=" + platform.Mint(ciSubject, srv.Issuer(), time.Minute))
		out := RunOK(t, env, "", "token", "--token-url", srv.TokenURL(), "--subject-token-env", "GITLAB_OIDC_TOKEN", "--subject-token-type", "id_token")
		if tok := SingleLine(t, "tok token", out); !srv.Introspect(tok) {
			t.Fatal("the exchanged token is not active")
		}
	})

	t.Run("refused subject", func(t *testing.T) {
		t.Parallel()
		env := ciEnv(t)
		file := filepath.Join(t.TempDir(), "oidc-token")
		forked := platform.Mint("repo:someone/fork:ref:refs/heads/main", srv.Issuer(), time.Minute)
		if err := os.WriteFile(file, []byte(forked), 0o600); err != nil {
			t.Fatal(err)
		}
		r := Run(t, env, "", "token", "--issuer", srv.Issuer(), "--subject-token-file", file)
		WantCode(t, r, 1)
		WantStderr(t, r, "refused the subject token", "invalid_grant")
		if strings.Contains(r.Stderr, forked) {
			t.Errorf("the subject token is in the error: %s", r)
		}
	})

	// Not parallel: it counts the shared server's exchanges, so the other
	// subtests (which resume only after this function returns) must not
	// run meanwhile.
	t.Run("stored federated profile", func(t *testing.T) {
		env := FileKeyEnv(t)
		cmdFile := filepath.Join(t.TempDir(), "oidc-token")
		if err := os.WriteFile(cmdFile, []byte(platform.Mint(ciSubject, srv.Issuer(), time.Minute)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := Run(t, env, "", "profile", "add", "ci", "--issuer", srv.Issuer(), "--subject-token-command", "cat "+cmdFile, "--scopes", "deploy")
		WantCode(t, r, 0)
		WantStderr(t, r, "federated", "tok token -p ci")
		before := srv.Counts().TokenExchange
		first := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci"))
		second := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci"))
		if first != second || !srv.Introspect(first) {
			t.Fatal("a valid federated token was not reused from the store")
		}
		if n := srv.Counts().TokenExchange - before; n != 1 {
			t.Errorf("two tok token calls made %d exchanges, want 1", n)
		}
		RunOK(t, env, "", "refresh", "-p", "ci")
		if third := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci")); third == first || !srv.Introspect(third) {
			t.Error("tok refresh did not exchange a fresh subject token")
		}
		if st := StatusOf(t, env, "ci"); st.Type != "federated" || st.Status != "valid" {
			t.Errorf("status: %+v", st)
		}
	})
}

// TestFederationJWTBearerGitHubActions fetches the subject token the way a
// GitHub Actions job does (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN with an
// audience) and presents it as an RFC 7523 JWT bearer grant. Under tok
// exec with a short lifetime (3 s, due after half of it), the child reads
// a renewal from its token file within its 3 s run: each renewal fetches
// a new platform token and trades it again. The exact count over several
// lifetimes is cli's TestFederatedRenewalTradesAFreshSubjectToken, on an
// injected clock.
func TestFederationJWTBearerGitHubActions(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, ciSubject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: ciSubject, AccessTokenTTL: 3 * time.Second})
	env := ciEnv(t).With(platform.GitHubEnv()...)

	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")
	r := Run(t, env.With("E2E_LOG="+logPath), "", "exec", "--issuer", srv.Issuer(), "--grant", "jwt-bearer",
		"--github-actions-audience", srv.TokenURL(), "--scopes", "deploy", "--refresh-margin", "2s", "--",
		"sh", "-c", `for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do cat "$TOK_TOKEN_FILE" >> "$E2E_LOG"; echo >> "$E2E_LOG"; sleep 0.2; done`)
	WantCode(t, r, 0)
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, line := range strings.Fields(string(b)) {
		distinct[line] = true
	}
	n := srv.Counts().JWTBearer
	if n < 2 || len(distinct) != n && len(distinct) != n-1 {
		t.Errorf("3 s with a 2-3 s lifetime: %d JWT bearer grants, %d distinct tokens seen", n, len(distinct))
	}
	reqs := platform.GitHubRequests()
	if len(reqs) != n {
		t.Errorf("%d GitHub token requests for %d grants: each grant needs a fresh platform token", len(reqs), n)
	}
	for _, req := range reqs {
		if !req.Authorized || req.Audience != srv.TokenURL() {
			t.Errorf("GitHub token request %+v", req)
		}
	}
	if r.Stderr != "" {
		t.Errorf("tok wrote to stderr: %s", r)
	}
	wantNothingWritten(t, env)
}
