package cli

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// execOptions is what tok exec's command line says.
type execOptions struct {
	Profile   string   // -p; "" = TOK_PROFILE or the default
	Argv      []string // the command to run
	Env       []string // --env
	TokenFile string   // --token-file
	Mask      bool     // --mask
	Ephemeral ephemeralOptions
}

// newCmdExec builds tok exec. It only parses: runF (nil = d.runExec)
// does the work.
func newCmdExec(d *Deps, runF func(*execOptions) error) *cobra.Command {
	opts := &execOptions{}
	cmd := &cobra.Command{
		Use:   "exec [-p PROFILE | --issuer URL --client-id ID ...] [--env VAR]... [--mask] -- COMMAND [ARG...]",
		Short: "Run a command with a valid token in its environment and a token file kept fresh",
		Long: `Run COMMAND with a valid token of the profile:

  TOK_TOKEN        the token, plus every variable named by the profile's --env
                   and by --env here (e.g. GH_TOKEN, VAULT_TOKEN)
  TOK_TOKEN_FILE   a file holding the token, in a private directory (0700),
                   or the path given with --token-file
  TOK_EXEC         the profile's name

The token is never put on a command line; keep it off the child's too
(every local user can read a process's arguments): use it from the
environment or the file, e.g. with the shell builtin printf piped into
curl -H @-, as in the examples, not as "Bearer $TOK_TOKEN" in an argument. tok's own secrets, TOK_KEY and
TOK_CLIENT_SECRET, are removed from COMMAND's environment (and masked by
--mask), so neither the child nor anything it starts holds the data key or
the client secret. Variables that decide what programs run or trust (PATH,
LD_PRELOAD, BASH_ENV, ...; see tok help environment) are refused for --env.

For as long as COMMAND runs, tok refreshes the token shortly before it
expires and replaces the token file atomically (write, then rename), so
tools that re-read the file (Kubernetes clients, SDKs that read
AWS_WEB_IDENTITY_TOKEN_FILE-style files, scripts that cat it before each
request) stay authenticated for hours. Environment variables cannot change
in a running process: a tool that reads its token only once at start keeps
that token. If a refresh fails, COMMAND keeps running; tok prints one
warning line and retries with backoff. The token file is removed when tok
ends, whatever the reason (normal exit, the child crashing, a signal);
when tok itself is killed with SIGKILL, the next tok exec removes it.

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
  tok exec -p api -- sh -c 'printf "Authorization: Bearer %s\n" "$TOK_TOKEN" | curl -H @- https://api.example.com'
  TOK_CLIENT_SECRET=... tok exec --issuer https://id.example.com --client-id ci --mask -- ./deploy.sh
  tok exec --issuer https://id.example.com --grant token-exchange --github-actions-audience sts.example.com -- ./deploy.sh`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("tok exec needs the command to run after the flags: tok exec -p NAME -- COMMAND [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile, opts.Argv = d.profileFlag, args
			if runF != nil {
				return runF(opts)
			}
			return d.runExec(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Env, "env", nil, "also put the token in this environment variable (repeatable)")
	f.StringVar(&opts.TokenFile, "token-file", "", "keep the token in this file instead of one in a private temporary directory (must not exist; removed at exit)")
	f.BoolVar(&opts.Mask, "mask", false, "replace the token with *** in the command's stdout and stderr")
	opts.Ephemeral.register(cmd)
	f.SetInterspersed(false)
	return cmd
}

// runExec runs opts.Argv with a token of the profile opts name (or of
// the ephemeral profile they describe) and keeps it fresh while it runs.
func (d *Deps) runExec(ctx context.Context, opts *execOptions) error {
	spec := execrun.Spec{
		Argv:      opts.Argv,
		EnvNames:  opts.Env,
		TokenFile: opts.TokenFile,
		Mask:      opts.Mask,
		Stdin:     d.io.In,
		Stdout:    d.io.Out,
		Stderr:    d.io.ErrOut,
		Environ:   d.environ(),
		Now:       d.now,

		ChildCoreLimit: d.coreLimit,
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	// Signals are caught from here on, so that a signal while the token is
	// fetched or the token file is written still cleans up.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, execrun.Forwarded...)
	defer signal.Stop(sigs)

	prepCtx, stopWatching := execrun.CancelOnSignal(ctx, sigs)
	svc, name, err := d.tokenSource(prepCtx, opts.Profile, opts.Ephemeral)
	var cred record.Credential
	if err == nil {
		cred, err = d.tokenOrLogin(prepCtx, svc, plan.Profile(name, "", d.getenv), record.Options{}, d.io.CanPrompt())
	}
	if sig := stopWatching(); sig != nil {
		return execrun.SignalExit(sig)
	}
	if err != nil {
		return err
	}
	return execrun.Run(ctx, spec, sigs, cred, execFetch(svc, cred.Profile))
}

// execFetch fetches the tokens of a running child from svc. A call's
// warnings (a refresh that failed without losing the token) are returned
// to the refresher, which turns a run of failures into one line.
func execFetch(svc *tokens.Service, profile string) execrun.Fetch {
	return func(ctx context.Context) (record.Credential, string, error) {
		var warning string
		ctx = tokens.WithWarn(ctx, func(msg string) { warning = msg })
		cred, err := svc.Token(ctx, profile, record.Options{})
		return cred, warning, err
	}
}
