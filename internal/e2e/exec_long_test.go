//go:build unix

package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// tokenReader is a child for tok exec that reads $TOK_TOKEN_FILE every
// 100 ms for $E2E_SECONDS seconds and appends each token it read, one per
// line, to $E2E_LOG. It first writes the token file's path to $E2E_READY.
const tokenReader = `
printf '%s' "$TOK_TOKEN_FILE" > "$E2E_READY.tmp" && mv "$E2E_READY.tmp" "$E2E_READY"
end=$(( $(date +%s) + E2E_SECONDS ))
while [ "$(date +%s)" -lt "$end" ]; do
	t=$(cat "$TOK_TOKEN_FILE") || exit 7
	printf '%s\n' "$t" >> "$E2E_LOG"
	sleep 0.1
done
`

// TestExecKeepsLongRunningChildAuthenticated runs a child for two token
// lifetimes (3 s, refresh margin 1 s). Every token the child reads from
// TOK_TOKEN_FILE must be active at the server when the test sees it, and
// the server must see about one token request per lifetime. (The exact
// count over many lifetimes is execrun's TestRefresherShortLivedTokens, on
// an injected clock; what needs real time is the child reading the file
// while the server's tokens really expire.)
func TestExecKeepsLongRunningChildAuthenticated(t *testing.T) {
	t.Parallel()
	const ttl, margin, run = 3 * time.Second, time.Second, 6
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: ttl})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	env := FileKeyEnv(t)
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile", "--refresh-margin", margin.String())
	RunOK(t, env, "", "login", "-p", "ci")
	srv.ResetCounts()

	dir := t.TempDir()
	logPath, ready := filepath.Join(dir, "log"), filepath.Join(dir, "ready")
	p := Start(t, env.With("E2E_LOG="+logPath, "E2E_READY="+ready, "E2E_SECONDS="+strconv.Itoa(run)), "",
		"exec", "-p", "ci", "--", "sh", "-c", tokenReader)
	tokenFile := WaitForFile(t, ready)

	// Follow the log while the child runs and ask the server about every
	// line at once: a token that was stale when read would be inactive.
	seen := map[string]bool{}
	lines, offset := 0, 0
	check := func() {
		b, _ := os.ReadFile(logPath)
		chunk := string(b[offset:])
		end := strings.LastIndexByte(chunk, '\n')
		if end < 0 {
			return
		}
		offset += end + 1
		for _, tok := range strings.Split(chunk[:end], "\n") {
			lines++
			if tok == "" {
				t.Fatalf("the child read an empty token file (line %d)", lines)
			}
			seen[tok] = true
			if !srv.Introspect(tok) {
				t.Fatalf("line %d: the child read a token the server does not consider active", lines)
			}
		}
	}
	done := make(chan struct{})
	var r Result
	go func() { r = p.Wait(t); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(50 * time.Millisecond):
		}
		check()
	}
	WantCode(t, r, 0)
	if lines < run*5 {
		t.Fatalf("the child read the token file only %d times: %s", lines, r)
	}
	// The server rounds expiries to the second and reports expires_in
	// rounded down, so a 3 s token is announced as 2 or 3 s: a refresh is
	// due every 1 to 2.25 s (lifetime - margin + jitter, at least a
	// second), so 2 to 6 in 6 s.
	n := srv.Counts().ClientCredentials
	if n < 2 || n > 6 {
		t.Errorf("the server saw %d token requests in %ds with a %s lifetime; want about one per lifetime (2 to 6)", n, run, ttl)
	}
	// The last refresh may land after the child's last read.
	if len(seen) != n+1 && len(seen) != n {
		t.Errorf("the child saw %d distinct tokens, want the first plus one per refresh (%d)", len(seen), n+1)
	}
	if r.Stderr != "" {
		t.Errorf("tok wrote to stderr while all refreshes worked: %s", r)
	}
	wantGone(t, filepath.Dir(tokenFile))
}

