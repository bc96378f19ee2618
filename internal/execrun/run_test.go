//go:build unix

package execrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/when"
)

// These tests run real children (sh, env) through Run in this process.
// What needs tok's own process (signals sent to tok, the two binaries,
// exit codes of the binary) stays in internal/e2e.

// childTimeout bounds every wait for a child; the children here end in
// milliseconds unless something is wrong.
const childTimeout = 10 * time.Second

// privateTmp points TMPDIR (where Run makes the token file's private
// directory) at an empty directory of the test's and returns it.
func privateTmp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

// checkEmpty fails unless dir holds nothing: Run removed the token file
// and its directory.
func checkEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s still holds %v after Run", dir, names)
	}
}

// baseEnv is the parent's environment of a test run: a PATH, so that sh
// finds its tools.
func baseEnv() []string { return []string{"PATH=" + os.Getenv("PATH")} }

// noFetch is the Fetch of runs whose token needs no refresh.
func noFetch(t *testing.T) Fetch {
	return func(context.Context) (record.Credential, string, error) {
		t.Error("fetch called for a token that needs no refresh")
		return record.Credential{}, "", errors.New("no fetch in this test")
	}
}

// sh is the argv of a shell script; args become $1, $2, ...
func sh(script string, args ...string) []string {
	return append([]string{"sh", "-c", script, "sh"}, args...)
}

// running is a Run in the background whose child has its stdin and
// stdout on pipes the test holds: the child prints what it sees and
// waits for a line on stdin, so the test can look at the child's world
// (token file, signals) while it runs.
type running struct {
	t        *testing.T
	stdin    *os.File // write end of the child's stdin
	stdout   *os.File // read end of the child's stdout
	lines    *bufio.Reader
	finished chan struct{}
	err      error // Run's result, once finished is closed
}

func start(t *testing.T, spec Spec, sigs <-chan os.Signal, cred record.Credential, fetch Fetch) *running {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	spec.Stdin, spec.Stdout = inR, outW
	r := &running{t: t, stdin: inW, stdout: outR, lines: bufio.NewReader(outR), finished: make(chan struct{})}
	go func() {
		defer close(r.finished)
		r.err = Run(context.Background(), spec, sigs, cred, fetch)
		_ = inR.Close()
		_ = outW.Close()
	}()
	t.Cleanup(func() {
		// A child still waiting for its go-ahead reads EOF and ends.
		_ = inW.Close()
		select {
		case <-r.finished:
		case <-time.After(childTimeout):
			t.Errorf("Run did not return within %s", childTimeout)
		}
		_ = outR.Close()
	})
	return r
}

