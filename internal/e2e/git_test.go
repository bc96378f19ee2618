//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"github.com/tok-cli/tok/internal/testkit/need"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// gitHelperPath is git-credential-tok beside the tok under test.
func gitHelperPath() string { return filepath.Join(filepath.Dir(tokPath), "git-credential-tok") }

// TestGitOAuthCloneFetchPushAcrossExpiry is the main case: the
// distribution's git clones and pushes through tok with an OAuth access
// token the server checks by introspection, and after that token expires
// the next fetch works with a refreshed token, after exactly one refresh.
func TestGitOAuthCloneFetchPushAcrossExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 6 * time.Second
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	gs := newGitServer(t, func(_, secret string) bool { return srv.Introspect(secret) })
	env := FileKeyEnv(t)
	addOAuth(t, env, "forge", srv, "--git-url", gs.URL+"/", "--refresh-margin", "1s")
	loginOK(t, env, "forge", srv)
	first := ReadStoredTokens(t, env, "forge")
	genv := withGit(t, env, gitHelperConfig, "GIT_TERMINAL_PROMPT=0")
	work := filepath.Join(t.TempDir(), "work")

	srv.ResetCounts()
	WantCode(t, Git(t, genv, "clone", "--quiet", gs.URL+"/repo.git", work), 0)
	WantCode(t, Git(t, genv, "-C", work, "commit", "--quiet", "--allow-empty", "-m", "second"), 0)
	WantCode(t, Git(t, genv, "-C", work, "push", "--quiet", "origin", "main"), 0)
	if n := srv.Counts().TokenRequests(); n != 0 {
		t.Errorf("clone and push with a valid token made %d token requests, want 0", n)
	}
	for _, s := range gs.Accepted() {
		if s != first.Access {
			t.Fatalf("the git server saw a credential other than tok's access token")
		}
	}
	if len(gs.Accepted()) == 0 {
		t.Fatal("the git server let no authenticated request through")
	}
	head := gitOutput(t, genv.list(), "-C", filepath.Join(gs.Root, "repo.git"), "log", "-1", "--format=%s", "main")
	if head != "second" {
		t.Errorf("the server's main is at %q after the push, want the pushed commit", head)
	}

	// tok's copy of the token expires (the server would still accept it:
	// the check below is that the fetch used a refreshed token).
	makeExpired(t, env, "forge")
	srv.ResetCounts()
	WantCode(t, Git(t, genv, "-C", work, "fetch", "--quiet", "origin"), 0)
	if c := srv.Counts(); c.RefreshToken != 1 || c.TokenRequests() != 1 {
		t.Errorf("the fetch after expiry made %d refreshes and %d token requests, want exactly 1 refresh", c.RefreshToken, c.TokenRequests())
	}
	second := ReadStoredTokens(t, env, "forge")
	accepted := gs.Accepted()
	if second.Access == first.Access || accepted[len(accepted)-1] != second.Access {
		t.Errorf("the fetch was not authenticated with the refreshed access token")
	}
}

func gitOutput(t testing.TB, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestGitStaticPasswordStoreAndErase: for a host no profile serves, git
// prompts (askpass), tok's store keeps the password sealed as a static
// profile named after the host, the next fetch needs no prompt, and after
// the server stops accepting it git's erase removes it.
func TestGitStaticPasswordStoreAndErase(t *testing.T) {
	t.Parallel()
	var current = NewSecret(t)
	gs := newGitServer(t, func(user, secret string) bool { return user == "alice" && secret == current })
	env := FileKeyEnv(t)
	dir := t.TempDir()
	pwFile, countFile := filepath.Join(dir, "password"), filepath.Join(dir, "prompts")
	askpass := filepath.Join(dir, "askpass")
	script := "#!/bin/sh\necho \"$1\" >> " + countFile + "\ncase \"$1\" in\n  Username*) echo alice ;;\n  *) cat " + pwFile + " ;;\nesac\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	setPassword := func(pw string) {
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	prompts := func() int {
		b, _ := os.ReadFile(countFile)
		return strings.Count(string(b), "\n")
	}
	setPassword(current)
	genv := withGit(t, env, gitHelperConfig, "GIT_ASKPASS="+askpass)
	work := filepath.Join(dir, "work")
	host := strings.TrimPrefix(gs.URL, "http://")
	profile := strings.ReplaceAll(host, ":", "-")

	WantCode(t, Git(t, genv, "clone", "--quiet", gs.URL+"/repo.git", work), 0)
	if n := prompts(); n != 2 {
		t.Fatalf("git asked %d questions on the first clone, want 2 (username, password)", n)
	}
	stored := ReadStoredTokens(t, env, profile)
	if stored.Access != current {
		t.Fatalf("profile %q does not hold the password git stored (holds %d bytes)", profile, len(stored.Access))
	}
	db, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(current)) {
		t.Fatal("the database holds the password in plaintext")
	}

	WantCode(t, Git(t, genv, "-C", work, "fetch", "--quiet", "origin"), 0)
	if n := prompts(); n != 2 {
		t.Errorf("the second fetch prompted (%d questions in all), want tok to answer", n)
	}

	// The password changes at the server: the stored one is rejected and
	// git's erase removes it; the next fetch prompts and stores the new one.
	old := current
	current = NewSecret(t)
	gs.setAccept(func(user, secret string) bool { return user == "alice" && secret == current })
	setPassword(current)
	r := Git(t, genv, "-C", work, "fetch", "--quiet", "origin")
	if r.Code == 0 {
		t.Fatalf("fetch with the old password succeeded: %s", r)
	}
	if st := ReadStoredTokens(t, env, profile); st.HasState {
		t.Fatalf("profile %q still holds a password after git's erase", profile)
	}
	out := RunOK(t, env, "", "profile", "list")
	if strings.Contains(out, profile) {
		t.Errorf("profile %q is still listed after git's erase:\n%s", profile, out)
	}
	WantCode(t, Git(t, genv, "-C", work, "fetch", "--quiet", "origin"), 0)
	if st := ReadStoredTokens(t, env, profile); st.Access != current || st.Access == old {
		t.Errorf("after the new password worked, profile %q does not hold it", profile)
	}
}

