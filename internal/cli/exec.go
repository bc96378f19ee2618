package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/mask"
	"github.com/tok-cli/tok/internal/tokenfile"
	"github.com/tok-cli/tok/internal/tokens"
)

// envExec marks a child of `tok exec` with its profile, so a nested
// `tok exec` of the same profile is refused instead of silently nesting.
const envExec = "TOK_EXEC"

// envTokenFile names the token file tok keeps fresh for the child.
const envTokenFile = "TOK_TOKEN_FILE"

// maskWaitDelay bounds how long tok keeps relaying masked output after the
// child exited, when a process it started in the background still holds
// its stdout or stderr open.
const maskWaitDelay = 2 * time.Second

type execOptions struct {
	env       []string
	tokenFile string
	mask      bool
	eph       ephemeralOptions
}

func newExecCmd(a *app) *cobra.Command {
	var opts execOptions
	cmd := &cobra.Command{
		Use:   "exec [-p PROFILE | --issuer URL --client-id ID ...] [--env VAR]... [--mask] -- COMMAND [ARG...]",
		Short: "Run a command with a valid token in its environment and a token file kept fresh",
		Long: `Run COMMAND with a valid token of the profile:

  TOK_TOKEN        the token, plus every variable named by the profile's --env
                   and by --env here (e.g. GH_TOKEN, VAULT_TOKEN)
  TOK_TOKEN_FILE   a file holding the token, in a private directory (0700),
                   or the path given with --token-file
  TOK_EXEC         the profile's name

The token is never put on a command line.

For as long as COMMAND runs, tok refreshes the token shortly before it
expires and replaces the token file atomically (write, then rename), so
tools that re-read the file (Kubernetes clients, SDKs that read
AWS_WEB_IDENTITY_TOKEN_FILE-style files, scripts that cat it before each
request) stay authenticated for hours. Environment variables cannot change
in a running process: a tool that reads its token only once at start keeps
that token. If a refresh fails, COMMAND keeps running; tok prints one
warning line and retries with backoff. The token file is removed when tok
ends, whatever the reason (normal exit, the child crashing, a signal),
except when tok itself is killed with SIGKILL.

--mask relays COMMAND's stdout and stderr through tok and replaces every
occurrence of the token (the current one and every earlier one) with ***,
also when it is written in pieces. Use it for CI logs. Only the exact
token is hidden, not encodings of it.

Without -p, tok can run with an ephemeral profile that lives in memory for
this run only, with no database and no keyring (for CI): give --issuer or
--token-url (or TOK_ISSUER / TOK_TOKEN_URL) and --client-id. The client
secret comes from TOK_CLIENT_SECRET or --client-secret-file, never from the
command line. With a subject token (--subject-token-file, -command, -env,
or --github-actions-audience) tok uses workload identity federation instead
of a client secret. See docs/ci.md.

stdin, stdout and stderr are the child's. SIGINT, SIGTERM, SIGHUP and SIGQUIT
are passed on to the child, and tok exits with the child's exit code (128+N
when the child died of signal N).`,
		Example: `  tok exec -p gh --env GH_TOKEN -- gh repo list
  tok exec -p api -- sh -c 'curl -H "Authorization: Bearer $(cat "$TOK_TOKEN_FILE")" https://api.example.com'
  TOK_CLIENT_SECRET=... tok exec --issuer https://id.example.com --client-id ci --mask -- ./deploy.sh
  tok exec --issuer https://id.example.com --grant token-exchange --github-actions-audience sts.example.com -- ./deploy.sh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runExec(cmd.Context(), opts, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.env, "env", nil, "also put the token in this environment variable (repeatable)")
	f.StringVar(&opts.tokenFile, "token-file", "", "keep the token in this file instead of one in a private temporary directory (must not exist; removed at exit)")
	f.BoolVar(&opts.mask, "mask", false, "replace the token with *** in the command's stdout and stderr")
	opts.eph.register(cmd)
	f.SetInterspersed(false)
	return cmd
}

func (a *app) runExec(ctx context.Context, opts execOptions, args []string) error {
	for _, name := range opts.env {
		if err := tokens.ValidateEnvName(name); err != nil {
			return &usageError{err}
		}
	}
	// Signals are caught from here on, so that a signal while the token is
	// fetched or the token file is written still cleans up.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)

	prepCtx, stopWatching := cancelOnSignal(ctx, sigs)
	cred, err := a.execToken(prepCtx, opts)
	if sig := stopWatching(); sig != nil {
		return signalExit(sig)
	}
	if err != nil {
		return err
	}
	if parent := a.getenv(envExec); parent != "" && parent == cred.Profile {
		return fmt.Errorf("already inside tok exec for profile %q (TOK_EXEC is set); nested runs of one profile are refused", cred.Profile)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return &exitError{code: 127, err: fmt.Errorf("could not run %s: %w", args[0], err)}
	}

	tf, err := newTokenFile(opts.tokenFile)
	if err != nil {
		return err
	}
	defer func() {
		if err := tf.Remove(); err != nil {
			fmt.Fprintf(a.io.ErrOut, "tok: warning: %v\n", err)
		}
	}()
	if err := tf.Write(cred.Token); err != nil {
		return err
	}

	child := exec.Command(path, args[1:]...)
	child.Args[0] = args[0]
	child.Stdin, child.Stdout, child.Stderr = a.io.In, a.io.Out, a.io.ErrOut
	child.Env = childEnv(os.Environ(), cred, opts.env, tf.Path)
	secrets := &mask.Set{}
	secrets.Add(cred.Token)
	var flushers []*mask.Writer
	if opts.mask {
		out, errOut := mask.NewWriter(a.io.Out, secrets), mask.NewWriter(a.io.ErrOut, secrets)
		child.Stdout, child.Stderr = out, errOut
		child.WaitDelay = maskWaitDelay
		flushers = append(flushers, out, errOut)
	}

	if err := child.Start(); err != nil {
		return &exitError{code: 126, err: fmt.Errorf("could not start %s: %w", args[0], err)}
	}
	// The refresher outlives a cancelled command context (Ctrl-C): the
	// child may well handle SIGINT and keep running.
	refreshCtx, stopRefresh := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if cred.Margin > 0 && !cred.Expiry.IsZero() {
		// Only renewable profiles (oauth, federated) have a refresh margin.
		r := a.newRefresher(cred.Profile, func(c tokens.Credential) error {
			secrets.Add(c.Token)
			return tf.Write(c.Token)
		})
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

// execToken gets the child's token from the ephemeral profile the flags
// describe, or else from the stored profile.
func (a *app) execToken(ctx context.Context, opts execOptions) (tokens.Credential, error) {
	name, err := a.useEphemeral(ctx, &opts.eph)
	if err != nil {
		return tokens.Credential{}, err
	}
	if name == "" {
		name = a.profileName()
	}
	return a.tokenOrLogin(ctx, name, tokens.TokenOptions{}, a.io.CanPrompt())
}

// newRefresher builds the refresher of a tok exec child. The Service's
// warnings go to the refresher from now on, which turns a run of failures
// into one line.
func (a *app) newRefresher(profile string, publish func(tokens.Credential) error) *refresher {
	svc := a.svc
	r := &refresher{
		profile: profile,
		publish: publish,
		warn:    func(msg string) { fmt.Fprintln(a.io.ErrOut, msg) },
		now:     a.now,
		jitter:  randomJitter,
	}
	r.fetch = func(ctx context.Context) (tokens.Credential, error) {
		return svc.Token(ctx, profile, tokens.TokenOptions{})
	}
	svc.Warn = r.noteWarning
	return r
}

func newTokenFile(path string) (*tokenfile.File, error) {
	if path == "" {
		return tokenfile.New()
	}
	tf, err := tokenfile.At(path)
	if err != nil {
		return nil, &usageError{fmt.Errorf("--token-file: %w", err)}
	}
	return tf, nil
}

// childEnv is the parent's environment plus the token variables; variables
// tok sets replace inherited ones of the same name.
func childEnv(parent []string, cred tokens.Credential, extra []string, tokenFile string) []string {
	set := map[string]string{envExec: cred.Profile, "TOK_TOKEN": cred.Token, envTokenFile: tokenFile}
	for _, n := range cred.Env {
		set[n] = cred.Token
	}
	for _, n := range extra {
		set[n] = cred.Token
	}
	env := make([]string, 0, len(parent)+len(set))
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// forwarded are the signals a child of tok exec receives from tok.
var forwarded = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// cancelOnSignal returns a context that ends when a signal arrives on sigs
// (before the child runs, a signal means: give up and clean up), and a
// function that stops watching and returns the signal, if one came.
func cancelOnSignal(ctx context.Context, sigs <-chan os.Signal) (context.Context, func() os.Signal) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	got := make(chan os.Signal, 1)
	go func() {
		select {
		case sig := <-sigs:
			got <- sig
			cancel()
		case <-done:
		}
	}()
	return ctx, func() os.Signal {
		close(done)
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
// an *exitError with the child's code or 128+N for death by signal N.
func childExit(child *exec.Cmd, waitErr error) error {
	ps := child.ProcessState
	if ps == nil {
		return fmt.Errorf("child failed: %w", waitErr)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		// The child exited but relaying its output failed.
		return &exitError{code: max(ps.ExitCode(), 1), err: fmt.Errorf("relaying the output of the child failed: %w", waitErr)}
	}
	if ps.ExitCode() == 0 {
		return nil
	}
	return &exitError{code: ps.ExitCode()}
}

func signalExit(sig os.Signal) error {
	if s, ok := sig.(syscall.Signal); ok {
		return &exitError{code: 128 + int(s)}
	}
	return errCancelled
}