// line returns the child's next line of output.
func (r *running) line() string {
	r.t.Helper()
	if err := r.stdout.SetReadDeadline(time.Now().Add(childTimeout)); err != nil {
		r.t.Fatal(err)
	}
	s, err := r.lines.ReadString('\n')
	if err != nil {
		r.t.Fatalf("reading the child's output: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// release lets the child go on past its `read`.
func (r *running) release() {
	r.t.Helper()
	if _, err := r.stdin.WriteString("go\n"); err != nil {
		r.t.Fatal(err)
	}
}

// wait returns Run's result and the rest of the child's output.
func (r *running) wait() (string, error) {
	r.t.Helper()
	select {
	case <-r.finished:
	case <-time.After(childTimeout):
		r.t.Fatalf("Run did not return within %s", childTimeout)
	}
	if err := r.stdout.SetReadDeadline(time.Now().Add(childTimeout)); err != nil {
		r.t.Fatal(err)
	}
	rest, err := io.ReadAll(r.lines)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(rest), r.err
}

// TestRunChildEnvironment runs `env` as the child: it gets the token in
// TOK_TOKEN, in the profile's and the requested variables, TOK_EXEC and
// TOK_TOKEN_FILE, and the rest of the parent's environment, except tok's
// own secrets (SecretEnv); variables tok sets replace inherited ones.
func TestRunChildEnvironment(t *testing.T) {
	privateTmp(t)
	const token = "tok-abc123"
	environ := append(baseEnv(), "KEEP=kept", "TOK_TOKEN=stale", "MY_TOKEN=old", "TOK_EXEC=outer")
	for _, name := range SecretEnv {
		environ = append(environ, name+"=secret-of-"+name)
	}
	var stdout, stderr bytes.Buffer
	spec := Spec{Argv: []string{"env"}, EnvNames: []string{"MY_TOKEN", "OTHER_TOKEN"},
		Stdout: &stdout, Stderr: &stderr, Environ: environ}
	cred := record.Credential{Profile: "api", Token: token, Env: []string{"API_TOKEN"}}
	if err := Run(context.Background(), spec, nil, cred, noFetch(t)); err != nil {
		t.Fatalf("Run: %v (stderr %q)", err, stderr.String())
	}

	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	var tokenFile string
	for _, kv := range got {
		if v, ok := strings.CutPrefix(kv, EnvTokenFile+"="); ok {
			tokenFile = v
		}
	}
	want := append(baseEnv(), "KEEP=kept", "TOK_EXEC=api", "TOK_TOKEN="+token,
		"TOK_TOKEN_FILE="+tokenFile, "API_TOKEN="+token, "MY_TOKEN="+token, "OTHER_TOKEN="+token)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the child's environment:\n got %q\nwant %q", got, want)
	}
	if filepath.Base(tokenFile) != "token" || !strings.HasPrefix(filepath.Base(filepath.Dir(tokenFile)), "tok-exec-") {
		t.Errorf("TOK_TOKEN_FILE = %q, want <TMPDIR>/tok-exec-*/token", tokenFile)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
}

// TestRunTokenFile: while the child runs, its token file holds the token,
// mode 0600, in a private 0700 directory under TMPDIR beside nothing but
// the directory's lock; after the child, file and directory are gone. A
// chosen path (--token-file) is used as given and removed as well.
func TestRunTokenFile(t *testing.T) {
	const token = "tok-file-token"
	// The child prints where its token file is, waits for the test, then
	// prints the file.
	script := `printf '%s\n' "$TOK_TOKEN_FILE"; read go; cat "$TOK_TOKEN_FILE"`
	cred := record.Credential{Profile: "api", Token: token}

	t.Run("private directory", func(t *testing.T) {
		tmp := privateTmp(t)
		r := start(t, Spec{Argv: sh(script), Stderr: io.Discard, Environ: baseEnv()}, nil, cred, noFetch(t))
		path := r.line()
		dir := filepath.Dir(path)
		if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), "tok-exec-") || filepath.Base(path) != "token" {
			t.Errorf("token file %s, want %s/tok-exec-*/token", path, tmp)
		}
		checkMode(t, dir, fs.ModeDir|0o700)
		checkMode(t, path, 0o600)
		checkContent(t, path, token)
		checkEntries(t, dir, ".lock", "token")
		r.release()
		out, err := r.wait()
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if out != token {
			t.Errorf("the child read %q from its token file, want %q", out, token)
		}
		if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the token file's directory is still there after Run: %v", err)
		}
		checkEmpty(t, tmp)
	})

	t.Run("chosen path", func(t *testing.T) {
		tmp := privateTmp(t)
		chosen := filepath.Join(t.TempDir(), "tok.jwt")
		spec := Spec{Argv: sh(script), TokenFile: chosen, Stderr: io.Discard, Environ: baseEnv()}
		r := start(t, spec, nil, cred, noFetch(t))
		if path := r.line(); path != chosen {
			t.Errorf("TOK_TOKEN_FILE = %s, want the chosen %s", path, chosen)
		}
		checkMode(t, chosen, 0o600)
		checkContent(t, chosen, token)
		checkEntries(t, filepath.Dir(chosen), "tok.jwt")
		r.release()
		if out, err := r.wait(); err != nil || out != token {
			t.Fatalf("Run: %v, the child read %q, want %q", err, out, token)
		}
		checkEmpty(t, filepath.Dir(chosen))
		checkEmpty(t, tmp) // no private directory either
	})

	t.Run("chosen path exists", func(t *testing.T) {
		tmp := privateTmp(t)
		existing := filepath.Join(t.TempDir(), "tok.jwt")
		if err := os.WriteFile(existing, []byte("someone else's"), 0o644); err != nil {
			t.Fatal(err)
		}
		spec := Spec{Argv: []string{"true"}, TokenFile: existing, Stderr: io.Discard, Environ: baseEnv()}
		err := Run(context.Background(), spec, nil, cred, noFetch(t))
		checkExitError(t, err, exitUsage, "--token-file: token file "+existing+" already exists; tok removes its token file when the command ends, so give a path that does not exist (or remove the old file)")
		checkContent(t, existing, "someone else's")
		checkEmpty(t, tmp)
	})

	t.Run("chosen directory missing", func(t *testing.T) {
		privateTmp(t)
		missing := filepath.Join(t.TempDir(), "no-such-dir", "tok.jwt")
		spec := Spec{Argv: []string{"true"}, TokenFile: missing, Stderr: io.Discard, Environ: baseEnv()}
		err := Run(context.Background(), spec, nil, cred, noFetch(t))
		checkExitError(t, err, exitUsage, "--token-file: the directory of token file "+missing+" does not exist; create it first")
	})
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func checkContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}

func checkEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// TestRunExitStatus: the child's exit status becomes tok's, quietly (the
// child spoke for itself); death by signal N becomes 128+N, as in a shell.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int // 0 = Run returns nil
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit 125", 125},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
	} {
		t.Run(tc.script, func(t *testing.T) {
			tmp := privateTmp(t)
			spec := Spec{Argv: sh(tc.script), Stdout: io.Discard, Stderr: io.Discard, Environ: baseEnv()}
			err := Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: "t"}, noFetch(t))
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
			} else {
				checkChildStatus(t, err, tc.code)
			}
			checkEmpty(t, tmp)
		})
	}
}

// TestRunOutputRelayFails: when the child's output cannot be relayed
// (stdout is a writer that fails), tok says so and exits 1 even though
// the child exited 0.
func TestRunOutputRelayFails(t *testing.T) {
	tmp := privateTmp(t)
	spec := Spec{Argv: sh("echo hello"), Stdout: failingWriter{}, Stderr: io.Discard, Environ: baseEnv()}
	err := Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: "t"}, noFetch(t))
	checkExitError(t, err, 1, "relaying the output of the child failed: no space left on the test device")
	checkEmpty(t, tmp)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, errors.New("no space left on the test device")
}

// TestRunCommandNotRunnable follows the shell: 127 for a command that is
// not there, 126 for one that cannot be run, each with a message that
// says what to do; no token file is left behind.
func TestRunCommandNotRunnable(t *testing.T) {
	files := t.TempDir()
	missing := filepath.Join(files, "missing", "prog")
	noExec := filepath.Join(files, "no-exec")
	if err := os.WriteFile(noExec, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notAProgram := filepath.Join(files, "not-a-program")
	if err := os.WriteFile(notAProgram, []byte("neither a script nor a binary\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		argv []string
		code int
		want string
	}{
		{"not in PATH", []string{"tok-test-no-such-command", "arg"}, 127,
			"command not found: tok-test-no-such-command is not in PATH; check its name or give its full path"},
		{"no such path", []string{missing}, 127, missing + " not found; check the path"},
		{"directory", []string{files}, 126, files + " is a directory, not a program; name the program to run"},
		{"not executable", []string{noExec}, 126,
			noExec + " cannot be run: permission denied; make it executable (chmod +x) or name the program that runs it"},
		{"exec format", []string{notAProgram}, 126,
			"could not start " + notAProgram + " (exec format error); check that it is a program you may run"},
		// Found through PATH's "." (see the loop): it was "not in PATH".
		{"relative PATH entry", []string{"tok-test-in-dot"}, 126,
			"tok-test-in-dot is found only in the current directory or a relative PATH entry, which tok does not run from; give its path (./tok-test-in-dot)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "relative PATH entry" {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "tok-test-in-dot"), []byte("#!/bin/sh\necho ran\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Chdir(dir)
				t.Setenv("PATH", ".:"+os.Getenv("PATH"))
			}
			tmp := privateTmp(t)
			var stdout, stderr bytes.Buffer
			spec := Spec{Argv: tc.argv, Stdout: &stdout, Stderr: &stderr, Environ: baseEnv()}
			err := Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: "t"}, noFetch(t))
			checkExitError(t, err, tc.code, tc.want)
			if stdout.Len()+stderr.Len() != 0 {
				t.Errorf("output %q %q, want none", stdout.String(), stderr.String())
			}
			checkEmpty(t, tmp)
		})
	}
}

