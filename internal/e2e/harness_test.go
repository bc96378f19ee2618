//go:build unix

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/tok-cli/tok/internal/testkit/need"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keyring"
)

// tokPath is the tok binary TestMain builds. It is set once, before any
// test runs, and only read afterwards.
var tokPath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tok-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: could not create a directory for the tok binary: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The binaries side by side as installed: tests run tok, which
	// answers from the cache or hands over to tok-full, and git runs
	// git-credential-tok from PATH.
	tokPath = filepath.Join(dir, "tok")
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "github.com/tok-cli/tok/cmd/tok", "github.com/tok-cli/tok/cmd/tok-full", "github.com/tok-cli/tok/cmd/git-credential-tok", "github.com/tok-cli/tok/cmd/docker-credential-tok")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: could not build tok: %v\n", err)
		return 1
	}
	return m.Run()
}

// DefaultTimeout bounds every process the harness starts, so a hang fails
// the test with the output so far instead of stalling the whole suite.
const DefaultTimeout = 20 * time.Second

// waitDelay bounds how long Wait keeps reading a process's output after it
// exited, in case a grandchild still holds the pipes open.
const waitDelay = 2 * time.Second

// Env is the complete environment of a process the harness starts.
// Nothing else from the test's own environment reaches it, so TOK_*
// variables of the person running the tests cannot change the outcome.
type Env map[string]string

// NewEnv returns a clean environment for one test:
//
//   - TOK_HOME: a fresh directory that does not exist yet (tok creates it)
//   - HOME: an empty temporary directory
//   - PATH: the test's PATH with the directory of the tok under test first,
//     so child processes (tok exec, shell scripts) find it as "tok"
//   - DBUS_SESSION_BUS_ADDRESS and CI: passed through when set, so tok
//     reaches the same Secret Service as the test
func NewEnv(t testing.TB) Env {
	t.Helper()
	root := t.TempDir()
	home := filepath.Join(root, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	env := Env{
		"TOK_HOME": filepath.Join(root, "tok"),
		"HOME":     home,
		"PATH":     filepath.Dir(tokPath) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "CI"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return env
}

// FileKeyEnv is NewEnv with the data key kept in a file beside the
// database (TOK_KEY_SOURCE=file), for tests whose subject is not the key
// source: they then run without a Secret Service.
func FileKeyEnv(t testing.TB) Env {
	t.Helper()
	return NewEnv(t).With("TOK_KEY_SOURCE=file")
}

// KeyringEnv is NewEnv for a test that uses the default key source, the OS
// keyring. It skips the test, or fails it when CI=true, if no Secret
// Service answers. When the test ends, the test's data key is moved out of
// the OS keyring again, so a run against a person's own keyring leaves no
// items behind.
func KeyringEnv(t testing.TB) Env {
	t.Helper()
	RequireKeyring(t)
	env := NewEnv(t)
	t.Cleanup(func() {
		if _, err := os.Stat(env.DB()); err != nil {
			return
		}
		r := Start(t, env, "", "config", "set", "key-source", "file").Wait(t)
		if r.Code != 0 {
			t.Logf("could not remove the test's data key from the OS keyring: %s", r)
		}
	})
	return env
}

// With returns a copy of e with the given KEY=VALUE pairs set.
func (e Env) With(kvs ...string) Env {
	out := make(Env, len(e)+len(kvs))
	for k, v := range e {
		out[k] = v
	}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			panic(fmt.Sprintf("Env.With(%q): want KEY=VALUE", kv))
		}
		out[k] = v
	}
	return out
}

// Without returns a copy of e without the given variables.
func (e Env) Without(keys ...string) Env {
	out := e.With()
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// Home is tok's directory (TOK_HOME).
func (e Env) Home() string { return e["TOK_HOME"] }

// DB is the path of tok's database.
func (e Env) DB() string { return filepath.Join(e.Home(), "tok.db") }

// list renders e for exec.Cmd.Env, sorted so runs are reproducible.
func (e Env) list() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Result is the outcome of one process.
type Result struct {
	Args    []string
	Stdout  string
	Stderr  string
	Code    int            // exit status; -1 when the process died of a signal
	Signal  syscall.Signal // the signal that killed the process, or 0
	Elapsed time.Duration
}

func (r Result) String() string {
	status := fmt.Sprintf("exit %d", r.Code)
	if r.Signal != 0 {
		status = "killed by " + r.Signal.String()
	}
	return fmt.Sprintf("%q: %s after %s\n--- stdout:\n%s--- stderr:\n%s---", r.Args, status, r.Elapsed.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// Process is a running tok (or other program) started by Start.
type Process struct {
	*running
	Cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
}

// Run runs tok with args in env, feeding it stdin ("" = /dev/null), and
// returns its outcome. The test fails if tok does not finish within
// DefaultTimeout.
func Run(t testing.TB, env Env, stdin string, args ...string) Result {
	t.Helper()
	return Start(t, env, stdin, args...).Wait(t)
}

// RunOK is Run for a step that must succeed; it returns stdout.
func RunOK(t testing.TB, env Env, stdin string, args ...string) string {
	t.Helper()
	r := Run(t, env, stdin, args...)
	if r.Code != 0 {
		t.Fatalf("want exit 0, got %s", r)
	}
	return r.Stdout
}

// Start starts tok with args in env without waiting for it.
func Start(t testing.TB, env Env, stdin string, args ...string) *Process {
	t.Helper()
	return StartProgram(t, env, stdin, tokPath, args...)
}

// RunProgram runs any program (looked up in the test's PATH) in env, e.g.
// a shell that calls tok the way a script would.
func RunProgram(t testing.TB, env Env, stdin, program string, args ...string) Result {
	t.Helper()
	return StartProgram(t, env, stdin, program, args...).Wait(t)
}

// StartProgram starts program with args in env. The process gets its own
// process group, which is killed when the test ends or the process times
// out, so no child of a failed test outlives it.
func StartProgram(t testing.TB, env Env, stdin, program string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = env.list()
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	p := &Process{Cmd: cmd}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.running = startRunning(t, cmd, append([]string{filepath.Base(program)}, args...), func() (string, string) {
		return p.stdout.String(), p.stderr.String()
	}, nil)
	return p
}

// running is what every process the harness starts shares (Process,
// Watched, Terminal): its exit is collected once, in the background, into
// a Result; Wait bounds it by DefaultTimeout; and the end of the test
// kills its process group if it still runs.
type running struct {
	cmd     *exec.Cmd
	args    []string
	started time.Time
	done    chan struct{} // closed once result is set
	result  Result
}

// startRunning starts cmd, which the caller has set up to lead its own
// process group (Setpgid or Setsid). output returns what the process
// printed; it is called once the process has exited. cleanup, if not nil,
// runs at the end of the test after the process is gone.
func startRunning(t testing.TB, cmd *exec.Cmd, args []string, output func() (stdout, stderr string), cleanup func()) *running {
	t.Helper()
	cmd.WaitDelay = waitDelay
	r := &running{cmd: cmd, args: args, started: time.Now(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("could not start %q: %v", args, err)
	}
	go r.collect(output)
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.killGroup()
			<-r.done
		}
		if cleanup != nil {
			cleanup()
		}
	})
	return r
}

func (r *running) collect(output func() (stdout, stderr string)) {
	err := r.cmd.Wait()
	res := Result{Args: r.args, Elapsed: time.Since(r.started), Code: r.cmd.ProcessState.ExitCode()}
	if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, exec.ErrWaitDelay) {
		res.Stderr = fmt.Sprintf("(harness: wait failed: %v)\n", err)
	}
	stdout, stderr := output()
	res.Stdout = stdout
	res.Stderr += stderr
	r.result = res
	close(r.done)
}