// gitRequest runs the git-credential-tok binary with action and stdin.
func gitRequest(t testing.TB, env Env, stdin, action string) Result {
	t.Helper()
	return RunProgram(t, env, stdin, gitHelperPath(), action)
}

// TestGitCredentialProtocol checks the answers git 2.39 cannot show:
// capability, authtype with a Bearer credential, password_expiry_utc one
// refresh margin before expiry, never a refresh token; and that a valid
// cached token is served by git-credential-tok alone, without tok-full.
func TestGitCredentialProtocol(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "forge", srv, "--git-url", "https://git.example.com/", "--refresh-margin", "2m", "--git-username", "x-access-token")
	loginOK(t, env, "forge", srv)
	stored := ReadStoredTokens(t, env, "forge")
	wantExpiry := strconv.FormatInt(stored.Expiry.Add(-2*time.Minute).Unix(), 10)

	// Only git-credential-tok, no tok-full anywhere on PATH.
	alone := t.TempDir()
	helper := filepath.Join(alone, "git-credential-tok")
	copyFile(t, gitHelperPath(), helper)
	aloneEnv := env.With("PATH=" + alone + ":/usr/bin:/bin")

	r := RunProgram(t, aloneEnv, "protocol=https\nhost=git.example.com\ncapability[]=authtype\nwwwauth[]=Bearer realm=\"x\"\n\n", helper, "get")
	WantCode(t, r, 0)
	want := fmt.Sprintf("protocol=https\nhost=git.example.com\ncapability[]=authtype\nauthtype=Bearer\ncredential=%s\nephemeral=1\npassword_expiry_utc=%s\n", stored.Access, wantExpiry)
	if r.Stdout != want {
		t.Errorf("get with capability[]=authtype answered\n%s\nwant\n%s", r.Stdout, want)
	}
	r = RunProgram(t, aloneEnv, "protocol=https\nhost=git.example.com\npath=org/repo.git\n", helper, "get")
	WantCode(t, r, 0)
	want = fmt.Sprintf("protocol=https\nhost=git.example.com\nusername=x-access-token\npassword=%s\npassword_expiry_utc=%s\n", stored.Access, wantExpiry)
	if r.Stdout != want {
		t.Errorf("get answered\n%s\nwant\n%s", r.Stdout, want)
	}
	if strings.Contains(r.Stdout, "oauth_refresh_token") || strings.Contains(r.Stdout, stored.Refresh) {
		t.Error("get handed out the refresh token")
	}

	// Through tok's own command name, as credential.helper '!tok git-credential'.
	r = Run(t, env, "protocol=https\nhost=git.example.com\n\n", "git-credential", "get")
	WantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "password="+stored.Access+"\n") {
		t.Errorf("tok git-credential get did not answer with the token: %s", r)
	}

	r = gitRequest(t, env, "", "capability")
	WantCode(t, r, 0)
	if r.Stdout != "version 0\ncapability authtype\n" {
		t.Errorf("capability answered %q", r.Stdout)
	}
	// Another host, another protocol, no host: no answer, success.
	for _, in := range []string{"protocol=https\nhost=github.com\n\n", "protocol=ssh\nhost=git.example.com\n\n", "protocol=https\n\n", ""} {
		r = gitRequest(t, env, in, "get")
		WantCode(t, r, 0)
		if r.Stdout != "" {
			t.Errorf("get for %q answered %q, want nothing", in, r.Stdout)
		}
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestGitCredentialBadInput: what git-credential(1) says about each bad
// request, and the store unchanged afterwards.
func TestGitCredentialBadInput(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "pat", "--type", "static", "--git-url", "https://git.example.com/")
	RunOK(t, env, "pat-secret-1", "login", "-p", "pat", "--with-token")
	before, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	long := "protocol=https\nhost=git.example.com\npassword=" + strings.Repeat("x", 70<<10) + "\n\n"
	cases := []struct {
		name, action, stdin string
		code                int
		stderr              string
	}{
		{"line without =", "store", "protocol=https\nhost=new.example.com\nusername\npassword=p\n\n", 1, "not key=value"},
		{"70 KB line", "store", long, 1, "too long"},
		{"70 KB line on get", "get", long, 1, "too long"},
		{"missing host", "store", "protocol=https\nusername=u\npassword=p\n\n", 0, ""},
		{"unknown action", "frobnicate", "protocol=https\nhost=new.example.com\npassword=p\n\n", 0, ""},
		{"NUL byte", "store", "protocol=https\nhost=new.example.com\npassword=a\x00b\n\n", 1, "NUL"},
	}
	for _, c := range cases {
		r := gitRequest(t, env, c.stdin, c.action)
		WantCode(t, r, c.code)
		if r.Stdout != "" {
			t.Errorf("%s: wrote to stdout: %q", c.name, r.Stdout)
		}
		if c.stderr != "" {
			WantStderr(t, r, c.stderr)
		} else if r.Stderr != "" {
			t.Errorf("%s: want silence, got %s", c.name, r)
		}
		if strings.Contains(r.Stderr, "xxxxxxxx") {
			t.Errorf("%s: the error repeats the input", c.name)
		}
	}
	after, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("bad requests changed the database")
	}
	if got := tokenOK(t, env, "pat"); got != "pat-secret-1" {
		t.Errorf("profile pat holds %q after bad requests", got)
	}
}

