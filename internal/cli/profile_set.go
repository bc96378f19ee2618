package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileSetOptions are the inputs of tok profile set.
type profileSetOptions struct {
	ErrOut  io.Writer
	Service func() (*tokens.Service, error)
	// Build makes a profile from a spec, as tok profile add does
	// (checks, discovery, defaults, the client secret flags).
	Build func(ctx context.Context, spec tokens.ProfileSpec, sf secretFlags) (tokens.Profile, string, error)

	Name string
	// Flags are the profile flags' values; Given holds them as parsed
	// from the command line: only the flags changed there are applied.
	Flags *profileOptions
	Given *pflag.FlagSet
}

func newProfileSetCmd(d *Deps) *cobra.Command {
	var parsed profileOptions
	cmd := &cobra.Command{
		Use:   "set NAME --flag value...",
		Short: "Change a profile's settings, keeping its tokens when they still apply",
		Long: `Change the settings of a profile. It takes the flags of tok profile add and
changes only the settings given; the others stay as they are. A repeatable
flag (--env, --resource, --auth-param) replaces the whole list.

The profile keeps its tokens when they still come from the same place: the
same type, issuer, token endpoint, client ID, scopes, audience, resources
and username (or federation source), as tok profile import --force decides.
Otherwise its tokens are deleted and tok says which login is needed. Its
client secret is kept while the client stays the same; give a new one with
--client-secret or --client-secret-stdin.

A new issuer (or --ca-file) is discovered again, as in tok profile add.`,
		Example: `  tok profile set api --description "Team API"
  tok profile set api --redirect-port 8400
  tok profile set api --scopes openid,offline_access,groups
  echo "$NEW_SECRET" | tok profile set ci --client-secret-stdin`,
		Args:              exactArgs(1, "a profile name"),
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProfileSet(cmd.Context(), &profileSetOptions{
				ErrOut:  d.io.ErrOut,
				Service: d.service,
				Build:   d.buildProfile,
				Name:    args[0],
				Flags:   &parsed,
				Given:   cmd.Flags(),
			})
		},
	}
	registerProfileFlags(cmd, &parsed)
	return cmd
}

func runProfileSet(ctx context.Context, opts *profileSetOptions) error {
	if !profileFlagGiven(opts.Given) {
		return usagef("tok profile set needs the settings to change, e.g. tok profile set %s --description TEXT; see: tok profile set --help", opts.Name)
	}
	svc, err := opts.Service()
	if err != nil {
		return err
	}
	old, err := svc.Profile(opts.Name)
	if err != nil {
		return err
	}
	spec, err := setSpec(old, opts.Flags, opts.Given)
	if err != nil {
		return err
	}
	// Endpoints discovered for the same issuer stay valid: keep them
	// instead of asking the provider again for a change of description.
	keepEndpoints := old.OAuth != nil && !old.OAuth.ExplicitEndpoints && old.OAuth.Endpoints.TokenURL != "" &&
		spec.Issuer == old.OAuth.Issuer && spec.CAFile == old.OAuth.CAFile
	if keepEndpoints {
		spec.NoDiscovery = true
	}
	p, secret, err := opts.Build(ctx, spec, secretFlags{prompt: opts.Flags.clientSecretFlag, stdin: opts.Flags.clientSecretIn})
	if err != nil {
		return err
	}
	if keepEndpoints && p.OAuth != nil && !p.OAuth.ExplicitEndpoints {
		p.OAuth.Endpoints, p.OAuth.DiscoveredAt = old.OAuth.Endpoints, old.OAuth.DiscoveredAt
	}
	item := tokens.ImportItem{Profile: p, ClientSecret: secret, SecretRequired: p.OAuth != nil && p.OAuth.Flow == tokens.FlowClientCredentials}
	outcomes, err := svc.ImportProfiles(ctx, []tokens.ImportItem{item}, true)
	var missing *tokens.MissingSecretError
	switch {
	case errors.As(err, &missing):
		return usagef("profile %q would use the client-credentials flow without a client secret; nothing was changed. Add --client-secret or --client-secret-stdin", p.Name)
	case err != nil:
		return fmt.Errorf("could not change profile %q; nothing was changed: %w", p.Name, err)
	}
	out := outcomes[0]
	var line strings.Builder
	fmt.Fprintf(&line, "Updated %s profile %q", p.Type, p.Name)
	switch {
	case out.KeptTokens:
		line.WriteString("; its tokens were kept (same provider, client and scopes).")
	case out.DroppedTokens:
		line.WriteString("; its tokens were deleted, since they came from another provider, client or scope set, so a login is needed.")
	default:
		line.WriteString(".")
	}
	if old.OAuth != nil && len(old.OAuth.ClientSecret) > 0 && !out.KeptSecret && secret == "" && p.OAuth != nil {
		fmt.Fprintf(&line, " Its client secret was dropped, since the client changed; give the new one with: tok profile set %s --client-secret", p.Name)
	}
	if out.DroppedTokens {
		fmt.Fprintf(&line, " Next: %s", loginCommand(p))
	}
	fmt.Fprintln(opts.ErrOut, line.String())
	return nil
}

// setSpec is the spec of the stored profile old with the flags given on
// the command line applied. A new type keeps only what applies to it: a
// static profile has no OAuth settings, only a federated one a subject
// token source.
func setSpec(old tokens.Profile, o *profileOptions, given *pflag.FlagSet) (tokens.ProfileSpec, error) {
	base := tokens.SpecOf(old)
	if t := given.Lookup("type"); t != nil && t.Changed && o.typ != string(old.Type) {
		if o.typ == string(record.Static) {
			base = tokens.ProfileSpec{Name: base.Name, Description: base.Description, Env: base.Env, Shared: base.Shared, Remotes: base.Remotes}
		}
		if o.typ != string(record.Federated) {
			base.Federation = nil
		}
	}
	return specFromFlags(base, o, func(name string) bool {
		f := given.Lookup(name)
		return f != nil && f.Changed
	})
}

// profileFlagGiven reports whether any profile setting was given (global
// flags such as --home do not count).
func profileFlagGiven(given *pflag.FlagSet) bool {
	var known profileOptions
	settings := pflag.NewFlagSet("settings", pflag.ContinueOnError)
	registerProfileSettings(settings, &known)
	found := false
	given.Visit(func(f *pflag.Flag) {
		if settings.Lookup(f.Name) != nil {
			found = true
		}
	})
	return found
}

// loginCommand is the command that gets profile p its first tokens.
func loginCommand(p tokens.Profile) string {
	switch p.Type {
	case record.Static:
		return "tok login -p " + p.Name + " --with-token < FILE"
	case record.Federated:
		return "tok token -p " + p.Name
	}
	return "tok login -p " + p.Name
}
