//go:build unix

package e2e

// A git smart-HTTP server for the credential helper tests: the real
// `git http-backend` behind net/http/cgi, with an authentication check in
// front that the test chooses (a token the authorization server issued,
// or a fixed password).

import (
	"encoding/base64"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// gitServer serves the bare repository repo.git over smart HTTP.
type gitServer struct {
	URL  string // http://127.0.0.1:PORT
	Root string // the directory holding repo.git

	mu       sync.Mutex
	accept   func(user, secret string) bool
	accepted []string // secrets of authenticated requests, in order
	rejected int      // requests with credentials that did not pass
}

// newGitServer creates repo.git with one commit on main and serves it.
// accept decides on a request's Basic username and password, or on a
// Bearer token (user "").
func newGitServer(t testing.TB, accept func(user, secret string) bool) *gitServer {
	t.Helper()
	git := RequireCommand(t, "git")
	root := t.TempDir()
	bare := filepath.Join(root, "repo.git")
	seed := filepath.Join(t.TempDir(), "seed")
	env := gitEnv(t, "")
	for _, args := range [][]string{
		{"init", "--quiet", "--bare", "--initial-branch=main", bare},
		{"-C", bare, "config", "http.receivepack", "true"},
		{"init", "--quiet", "--initial-branch=main", seed},
		{"-C", seed, "commit", "--quiet", "--allow-empty", "-m", "first"},
		{"-C", seed, "push", "--quiet", bare, "main"},
	} {
		runGit(t, env, args...)
	}
	gs := &gitServer{Root: root, accept: accept}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, secret, ok := credentialsOf(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="tok-e2e"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		gs.mu.Lock()
		pass := gs.accept(user, secret)
		if pass {
			gs.accepted = append(gs.accepted, secret)
		} else {
			gs.rejected++
		}
		gs.mu.Unlock()
		if !pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="tok-e2e"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		backend := &cgi.Handler{
			Path: git,
			Args: []string{"http-backend"},
			// http-backend refuses pushes from anonymous users.
			Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=tok-e2e"},
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gs.URL = srv.URL
	return gs
}

// credentialsOf reads a Basic or Bearer Authorization header.
func credentialsOf(r *http.Request) (user, secret string, ok bool) {
	h := r.Header.Get("Authorization")
	if tok, found := strings.CutPrefix(h, "Bearer "); found && tok != "" {
		return "", tok, true
	}
	if b64, found := strings.CutPrefix(h, "Basic "); found {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return "", "", false
		}
		u, p, found := strings.Cut(string(raw), ":")
		return u, p, found
	}
	return "", "", false
}

func (gs *gitServer) setAccept(accept func(user, secret string) bool) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.accept = accept
}

// Accepted returns the secrets of the requests let through so far.
func (gs *gitServer) Accepted() []string {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	return append([]string(nil), gs.accepted...)
}

// Rejected is the number of requests whose credentials failed.
func (gs *gitServer) Rejected() int {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	return gs.rejected
}

// gitEnv is an environment for git that reads no configuration of the
// person running the tests: only globalConfig ("" = none), no prompts.
func gitEnv(t testing.TB, globalConfig string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(cfg, []byte(globalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"GIT_CONFIG_GLOBAL=" + cfg,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=tok e2e", "GIT_AUTHOR_EMAIL=e2e@tok.invalid",
		"GIT_COMMITTER_NAME=tok e2e", "GIT_COMMITTER_EMAIL=e2e@tok.invalid",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
	}
}

// runGit runs git with a plain environment and fails the test on error.
func runGit(t testing.TB, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// gitHelperConfig is a global git configuration that makes tok git's only
// credential helper, the way docs/git.md sets it up.
const gitHelperConfig = "[credential]\n\thelper = tok\n"

// Git runs git in env (tok's test environment, with git's own settings
// added) and returns its outcome.
func Git(t testing.TB, env Env, args ...string) Result {
	t.Helper()
	return RunProgram(t, env, "", "git", args...)
}

// withGit adds to env what git needs: a global configuration of its own
// (gitconfig), no system configuration, a committer.
func withGit(t testing.TB, env Env, gitconfig string, extra ...string) Env {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(cfg, []byte(gitconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return env.With(append([]string{
		"GIT_CONFIG_GLOBAL=" + cfg,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=tok e2e", "GIT_AUTHOR_EMAIL=e2e@tok.invalid",
		"GIT_COMMITTER_NAME=tok e2e", "GIT_COMMITTER_EMAIL=e2e@tok.invalid",
	}, extra...)...)
}
