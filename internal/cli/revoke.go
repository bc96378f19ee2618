package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// revokeOptions is what tok revoke's (tok logout's) command line says.
type revokeOptions struct {
	Profile string // -p or the argument; "" = TOK_PROFILE, the default or the picker
	Local   bool   // --local
}

// newCmdRevoke builds tok revoke. It only parses: runF (nil =
// d.runRevoke) does the work.
func newCmdRevoke(d *Deps, runF func(*revokeOptions) error) *cobra.Command {
	opts := &revokeOptions{}
	cmd := &cobra.Command{
		Use:     "revoke [PROFILE | -p PROFILE] [--local]",
		Aliases: []string{"logout"},
		Short:   "Revoke a profile's tokens at the server and forget them here (alias: logout)",
		Long: `Revoke the profile's refresh token and access token at the provider's
revocation endpoint (RFC 7009), then delete the local token state. The profile's
configuration stays; sign in again with tok login.

If the server cannot be reached or has no revocation endpoint, tok says so and
keeps the local state, unless --local is given: then tok forgets the tokens
here without contacting the server.

tok cannot revoke a static token (an API key, a personal access token) or a
federated profile's token at its issuer: revoke forgets it here and says so;
revoke a static token where it was issued. A profile without tokens is left
as it is. tok logout is the same command.`,
	}
	cmd.Flags().BoolVar(&opts.Local, "local", false, "forget the tokens here without contacting the server")
	return d.withProfileArg(cmd, &opts.Profile, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		return d.runRevoke(ctx, opts)
	})
}

// runRevoke revokes the profile's tokens at the provider (unless Local)
// and forgets them here, and says which of the two happened.
func (d *Deps) runRevoke(ctx context.Context, opts *revokeOptions) error {
	svc, p, err := d.serviceAndProfile(ctx, opts.Profile)
	if err != nil {
		return err
	}
	out, err := svc.Revoke(ctx, p.Name, opts.Local)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.io.ErrOut, revokeReport(p, out))
	return nil
}

// revokeReport says what tok revoke did to profile p, and no more.
func revokeReport(p tokens.Profile, out tokens.RevokeOutcome) string {
	switch {
	case !out.HadTokens:
		return fmt.Sprintf("Profile %q holds no tokens; there was nothing to revoke.", p.Name)
	case out.AtProvider:
		return fmt.Sprintf("Revoked the tokens of profile %q at the provider and forgot them here.", p.Name)
	case p.Type == record.Static:
		where := "where it was issued"
		if w := staticTokenSettings(p); w != "" {
			where = "at " + w
		}
		return fmt.Sprintf("Forgot the token of profile %q on this machine. tok cannot revoke a static token; it stays valid until you revoke it %s.", p.Name, where)
	case p.Type == record.Federated:
		return fmt.Sprintf("Forgot the token of profile %q on this machine; the provider was not told, and the token stays valid there until it expires.", p.Name)
	}
	return fmt.Sprintf("Forgot the tokens of profile %q on this machine; the provider was not told (--local).", p.Name)
}

// staticTokenSettings is where a static profile's token is revoked, when
// its --env names tell the service: "" when they do not.
func staticTokenSettings(p tokens.Profile) string {
	for _, e := range p.Env {
		switch e {
		case "GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN":
			return "GitHub's token settings (https://github.com/settings/tokens)"
		case "GITLAB_TOKEN", "GL_TOKEN":
			return "GitLab's access token settings (https://gitlab.com/-/user_settings/personal_access_tokens)"
		}
	}
	return ""
}
