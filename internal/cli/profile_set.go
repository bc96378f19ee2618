package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileSetOptions is what tok profile set's command line says.
type profileSetOptions struct {
	Name     string
	Settings profileOptions // the profile flags' values
	// Changed names the profile flags given on the command line, in
	// order; only their settings change.
	Changed []string
}

// given reports whether the profile flag name was on the command line.
func (o *profileSetOptions) given(name string) bool { return slices.Contains(o.Changed, name) }

// newCmdProfileSet builds tok profile set. It only parses: runF (nil =
// d.runProfileSet) does the work.
func newCmdProfileSet(d *Deps, runF func(*profileSetOptions) error) *cobra.Command {
	opts := &profileSetOptions{}
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
			opts.Name = args[0]
			opts.Changed = changedProfileFlags(cmd.Flags())
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileSet(cmd.Context(), opts)
		},
	}
	registerProfileFlags(cmd, &opts.Settings)
	return cmd
}

// runProfileSet applies the changed settings to a stored profile and
// builds it again as tok profile add would, keeping its tokens and client
// secret when they still apply.
func (d *Deps) runProfileSet(ctx context.Context, opts *profileSetOptions) error {
	if len(opts.Changed) == 0 {
		return usagef("tok profile set needs the settings to change, e.g. tok profile set %s --description TEXT; see: tok profile set --help", opts.Name)
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	old, err := svc.Profile(opts.Name)
	if err != nil {
		return err
	}
	spec, err := setSpec(old, &opts.Settings, opts.given)
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
	p, secret, err := d.buildProfile(ctx, spec, secretFlags{prompt: opts.Settings.clientSecretFlag, stdin: opts.Settings.clientSecretIn})
	if err != nil {
		return err
	}
	if keepEndpoints && p.OAuth != nil && !p.OAuth.ExplicitEndpoints {
		p.OAuth.Endpoints, p.OAuth.DiscoveredAt = old.OAuth.Endpoints, old.OAuth.DiscoveredAt
	}
	item := tokens.ImportItem{Profile: p, ClientSecret: secret, SecretRequired: p.OAuth != nil && p.OAuth.Flow == record.FlowClientCredentials}
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
	fmt.Fprintln(d.io.ErrOut, line.String())
	return nil
}

// setSpec is the spec of the stored profile old with the settings whose
// flags given reports set to their values in o. A new type keeps only
// what applies to it: a static profile has no OAuth settings, only a
// federated one a subject token source.
func setSpec(old tokens.Profile, o *profileOptions, given func(flag string) bool) (tokens.ProfileSpec, error) {
	base := tokens.SpecOf(old)
	if given("type") && o.typ != string(old.Type) {
		if o.typ == string(record.Static) {
			base = tokens.ProfileSpec{Name: base.Name, Description: base.Description, Env: base.Env, Shared: base.Shared, Remotes: base.Remotes}
		}
		if o.typ != string(record.Federated) {
			base.Federation = nil
		}
	}
	return specFromFlags(base, o, given)
}

// changedProfileFlags names the profile flags changed in f, in order
// (global flags such as --home do not count).
func changedProfileFlags(f *pflag.FlagSet) []string {
	var known profileOptions
	settings := pflag.NewFlagSet("settings", pflag.ContinueOnError)
	registerProfileSettings(settings, &known)
	var changed []string
	f.Visit(func(fl *pflag.Flag) {
		if settings.Lookup(fl.Name) != nil {
			changed = append(changed, fl.Name)
		}
	})
	return changed
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
