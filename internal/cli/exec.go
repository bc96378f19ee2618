package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokens"
)

// envExec marks a child of `tok exec` with its profile, so a nested
// `tok exec` of the same profile is refused instead of silently nesting.
const envExec = "TOK_EXEC"

type execOptions struct {
	env []string
}

func newExecCmd(a *app) *cobra.Command {
	var opts execOptions
	cmd := &cobra.Command{
		Use:   "exec [-p PROFILE] [--env VAR]... -- COMMAND [ARG...]",
		Short: "Run a command with a valid token in its environment",
		Long: `Run COMMAND with a valid token of the profile in its environment:
TOK_TOKEN always, plus every variable named by the profile's --env and by
--env here (e.g. GH_TOKEN, VAULT_TOKEN). TOK_EXEC is set to the profile's
name. The token is never put on a command line.

stdin, stdout and stderr are the child's. SIGINT, SIGTERM, SIGHUP and SIGQUIT
are passed on to the child, and tok exits with the child's exit code (128+N
when the child died of signal N).`,
		Example: `  tok exec -p gh --env GH_TOKEN -- gh repo list
  tok exec -p api -- sh -c 'curl -H "Authorization: Bearer $TOK_TOKEN" https://api.example.com'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runExec(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().StringArrayVar(&opts.env, "env", nil, "also put the token in this environment variable (repeatable)")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func (a *app) runExec(ctx context.Context, opts execOptions, args []string) error {
	for _, name := range opts.env {
		if err := tokens.ValidateEnvName(name); err != nil {
			return &usageError{err}
		}
	}
	name := a.profileName()
	cred, err := a.tokenOrLogin(ctx, name, tokens.TokenOptions{}, a.io.CanPrompt())
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
	child := exec.Command(path, args[1:]...)
	child.Args[0] = args[0]
	child.Stdin, child.Stdout, child.Stderr = a.io.In, a.io.Out, a.io.ErrOut
	child.Env = childEnv(os.Environ(), cred, opts.env)
	return runChild(child)
}

// childEnv is the parent's environment plus the token variables; variables
// tok sets replace inherited ones of the same name.
func childEnv(parent []string, cred tokens.Credential, extra []string) []string {
	set := map[string]string{envExec: cred.Profile, "TOK_TOKEN": cred.Token}
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

// runChild starts cmd, forwards signals to it until it exits, and returns
// its exit status as an *exitError (nil for status 0).
func runChild(cmd *exec.Cmd) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return &exitError{code: 126, err: fmt.Errorf("could not start %s: %w", cmd.Args[0], err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return childExit(err)
		}
	}
}

func childExit(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("child failed: %w", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	return &exitError{code: ee.ExitCode()}
}
