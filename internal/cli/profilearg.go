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
