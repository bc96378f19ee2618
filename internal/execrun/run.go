// Package execrun runs the child of `tok exec`: it hands the child a token
// in its environment and in a token file, keeps the file fresh while the
// child runs, passes signals on, optionally masks the token in the child's
// output, and cleans up whatever happens. Both tok binaries use it; they
// differ only in how they fetch a token (see Fetch).
package execrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tok-cli/tok/internal/mask"
	"github.com/tok-cli/tok/internal/procguard"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokenfile"
)

// Environment variables tok sets for the child.
const (
	// EnvExec marks a child of `tok exec` with its profile, so a nested
	// `tok exec` of the same profile is refused instead of silently nesting.
	EnvExec = "TOK_EXEC"
	// EnvTokenFile names the token file tok keeps fresh for the child.
	EnvTokenFile = "TOK_TOKEN_FILE"
	// EnvToken holds the token itself.
	EnvToken = "TOK_TOKEN"
)

// SecretEnv are the variables that carry tok's own secrets: the data key
// (key source env) and an ephemeral profile's client secret. They are for
// tok, not for the command it runs, so the child never inherits them (a
// tool that logs its environment, or any of its descendants, would hold
// the key to every token), and --mask hides their values when tok had
// them. A tok run inside the child therefore cannot use key source env.
// The shared cache's data key, password and URL (which may carry the
// password) are tok's secrets too.
var SecretEnv = []string{"TOK_KEY", "TOK_CLIENT_SECRET", "TOK_SHARED_CACHE_KEY", "TOK_SHARED_CACHE_PASSWORD", "TOK_SHARED_CACHE"}

// maskWaitDelay bounds how long tok keeps relaying masked output after the
// child exited, when a process it started in the background still holds
// its stdout or stderr open.
const maskWaitDelay = 2 * time.Second

// Fetch returns a valid token, refreshing it when it is stale; concurrent
// callers in any process must share one refresh. A non-empty warning with
// a nil error means the token is the current one because a refresh failed
// without losing it (the server could not be reached).
type Fetch func(ctx context.Context) (cred record.Credential, warning string, err error)

// Spec describes one `tok exec`.
type Spec struct {
	Argv      []string // the command and its arguments
	EnvNames  []string // more variables to hold the token (--env)
	TokenFile string   // "" = a file in a private temporary directory
	Mask      bool     // relay stdout and stderr with the token masked

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string // the parent's environment
	Now            func() time.Time
	// ChildCoreLimit is tok's core-file limit from before it hardened
	// itself (procguard.Harden), for the child (see CoreLimit.Starting).
	ChildCoreLimit procguard.CoreLimit

	// refreshSleep is the refresher's sleep (see refresher.sleep); nil
	// waits in real time. Tests inject one that moves their clock (Now).
	refreshSleep func(ctx context.Context, d time.Duration) bool
	// relayWaitDelay, when set, replaces maskWaitDelay (tests).
	relayWaitDelay time.Duration
}

// ExitError is tok's exit for a run: the child's status (128+N when it died
// of signal N), or a failure before the child ran. Err is nil when the
// child's own exit code is all there is to say.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitUsage is tok's exit code for a usage error (see `tok help exit-codes`).
const exitUsage = 2

// Validate checks what can be checked before a token is fetched.
func (s *Spec) Validate() error {
	if len(s.Argv) == 0 {
		return &ExitError{Code: exitUsage, Err: errors.New("name the command to run after --")}
	}
	for _, name := range s.EnvNames {
		if err := record.ValidateEnvName(name); err != nil {
			return &ExitError{Code: exitUsage, Err: err}
		}
	}
	return nil
}

