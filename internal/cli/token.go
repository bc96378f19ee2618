package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokens"
)

// Output formats of `tok token`.
const (
	outputRaw            = "raw"
	outputHeader         = "header"
	outputJSON           = "json"
	outputEnv            = "env"
	outputExecCredential = "exec-credential"
)

var tokenOutputs = []string{outputRaw, outputHeader, outputJSON, outputEnv, outputExecCredential}

type tokenOptions struct {
	output       string
	allowExpired bool
	eph          ephemeralOptions
}

func newTokenCmd(a *app) *cobra.Command {
	var opts tokenOptions
	cmd := &cobra.Command{
		Use:   "token [-p PROFILE]",
		Short: "Print a valid token, refreshing it first when needed",
		Long: `Print a valid token of a profile on stdout, refreshing it first when it is
within its refresh margin of expiry. Nothing but the token (or the chosen
format) is written to stdout, so scripts can capture it.

Output formats (--output):
  raw     the token and a newline (default)
  header  an HTTP header line: Authorization: Bearer TOKEN
  json    {"profile", "token", "token_type", "expires_at", "expires_in"}
  env     shell assignments for eval: TOK_TOKEN='…' and the profile's --env names
  exec-credential  a Kubernetes ExecCredential for kubectl (see tok kube)

When no usable token exists and none can be obtained without a person,
tok exits with code 4 and says which command to run.

Without -p, --issuer or --token-url (or TOK_ISSUER / TOK_TOKEN_URL) describe
an ephemeral profile that lives in memory for this call only: no database,
no keyring (for CI). See tok exec --help and docs/ci.md.`,
		Example: `  TOKEN=$(tok token -p api)
  curl -H "$(tok token -p api -o header)" https://api.example.com
  eval "$(tok token -p gh -o env)"
  TOKEN=$(tok token --issuer https://id.example.com --github-actions-audience sts.example.com)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runToken(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", outputRaw, "output format: "+strings.Join(tokenOutputs, ", "))
	cmd.Flags().BoolVar(&opts.allowExpired, "allow-expired", false, "print an expired static token instead of failing")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(tokenOutputs, cobra.ShellCompDirectiveNoFileComp))
	opts.eph.register(cmd)
	return cmd
}

func (a *app) runToken(ctx context.Context, opts tokenOptions) error {
	if _, err := a.useEphemeral(ctx, &opts.eph); err != nil {
		return err
	}
	switch opts.output {
	case outputExecCredential:
		return a.runExecCredential(ctx)
	case outputRaw, outputHeader, outputJSON, outputEnv:
	default:
		return usagef("unknown output format %q; choose one of: %s", opts.output, strings.Join(tokenOutputs, ", "))
	}
	cred, err := a.tokenOrLogin(ctx, a.profileName(), tokens.TokenOptions{AllowExpired: opts.allowExpired}, a.io.CanPrompt())
	if err != nil {
		return err
	}
	return writeCredential(a.io.Out, cred, opts.output, a.now())
}

func writeCredential(w io.Writer, cred tokens.Credential, format string, now time.Time) error {
	var err error
	switch format {
	case outputRaw:
		_, err = fmt.Fprintln(w, cred.Token)
	case outputHeader:
		_, err = fmt.Fprintf(w, "Authorization: %s %s\n", headerScheme(cred.TokenType), cred.Token)
	case outputEnv:
		var b strings.Builder
		for _, name := range append([]string{"TOK_TOKEN"}, cred.Env...) {
			fmt.Fprintf(&b, "%s=%s\n", name, shellQuote(cred.Token))
		}
		fmt.Fprintf(&b, "TOK_PROFILE=%s\n", shellQuote(cred.Profile))
		_, err = io.WriteString(w, b.String())
	case outputJSON:
		out := struct {
			Profile   string     `json:"profile"`
			Token     string     `json:"token"`
			TokenType string     `json:"token_type"`
			ExpiresAt *time.Time `json:"expires_at"`
			ExpiresIn *int64     `json:"expires_in"`
		}{Profile: cred.Profile, Token: cred.Token, TokenType: headerScheme(cred.TokenType)}
		if !cred.Expiry.IsZero() {
			exp := cred.Expiry.UTC()
			in := int64(cred.Expiry.Sub(now).Seconds())
			out.ExpiresAt, out.ExpiresIn = &exp, &in
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	}
	if err != nil {
		return fmt.Errorf("could not write the token: %w", err)
	}
	return nil
}

// headerScheme normalises a token type for the Authorization header: RFC
// 6750 says "Bearer", and some servers answer "bearer".
func headerScheme(tokenType string) string {
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		return "Bearer"
	}
	return tokenType
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
