package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/tokens"
)

// checkProfileArg lets a command that takes no other argument name its
// profile as one plain argument (tok token gh) with the precedence of -p.
// The argument and a different -p are a usage error. The small tok front
// reads these spellings the same way (TestFrontParsesLikeCobra). The
// command reads the name with namedProfile.
func (d *Deps) checkProfileArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case len(args) > 1:
		return usagef("%s takes at most one profile name, got %d arguments; see: %s --help", cmd.CommandPath(), len(args), cmd.CommandPath())
	case d.profileFlag != "" && d.profileFlag != args[0]:
		return usagef("-p %s and the argument %s name different profiles; give one of them", d.profileFlag, args[0])
	}
	return nil
}

// withProfileArg makes cmd a command that takes its profile as one
// optional argument or -p and no other argument: checkProfileArg checks
// them, completion offers profile names, and cmd's RunE reads the named
// profile (namedProfile) into *profile before it calls run with the
// command's context. run is where the command calls runF or d.runX.
func (d *Deps) withProfileArg(cmd *cobra.Command, profile *string, run func(context.Context) error) *cobra.Command {
	cmd.Args = d.checkProfileArg
	cmd.ValidArgsFunction = d.completeProfileArg
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		*profile = d.namedProfile(args)
		return run(cmd.Context())
	}
	return cmd
}

// namedProfile is the profile the command line names: the argument (one,
// checked by checkProfileArg), else -p; "" when it names none (then
// plan.Profile goes on to TOK_PROFILE and the default).
func (d *Deps) namedProfile(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return d.profileFlag
}

// requireProfile resolves the profile for commands that need one: the
// named one (-p or the argument), TOK_PROFILE, the default, or the
// picker when a person is at a terminal.
func (d *Deps) requireProfile(ctx context.Context, svc *tokens.Service, named string) (string, error) {
	if name := plan.Profile(named, "", d.getenv); name != "" {
		return name, nil
	}
	def, err := svc.DefaultProfile()
	if err != nil {
		return "", err
	}
	if def != "" {
		return def, nil
	}
	return d.chooseProfile(ctx)
}

// serviceAndProfile opens d's Service and loads the profile that a
// command needing one is about: the named one, TOK_PROFILE, the default,
// or the picker (requireProfile).
func (d *Deps) serviceAndProfile(ctx context.Context, named string) (*tokens.Service, tokens.Profile, error) {
	svc, err := d.service()
	if err != nil {
		return nil, tokens.Profile{}, err
	}
	name, err := d.requireProfile(ctx, svc, named)
	if err != nil {
		return nil, tokens.Profile{}, err
	}
	p, err := svc.Profile(name)
	return svc, p, err
}

// completeProfileArg completes the first argument with profile names.
func (d *Deps) completeProfileArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Name() != "rename" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return d.completeProfiles(cmd, args, toComplete)
}