// TestGitCredentialNoTerminal: a login is needed and there is no
// terminal (no controlling tty): get fails at once and names the command.
func TestGitCredentialNoTerminal(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "forge", srv, "--git-url", "https://git.example.com/")
	r := runDetached(t, env, "protocol=https\nhost=git.example.com\n\n", gitHelperPath(), "get")
	WantCode(t, r, 4)
	WantStderr(t, r, "run: tok login -p forge")
	if r.Stdout != "" {
		t.Errorf("get printed %q without a token", r.Stdout)
	}
	if r.Elapsed > 5*time.Second {
		t.Errorf("get took %s to fail; it must not wait for a person", r.Elapsed)
	}
}

// runDetached runs program in a new session, so it has no controlling
// terminal even when the tests run in one.
func runDetached(t testing.TB, env Env, stdin, program string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = env.list()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = waitDelay
	start := time.Now()
	timer := time.AfterFunc(DefaultTimeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	_ = cmd.Run()
	return Result{Args: append([]string{filepath.Base(program)}, args...), Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode(), Elapsed: time.Since(start)}
}

// TestGitCredentialLoginOnControllingTerminal: git runs the helper with
// its own pipes on stdin and stdout; when a login is needed and the
// session has a terminal, tok runs the login there (here the password
// flow's prompt), then answers git.
func TestGitCredentialLoginOnControllingTerminal(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "forge", srv, "--git-url", "https://git.example.com/", "--flow", "password", "--username", authserver.TestUser)

	ptmx, tty, err := pty.Open()
	if err != nil {
		need.Missing(t, fmt.Sprintf("no pseudo-terminal (%v)", err))
	}
	defer ptmx.Close()
	cmd := exec.Command(gitHelperPath(), "get")
	cmd.Env = env.list()
	cmd.Stdin = strings.NewReader("protocol=https\nhost=git.example.com\n\n")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = tty // git's stderr is the terminal, as at a shell prompt
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 2}
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var screen syncbuf.Buffer
	go func() { _, _ = io.Copy(&screen, ptmx) }()
	deadline := time.Now().Add(DefaultTimeout)
	for !strings.Contains(screen.String(), "Password") {
		if time.Now().After(deadline) {
			t.Fatalf("no password prompt on the terminal; it showed:\n%s", screen.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := ptmx.WriteString(authserver.TestPassword + "\r"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("git-credential-tok get after the login: %v\nterminal:\n%s", err, screen.String())
		}
	case <-time.After(DefaultTimeout):
		t.Fatalf("git-credential-tok get did not finish; terminal:\n%s", screen.String())
	}
	stored := ReadStoredTokens(t, env, "forge")
	if !stored.HasState || !strings.Contains(stdout.String(), "password="+stored.Access+"\n") {
		t.Errorf("after the login on the terminal, get answered %q", stdout.String())
	}
	if strings.Contains(screen.String(), stored.Access) {
		t.Error("the token appeared on the terminal")
	}
}
