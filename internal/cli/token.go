package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// tokenOptions is what tok token's command line says.
type tokenOptions struct {
	Profile      string // -p or the argument; "" = TOK_PROFILE or the default
	Output       string // -o
	AllowExpired bool   // --allow-expired
	Ephemeral    ephemeralOptions
}

// newCmdToken builds tok token. It only parses: runF (nil = d.runToken)
// does the work.
func newCmdToken(d *Deps, runF func(*tokenOptions) error) *cobra.Command {
	opts := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "token [PROFILE | -p PROFILE]",
		Short: "Print a valid token, refreshing it first when needed",
		Long: `Print a valid token of a profile on stdout, refreshing it first when it is
within its refresh margin of expiry. Nothing but the token (or the chosen
format) is written to stdout, so scripts can capture it.

Output formats (--output):
  raw     the token and a newline (default)
  header  an HTTP header line: Authorization: Bearer TOKEN (refused for a
          token with characters RFC 6750 does not allow: use raw)
  json    {"profile", "token", "token_type", "expires_at", "expires_in"}
  env     shell assignments for eval: TOK_TOKEN='…' and the profile's --env names
  exec-credential  a Kubernetes ExecCredential for kubectl (see tok kube)

When no usable token exists and none can be obtained without a person,
tok exits with code 4 and says which command to run.

Keep the token off command lines: every local user can read a process's
arguments (/proc/PID/cmdline), so a token pasted into curl's arguments
(curl -H "Authorization: Bearer ...") shows it to them. Pipe or redirect it instead (curl -H @FILE reads headers from a file,
@- from stdin), or let tok exec put it in the environment.

Without -p, --issuer or --token-url (or TOK_ISSUER / TOK_TOKEN_URL) describe
an ephemeral profile that lives in memory for this call only: no database,
no keyring (for CI). See tok exec --help and docs/ci.md.`,
		Example: `  TOKEN=$(tok token -p api)
  TOKEN=$(tok token api)
  tok token -p api -o header | curl -H @- https://api.example.com
  curl -H @<(tok token -p api -o header) https://api.example.com    # bash, zsh
  eval "$(tok token -p gh -o env)"
  TOKEN=$(tok token --issuer https://id.example.com --github-actions-audience sts.example.com)`,
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", output.Raw, "output format: "+strings.Join(output.Formats, ", "))
	cmd.Flags().BoolVar(&opts.AllowExpired, "allow-expired", false, "print an expired static token instead of failing")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(output.Formats, cobra.ShellCompDirectiveNoFileComp))
	opts.Ephemeral.register(cmd)
	return d.withProfileArg(cmd, &opts.Profile, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		return d.runToken(ctx, opts)
	})
}

// runToken prints a token of the profile opts name (or of the ephemeral
// profile they describe) in the format they ask for.
func (d *Deps) runToken(ctx context.Context, opts *tokenOptions) error {
	svc, name, err := d.tokenSource(ctx, opts.Profile, opts.Ephemeral)
	if err != nil {
		return err
	}
	if opts.Output == output.ExecCredential {
		return d.writeExecCredential(ctx, svc, name)
	}
	if !output.Valid(opts.Output) {
		return usagef("unknown output format %q; choose one of: %s", opts.Output, strings.Join(output.Formats, ", "))
	}
	cred, err := d.tokenOrLogin(ctx, svc, plan.Profile(name, "", d.getenv), record.Options{AllowExpired: opts.AllowExpired}, d.io.CanPrompt())
	if err != nil {
		return err
	}
	return output.Write(d.io.Out, cred, opts.Output, d.now())
}

// tokenSource is the Service and profile a command that hands out tokens
// uses: the ephemeral profile's own Service when eph or the TOK_ISSUER
// family describe one, else d's Service and the named profile (which
// plan.Profile completes).
func (d *Deps) tokenSource(ctx context.Context, named string, eph ephemeralOptions) (*tokens.Service, string, error) {
	esvc, err := d.ephemeralService(ctx, named, eph)
	if err != nil || esvc != nil {
		return esvc, ephemeralProfile, err
	}
	svc, err := d.service()
	return svc, named, err
}