// TestRunRefusesBeforeStarting: a profile whose stored variable names are
// refused now, and a nested run of the profile the parent runs, fail
// before any child or token file exists.
func TestRunRefusesBeforeStarting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spec    Spec
		cred    record.Credential
		code    int
		message string
	}{
		{"no command", Spec{}, record.Credential{Profile: "api", Token: "t"}, exitUsage, "name the command to run after --"},
		{"refused --env", Spec{Argv: []string{"true"}, EnvNames: []string{"BASH_ENV"}}, record.Credential{Profile: "api", Token: "t"}, exitUsage,
			`environment variable "BASH_ENV" is refused: programs read it to decide what to run or trust, so it must not hold a token (see: tok help environment)`},
		{"refused profile env", Spec{Argv: []string{"true"}}, record.Credential{Profile: "api", Token: "t", Env: []string{"API_TOKEN", "LD_PRELOAD"}}, 1,
			`profile "api": environment variable "LD_PRELOAD" is refused: programs read it to decide what to run or trust, so it must not hold a token (see: tok help environment); remove the profile (tok profile rm api) and add it again without that name`},
		{"nested", Spec{Argv: []string{"true"}, Environ: []string{"TOK_EXEC=api"}}, record.Credential{Profile: "api", Token: "t"}, 1,
			`already inside tok exec for profile "api" (TOK_EXEC is set); nested runs of one profile are refused`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := privateTmp(t)
			tc.spec.Stdout, tc.spec.Stderr = io.Discard, io.Discard
			err := Run(context.Background(), tc.spec, nil, tc.cred, noFetch(t))
			checkExitError(t, err, tc.code, tc.message)
			checkEmpty(t, tmp)
		})
	}
}

// TestRunForwardsSignals: a signal tok receives while the child runs (on
// the channel its caller subscribed with signal.Notify) goes to the child;
// a child that handles it exits as it likes, one that does not dies of it
// and tok exits 128+N.
func TestRunForwardsSignals(t *testing.T) {
	cred := record.Credential{Profile: "api", Token: "t"}
	t.Run("handled", func(t *testing.T) {
		tmp := privateTmp(t)
		sigs := make(chan os.Signal, 1)
		script := `trap 'echo got-term; exit 7' TERM; echo ready; read go; echo not-signalled`
		r := start(t, Spec{Argv: sh(script), Stderr: io.Discard, Environ: baseEnv()}, sigs, cred, noFetch(t))
		if got := r.line(); got != "ready" {
			t.Fatalf("child said %q, want ready", got)
		}
		sigs <- syscall.SIGTERM
		out, err := r.wait()
		if out != "got-term\n" {
			t.Errorf("child's output after the signal %q, want %q", out, "got-term\n")
		}
		checkChildStatus(t, err, 7)
		checkEmpty(t, tmp)
	})
	t.Run("not handled", func(t *testing.T) {
		tmp := privateTmp(t)
		sigs := make(chan os.Signal, 1)
		r := start(t, Spec{Argv: sh(`echo ready; read go; echo not-signalled`), Stderr: io.Discard, Environ: baseEnv()}, sigs, cred, noFetch(t))
		if got := r.line(); got != "ready" {
			t.Fatalf("child said %q, want ready", got)
		}
		sigs <- syscall.SIGTERM
		out, err := r.wait()
		if out != "" {
			t.Errorf("child's output after the signal %q, want none", out)
		}
		checkChildStatus(t, err, 128+int(syscall.SIGTERM))
		checkEmpty(t, tmp)
	})
}

// TestRunMasks: with --mask, the token (also split across writes, also at
// the very end of the output) and tok's own secrets from the parent's
// environment, trimmed or not, come out as *** on stdout and stderr;
// without it the child's output passes unchanged.
func TestRunMasks(t *testing.T) {
	const token = "tok-secret-123"
	script := `printf 'token=%s\n' "$TOK_TOKEN"
printf 'file=%s\n' "$(cat "$TOK_TOKEN_FILE")"
printf 'tok-sec'; printf 'ret-123 split\n'
printf 'key=%s secret=%s\n' "$1" "$2" >&2
printf 'tail tok-se'`
	environ := append(baseEnv(), "TOK_KEY=key-material-K", "TOK_CLIENT_SECRET=  padded-secret-S  ")
	for _, tc := range []struct {
		mask           bool
		stdout, stderr string
	}{
		{true, "token=***\nfile=***\n*** split\ntail tok-se", "key=*** secret=***\n"},
		{false, "token=" + token + "\nfile=" + token + "\n" + token + " split\ntail tok-se", "key=key-material-K secret=padded-secret-S\n"},
	} {
		t.Run(map[bool]string{true: "mask", false: "no mask"}[tc.mask], func(t *testing.T) {
			tmp := privateTmp(t)
			var stdout, stderr bytes.Buffer
			spec := Spec{Argv: sh(script, "key-material-K", "padded-secret-S"), Mask: tc.mask,
				Stdout: &stdout, Stderr: &stderr, Environ: environ}
			if err := Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: token}, noFetch(t)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if stdout.String() != tc.stdout {
				t.Errorf("stdout:\n got %q\nwant %q", stdout.String(), tc.stdout)
			}
			if stderr.String() != tc.stderr {
				t.Errorf("stderr:\n got %q\nwant %q", stderr.String(), tc.stderr)
			}
			checkEmpty(t, tmp)
		})
	}
}