// Forwarded are the signals a child receives from tok. The caller
// subscribes to them (signal.Notify) before it fetches the first token,
// so that a signal at any time after that still cleans up.
var Forwarded = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Run starts the child with cred, keeps its token fresh with fetch while it
// runs, and returns nil when the child exits with status 0, else an
// *ExitError. sigs receives the Forwarded signals.
func Run(ctx context.Context, spec Spec, sigs <-chan os.Signal, cred record.Credential, fetch Fetch) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	for _, name := range cred.Env {
		if err := record.ValidateEnvName(name); err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("profile %q: %w; remove the profile (tok profile rm %s) and add it again without that name", cred.Profile, err, cred.Profile)}
		}
	}
	if parent := getenv(spec.Environ, EnvExec); parent != "" && parent == cred.Profile {
		return &ExitError{Code: 1, Err: fmt.Errorf("already inside tok exec for profile %q (TOK_EXEC is set); nested runs of one profile are refused", cred.Profile)}
	}
	path, err := exec.LookPath(spec.Argv[0])
	if err != nil {
		return lookPathError(spec.Argv[0], path, err)
	}
	tf, err := newTokenFile(spec.TokenFile)
	if err != nil {
		return err
	}
	defer func() {
		if err := tf.Remove(); err != nil {
			fmt.Fprintf(spec.Stderr, "tok: warning: %v\n", err)
		}
	}()
	if err := tf.Write(cred.Token); err != nil {
		return err
	}

	child := exec.Command(path, spec.Argv[1:]...)
	child.Args[0] = spec.Argv[0]
	child.Stdin, child.Stdout, child.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
	child.Env = childEnv(spec.Environ, cred, spec.EnvNames, tf.Path)
	secrets := &mask.Set{}
	secrets.Add(cred.Token)
	for _, name := range SecretEnv {
		if v := getenv(spec.Environ, name); v != "" {
			secrets.Add(v)
			if t := strings.TrimSpace(v); t != v && t != "" {
				secrets.Add(t)
			}
		}
	}
	var flushers []*mask.Writer
	if spec.Mask {
		out, errOut := mask.NewWriter(spec.Stdout, secrets), mask.NewWriter(spec.Stderr, secrets)
		child.Stdout, child.Stderr = out, errOut
		child.WaitDelay = cmp.Or(spec.relayWaitDelay, maskWaitDelay)
		flushers = append(flushers, out, errOut)
	}

	if err := spec.ChildCoreLimit.Starting(child.Start); err != nil {
		return &ExitError{Code: 126, Err: fmt.Errorf("could not start %s (%v); check that it is a program you may run", spec.Argv[0], plainCause(err))}
	}
	// Clear token files left by toks that were killed with SIGKILL, while
	// the child runs. Not waited for: a sweep cut short by our exit is
	// finished by the next one, and a failed one costs nothing but disk.
	go func() { _, _ = tokenfile.Sweep() }()
	// The refresher outlives a cancelled context (Ctrl-C): the child may
	// well handle SIGINT and keep running.
	refreshCtx, stopRefresh := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if cred.Margin > 0 && !cred.Expiry.IsZero() {
		// Only renewable profiles (oauth, federated) have a refresh margin.
		now := spec.Now
		if now == nil {
			now = time.Now
		}
		r := &refresher{
			profile: cred.Profile,
			fetch:   fetch,
			publish: func(c record.Credential) error {
				secrets.Add(c.Token)
				return tf.Write(c.Token)
			},
			warn:   func(msg string) { fmt.Fprintln(spec.Stderr, msg) },
			now:    now,
			sleep:  spec.refreshSleep,
			jitter: randomJitter,
		}
		wg.Go(func() { r.run(refreshCtx, cred) })
	}

	waitErr := waitForwarding(child, sigs)
	stopRefresh()
	wg.Wait()
	for _, w := range flushers {
		_ = w.Flush()
	}
	return childExit(child, waitErr)
}

func getenv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func newTokenFile(path string) (*tokenfile.File, error) {
	if path == "" {
		return tokenfile.New()
	}
	tf, err := tokenfile.At(path)
	if err != nil {
		return nil, &ExitError{Code: exitUsage, Err: fmt.Errorf("--token-file: %w", err)}
	}
	return tf, nil
}