// TestExecRefreshFailureKeepsChild makes every refresh fail while the
// child runs: the child must keep running to its own end, tok must say so
// on its stderr, and the token file must still be cleaned up. The token
// is aged into its 4 s refresh margin first, so the refresher tries within
// its first 2 s (its one-second floor, up to a quarter of the margin of
// jitter) instead of after a real lifetime, while the token stays valid
// past the child's 2.5 s. How a run of failures becomes one line, the
// backoff and the recovery are execrun's TestRefresherRefreshFailure, on
// an injected clock.
func TestExecRefreshFailureKeepsChild(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: time.Hour})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	env := FileKeyEnv(t)
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile", "--refresh-margin", "4s")
	RunOK(t, env, "", "login", "-p", "ci")
	makeStale(t, env, "ci", 4*time.Second)
	srv.ResetCounts()
	srv.FailTokenRequests(503)

	ready := filepath.Join(t.TempDir(), "ready")
	r := Run(t, env.With("E2E_READY="+ready), "", "exec", "-p", "ci", "--", "sh", "-c",
		`printf '%s' "$TOK_TOKEN_FILE" > "$E2E_READY"; sleep 2.5; cat "$TOK_TOKEN_FILE" >/dev/null && echo child-finished`)
	WantCode(t, r, 0)
	if r.Stdout != "child-finished\n" {
		t.Fatalf("the child did not run to its end: %s", r)
	}
	// One line when tok exec starts (the Service's: it hands out the
	// current token), one from the refresher while the child runs.
	if n := strings.Count(r.Stderr, "could not refresh"); n != 2 || strings.Count(r.Stderr, "retrying in the background") != 1 {
		t.Errorf("want one warning line as tok exec starts and one from the background refresh, got %d: %s", n, r)
	}
	if srv.Counts().ClientCredentials < 2 {
		t.Errorf("tok did not retry the failed refresh while the child ran (%d requests)", srv.Counts().ClientCredentials)
	}
	WantNoCrash(t, r)
	wantGone(t, filepath.Dir(WaitForFile(t, ready)))
}

// TestExecTokenFileCleanup checks that the token file (of a static
// profile) and its private directory are gone after every way a child can
// end, and that tok passes the child's status on.
func TestExecTokenFileCleanup(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "st", secret)

	for _, tc := range []struct {
		name   string
		trap   string // installed before the child reports ready, so a signal cannot beat it
		script string
		signal syscall.Signal // sent to tok once the child is ready
		code   int
	}{
		{"normal exit", "", `exit 3`, 0, 3},
		{"child crash", "", `kill -SEGV $$`, 0, 128 + int(syscall.SIGSEGV)},
		{"SIGTERM to tok", `trap 'exit 42' TERM; `, `sleep 30 & wait`, syscall.SIGTERM, 42},
		{"SIGTERM to tok, child dies of it", "", `sleep 30 & wait`, syscall.SIGTERM, 128 + int(syscall.SIGTERM)},
		{"SIGINT to tok", `trap 'exit 5' INT; `, `sleep 30 & wait`, syscall.SIGINT, 5},
		{"SIGHUP to tok", "", `sleep 30 & wait`, syscall.SIGHUP, 128 + int(syscall.SIGHUP)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ready, seen := filepath.Join(dir, "ready"), filepath.Join(dir, "seen")
			script := tc.trap + `cat "$TOK_TOKEN_FILE" > "$E2E_SEEN"; printf '%s' "$TOK_TOKEN_FILE" > "$E2E_READY.tmp" && mv "$E2E_READY.tmp" "$E2E_READY"; ` + tc.script
			p := Start(t, env.With("E2E_READY="+ready, "E2E_SEEN="+seen), "", "exec", "-p", "st", "--", "sh", "-c", script)
			tokenFile := WaitForFile(t, ready)
			if tc.signal != 0 {
				p.Signal(t, tc.signal)
			}
			r := p.Wait(t)
			WantCode(t, r, tc.code)
			if got, _ := os.ReadFile(seen); string(got) != secret {
				t.Errorf("the child read %q from TOK_TOKEN_FILE, want the static token", got)
			}
			if filepath.Base(tokenFile) != "token" || !strings.HasPrefix(filepath.Base(filepath.Dir(tokenFile)), "tok-exec-") {
				t.Errorf("unexpected token file path %s", tokenFile)
			}
			wantGone(t, filepath.Dir(tokenFile))
		})
	}

	t.Run("chosen path", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "my-token")
		r := Run(t, env, "", "exec", "-p", "st", "--token-file", path, "--", "sh", "-c", `test "$TOK_TOKEN_FILE" = "$1" && cat "$1"`, "sh", path)
		WantCode(t, r, 0)
		if r.Stdout != secret {
			t.Errorf("child read %q from the chosen token file", r.Stdout)
		}
		wantGone(t, path)
	})

	t.Run("chosen path that exists is refused", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "existing")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := Run(t, env, "", "exec", "-p", "st", "--token-file", path, "--", "true")
		WantCode(t, r, 2)
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Errorf("tok changed an existing file: %q", b)
		}
	})
}