func (r *running) killGroup() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
}

// Wait waits for the process to exit and returns its outcome. If it runs
// longer than DefaultTimeout since it started, its process group is killed
// and the test fails with the output so far.
func (r *running) Wait(t testing.TB) Result {
	t.Helper()
	timer := time.NewTimer(DefaultTimeout - time.Since(r.started))
	defer timer.Stop()
	select {
	case <-r.done:
		return r.result
	case <-timer.C:
		r.killGroup()
		<-r.done
		t.Fatalf("did not finish within %s, killed: %s", DefaultTimeout, r.result)
		return r.result
	}
}

// waitOutput waits until output (what the process has shown so far in
// where: "stderr", "the terminal") matches re and returns the submatches.
// It fails the test when the process exits first or nothing matches within
// DefaultTimeout.
func (r *running) waitOutput(t testing.TB, re *regexp.Regexp, where string, output func() string) []string {
	t.Helper()
	deadline := time.Now().Add(DefaultTimeout)
	for {
		if m := re.FindStringSubmatch(output()); m != nil {
			return m
		}
		select {
		case <-r.done:
			if m := re.FindStringSubmatch(output()); m != nil {
				return m
			}
			t.Fatalf("exited before %s showed %s: %s", where, re, r.result)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not show %s within %s; so far:\n%s", where, re, DefaultTimeout, output())
		}
	}
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Signal sends sig to the process itself (not its group).
func (p *Process) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("could not send %s to %q: %v", sig, p.args, err)
	}
}

// RequireKeyring skips the test unless a Secret Service answers on the
// session bus; with CI=true it fails instead, since CI must run every test.
func RequireKeyring(t testing.TB) {
	t.Helper()
	k := keyring.Keyring{Service: "tok-e2e-probe"}
	_, err := k.Get("probe")
	switch {
	case err == nil, errors.Is(err, keyring.ErrNotFound):
		return
	case errors.Is(err, keyring.ErrUnavailable):
		need.SecretService(t, fmt.Sprintf("no usable Secret Service (%v)", err))
	default:
		t.Fatalf("probing the Secret Service: %v", err)
	}
}

// RequireCommand returns the path of a program the test needs, skipping
// (or in CI failing) the test when it is not installed.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	return need.Command(t, name, "run: .ci/setup")
}

// NewSecret returns a recognisable random token, so a test can look for
// its bytes wherever they must not be.
func NewSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "tok-e2e-secret-" + hex.EncodeToString(b)
}

// WantCode fails the test unless r exited with code. It also fails on any
// sign of a Go crash in stderr: tok must report errors, never panic.
func WantCode(t testing.TB, r Result, code int) {
	t.Helper()
	WantNoCrash(t, r)
	if r.Code != code || r.Signal != 0 {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

// WantNoCrash fails the test if r's stderr shows a panic or a Go runtime
// error: a stack trace is never an acceptable error message.
func WantNoCrash(t testing.TB, r Result) {
	t.Helper()
	for _, sign := range []string{"panic:", "goroutine ", "fatal error:", "[signal "} {
		if strings.Contains(r.Stderr, sign) {
			t.Fatalf("stderr shows a crash (%q): %s", sign, r)
		}
	}
}

// WantStderr fails the test unless r's stderr contains every one of subs.
func WantStderr(t testing.TB, r Result, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.Stderr, s) {
			t.Errorf("stderr lacks %q: %s", s, r)
		}
	}
}

// WaitForFile polls until path exists and is not empty, and returns its
// contents. It is for synchronising with another process, which tells the
// test it is ready by writing a file.
func WaitForFile(t testing.TB, path string) string {
	t.Helper()
	deadline := time.Now().Add(DefaultTimeout)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, DefaultTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