// runClock is the injected clock of TestRunRefreshesTokenFile: it moves
// only when the refresher sleeps.
type runClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *runClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// refreshSleep is the refresher's sleep: each sleep moves the clock by
// its length; the second one closes paused (the refresher has acted on
// its first wake) and lasts until the run ends.
func (c *runClock) refreshSleep(paused chan<- struct{}) func(context.Context, time.Duration) bool {
	return func(ctx context.Context, d time.Duration) bool {
		c.mu.Lock()
		c.t = c.t.Add(d)
		c.sleeps = append(c.sleeps, d)
		n := len(c.sleeps)
		c.mu.Unlock()
		if n == 1 {
			return ctx.Err() == nil
		}
		if n == 2 {
			close(paused)
		}
		<-ctx.Done()
		return false
	}
}

// waitPaused waits until the refresher slept a second time.
func waitPaused(t *testing.T, paused <-chan struct{}) {
	t.Helper()
	select {
	case <-paused:
	case <-time.After(childTimeout):
		t.Fatal("the refresher did not wake for the token's refresh")
	}
}

// TestRunRefreshesTokenFile: while the child runs, Run's refresher wakes
// when the token enters its refresh margin (on an injected clock, no real
// waiting), fetches a new token and rewrites the token file with it, and
// --mask hides the new token too. The child's environment keeps the first
// token (an environment cannot change); it reads the new one from the file.
func TestRunRefreshesTokenFile(t *testing.T) {
	tmp := privateTmp(t)
	const first, second = "tok-first-AAA", "tok-second-BBB"
	start0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clk := &runClock{t: start0}
	cred := record.Credential{Profile: "api", Token: first, Expiry: start0.Add(10 * time.Minute), Margin: time.Minute}
	fetches := 0
	fetch := func(context.Context) (record.Credential, string, error) {
		fetches++
		return record.Credential{Profile: "api", Token: second, Expiry: clk.Now().Add(10 * time.Minute), Margin: time.Minute}, "", nil
	}
	published := make(chan struct{})
	var stderr lockedBuffer
	spec := Spec{
		// The child prints its token file's path, waits for the test, then
		// prints the file and its TOK_TOKEN.
		Argv:    sh(`printf '%s\n' "$TOK_TOKEN_FILE"; read go; cat "$TOK_TOKEN_FILE"; echo; printf '%s\n' "$TOK_TOKEN"`),
		Mask:    true,
		Stderr:  &stderr,
		Environ: baseEnv(),
		Now:     clk.Now,
		// The second sleep comes after the refresh was published.
		refreshSleep: clk.refreshSleep(published),
	}
	r := start(t, spec, nil, cred, fetch)
	path := r.line()
	waitPaused(t, published)
	// The child is still waiting: its token file holds the new token.
	checkContent(t, path, second)
	checkMode(t, path, 0o600)
	checkEntries(t, filepath.Dir(path), ".lock", "token")
	r.release()
	out, err := r.wait()
	if err != nil {
		t.Fatalf("Run: %v (stderr %q)", err, stderr.String())
	}
	if want := "***\n***\n"; out != want {
		t.Errorf("the child's masked output %q, want %q (new token from the file, first token from TOK_TOKEN)", out, want)
	}
	if fetches != 1 {
		t.Errorf("%d fetches, want 1", fetches)
	}
	// It first slept until the token entered its margin (9 minutes), plus
	// a jitter of up to a quarter of the margin.
	if len(clk.sleeps) != 2 {
		t.Fatalf("the refresher slept %d times (%v), want 2", len(clk.sleeps), clk.sleeps)
	}
	if d := clk.sleeps[0]; d < 9*time.Minute || d >= 9*time.Minute+15*time.Second {
		t.Errorf("first sleep %s, want 9m to 9m15s", d)
	}
	if stderr.String() != "" {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
	checkEmpty(t, tmp)
}

// TestRunRefreshFailureWarns: when the refresh fails, the child keeps
// its token file with the current token and tok's stderr gets one
// warning line that says until when the token is valid; the child's exit
// status is still tok's.
func TestRunRefreshFailureWarns(t *testing.T) {
	tmp := privateTmp(t)
	const token = "tok-first-AAA"
	start0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clk := &runClock{t: start0}
	expiry := start0.Add(10 * time.Minute)
	cred := record.Credential{Profile: "api", Token: token, Expiry: expiry, Margin: time.Minute}
	fetch := func(context.Context) (record.Credential, string, error) {
		return record.Credential{}, "", errors.New("the provider answered 503")
	}
	failed := make(chan struct{})
	var stderr lockedBuffer
	spec := Spec{
		Argv:         sh(`printf '%s\n' "$TOK_TOKEN_FILE"; read go; cat "$TOK_TOKEN_FILE"; exit 4`),
		Stderr:       &stderr,
		Environ:      baseEnv(),
		Now:          clk.Now,
		refreshSleep: clk.refreshSleep(failed), // the second sleep is the retry's backoff
	}
	r := start(t, spec, nil, cred, fetch)
	path := r.line()
	waitPaused(t, failed)
	checkContent(t, path, token)
	r.release()
	out, err := r.wait()
	checkChildStatus(t, err, 4)
	if out != token {
		t.Errorf("the child read %q from its token file, want %q", out, token)
	}
	want := fmt.Sprintf("tok: warning: could not refresh the token of profile \"api\" (the provider answered 503); the child keeps the current token, valid until %s; retrying in the background\n",
		when.Format(expiry, start0.Add(clk.sleeps[0])))
	if got := stderr.String(); got != want {
		t.Errorf("stderr:\n got %q\nwant %q", got, want)
	}
	if len(clk.sleeps) != 2 || clk.sleeps[1] != refreshRetryMin {
		t.Errorf("sleeps %v, want the wait for the margin, then a retry after %s", clk.sleeps, refreshRetryMin)
	}
	checkEmpty(t, tmp)
}

// lockedBuffer is a bytes.Buffer for a stream that the refresher writes
// while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunMaskedOutputOfABackgroundProcess: with --mask tok relays the
// child's output through a pipe; a process the child left in the
// background that still holds that pipe must not keep tok waiting after
// the child exited. tok stops relaying after the wait delay and exits
// with the child's status.
func TestRunMaskedOutputOfABackgroundProcess(t *testing.T) {
	tmp := privateTmp(t)
	var stdout bytes.Buffer
	spec := Spec{
		// The background sleep inherits stdout; the child prints its pid.
		Argv: sh(`sleep 60 & echo "$!"`), Mask: true,
		Stdout: &stdout, Stderr: io.Discard, Environ: baseEnv(),
		relayWaitDelay: 50 * time.Millisecond,
	}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: "t"}, noFetch(t))
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(childTimeout):
		t.Fatal("Run waited for the background process")
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(stdout.String()))
	if perr != nil {
		t.Fatalf("the child printed %q, want the background pid", stdout.String())
	}
	if kerr := syscall.Kill(pid, syscall.SIGKILL); kerr != nil {
		t.Errorf("the background process %d: %v", pid, kerr)
	}
	if err != nil {
		t.Errorf("Run = %v, want nil (the child exited 0)", err)
	}
	checkEmpty(t, tmp)
}

// TestRunWarnsWhenTheTokenFileStays: when tok cannot remove the token
// file (the child put a directory with content in its place), tok says so
// on stderr; the child's status stays tok's.
func TestRunWarnsWhenTheTokenFileStays(t *testing.T) {
	privateTmp(t)
	chosen := filepath.Join(t.TempDir(), "tok.jwt")
	var stderr bytes.Buffer
	spec := Spec{
		Argv:      sh(`rm "$TOK_TOKEN_FILE" && mkdir "$TOK_TOKEN_FILE" && : >"$TOK_TOKEN_FILE/x"`),
		TokenFile: chosen, Stdout: io.Discard, Stderr: &stderr, Environ: baseEnv(),
	}
	if err := Run(context.Background(), spec, nil, record.Credential{Profile: "api", Token: "t"}, noFetch(t)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := "tok: warning: could not remove the token file " + chosen + ": remove " + chosen + ": directory not empty\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n got %q\nwant %q", stderr.String(), want)
	}
}