// TestExecTokenFileAfterSIGKILL: a tok killed with SIGKILL (a cancelled
// CI job kills the whole process group) cannot clean up; the next tok exec
// of the user removes the directory it left, and never one of a tok that
// still runs.
func TestExecTokenFileAfterSIGKILL(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	env := FileKeyEnv(t).With("TMPDIR=" + tmp)
	secret := NewSecret(t)
	addStatic(t, env, "st", secret)

	ready := filepath.Join(t.TempDir(), "ready")
	script := `printf '%s' "$TOK_TOKEN_FILE" > "$E2E_READY.tmp" && mv "$E2E_READY.tmp" "$E2E_READY"; sleep 30`
	killed := Start(t, env.With("E2E_READY="+ready), "", "exec", "-p", "st", "--", "sh", "-c", script)
	leftover := WaitForFile(t, ready)
	killed.killGroup()
	if r := killed.Wait(t); r.Signal != syscall.SIGKILL {
		t.Fatalf("tok was not killed: %s", r)
	}
	if b, err := os.ReadFile(leftover); err != nil || string(b) != secret {
		t.Fatalf("after SIGKILL the token file should still be there (nothing could remove it): %q, %v", b, err)
	}

	ready2 := filepath.Join(t.TempDir(), "ready")
	running := Start(t, env.With("E2E_READY="+ready2), "", "exec", "-p", "st", "--", "sh", "-c", script)
	alive := WaitForFile(t, ready2)
	r := Run(t, env, "", "exec", "-p", "st", "--", "true")
	WantCode(t, r, 0)
	// The sweep runs beside the child; give it a moment to finish.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Dir(leftover)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the directory of the killed tok is still there: %s", filepath.Dir(leftover))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, err := os.ReadFile(alive); err != nil || string(b) != secret {
		t.Errorf("the running tok's token file was touched: %q, %v", b, err)
	}
	running.Signal(t, syscall.SIGTERM)
	running.Wait(t)
	wantGone(t, filepath.Dir(alive))
}

// TestExecMask relays a child's output with the token written in pieces,
// on stdout and stderr, and finds only ***.
func TestExecMask(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "m", secret)
	// The token goes out in two writes with a pause between them, so tok
	// reads it in two pieces; then whole, on stderr, and at the very end
	// without a newline (held back until the child exits).
	script := `
h=$(printf %s "$TOK_TOKEN" | cut -c1-12); t=$(printf %s "$TOK_TOKEN" | cut -c13-)
printf 'split: %s' "$h"; sleep 0.3; printf '%s done\n' "$t"
echo "err: $TOK_TOKEN" >&2
printf 'plain line\n'
printf 'tail: %s' "$TOK_TOKEN"`

	r := Run(t, env, "", "exec", "-p", "m", "--mask", "--", "sh", "-c", script)
	WantCode(t, r, 0)
	if strings.Contains(r.Stdout+r.Stderr, secret) || strings.Contains(r.Stdout, secret[:12]+secret[12:]) {
		t.Fatalf("the token got through --mask: %s", r)
	}
	if want := "split: *** done\nplain line\ntail: ***"; r.Stdout != want {
		t.Errorf("stdout = %q, want %q", r.Stdout, want)
	}
	if r.Stderr != "err: ***\n" {
		t.Errorf("stderr = %q", r.Stderr)
	}

	// Without --mask the same child shows the token: the test can see it.
	r = Run(t, env, "", "exec", "-p", "m", "--", "sh", "-c", script)
	WantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "tail: "+secret) {
		t.Errorf("without --mask the child's output changed: %s", r)
	}
}

func wantGone(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still exists after tok exec ended (%v)", path, err)
	}
}