// childEnv is the parent's environment without tok's secrets (SecretEnv),
// plus the token variables; variables tok sets replace inherited ones of
// the same name.
func childEnv(parent []string, cred record.Credential, extra []string, tokenFile string) []string {
	set := map[string]string{EnvExec: cred.Profile, EnvToken: cred.Token, EnvTokenFile: tokenFile}
	for _, n := range cred.Env {
		set[n] = cred.Token
	}
	for _, n := range extra {
		set[n] = cred.Token
	}
	env := make([]string, 0, len(parent)+len(set))
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok && !slices.Contains(SecretEnv, k) {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// CancelOnSignal returns a context that ends when a signal arrives on sigs
// (before the child runs, a signal means: give up and clean up), and a
// function that stops watching and returns the signal, if one came. A
// signal stop does not return stays in sigs, for Run to forward.
func CancelOnSignal(ctx context.Context, sigs <-chan os.Signal) (context.Context, func() os.Signal) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	exited := make(chan struct{})
	got := make(chan os.Signal, 1)
	go func() {
		defer close(exited)
		select {
		case sig := <-sigs:
			got <- sig
			cancel()
		case <-done:
		}
	}()
	return ctx, func() os.Signal {
		close(done)
		// Wait for the watcher: one that has not run yet may still take a
		// signal, which must then be returned here, not lost.
		<-exited
		cancel()
		select {
		case sig := <-got:
			return sig
		default:
			return nil
		}
	}
}

// waitForwarding waits for the child to exit, passing on every signal tok
// receives meanwhile.
func waitForwarding(child *exec.Cmd, sigs <-chan os.Signal) error {
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = child.Process.Signal(sig)
		case err := <-done:
			return err
		}
	}
}

// childExit turns the child's end into tok's exit: nil for status 0, else
// an *ExitError with the child's code or 128+N for death by signal N.
func childExit(child *exec.Cmd, waitErr error) error {
	ps := child.ProcessState
	if ps == nil {
		return fmt.Errorf("child failed: %w", waitErr)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &ExitError{Code: 128 + int(ws.Signal())}
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		// The child exited but relaying its output failed.
		return &ExitError{Code: max(ps.ExitCode(), 1), Err: fmt.Errorf("relaying the output of the child failed: %w", waitErr)}
	}
	if ps.ExitCode() == 0 {
		return nil
	}
	return &ExitError{Code: ps.ExitCode()}
}

// SignalExit is tok's exit after sig arrived before the child started.
func SignalExit(sig os.Signal) *ExitError {
	if s, ok := sig.(syscall.Signal); ok {
		return &ExitError{Code: 128 + int(s)}
	}
	return &ExitError{Code: 130}
}

// lookPathError follows the shell: 127 when the command is not found, 126
// when it exists but cannot be run (no execute permission, a directory,
// or found only through the current directory or a relative PATH entry,
// which Go's LookPath refuses so that a file planted in the current
// directory is not run by accident; found is then its relative path).
func lookPathError(name, found string, err error) error {
	if errors.Is(err, exec.ErrDot) {
		return &ExitError{Code: 126, Err: fmt.Errorf("%s is found only in the current directory or a relative PATH entry, which tok does not run from; give its path (%s)", name, "."+string(filepath.Separator)+found)}
	}
	if errors.Is(err, syscall.EISDIR) {
		return &ExitError{Code: 126, Err: fmt.Errorf("%s is a directory, not a program; name the program to run", name)}
	}
	if errors.Is(err, fs.ErrPermission) {
		return &ExitError{Code: 126, Err: fmt.Errorf("%s cannot be run: %v; make it executable (chmod +x) or name the program that runs it", name, plainCause(err))}
	}
	if strings.ContainsRune(name, filepath.Separator) {
		return &ExitError{Code: 127, Err: fmt.Errorf("%s not found; check the path", name)}
	}
	return &ExitError{Code: 127, Err: fmt.Errorf("command not found: %s is not in PATH; check its name or give its full path", name)}
}

// plainCause is the innermost error, without Go's "exec: ..." wrapping.
func plainCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// ExitCode is the code tok exits with (internal/plan's Coder).
func (e *ExitError) ExitCode() int { return e.Code }

// Quiet reports whether tok prints nothing for e: the child's exit status
// alone, when the child spoke for itself (plan.Print).
func (e *ExitError) Quiet() bool { return e.Err == nil }
