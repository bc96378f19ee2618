package cli

import (
	"github.com/spf13/cobra"
)

// newCmdProfile builds tok profile, the group of the profile commands;
// each has its own file (profile_add.go, profile_list.go, ...).
func newCmdProfile(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "profile",
		Aliases: []string{"profiles"},
		Short:   "Add, change, list, show, rename, remove, export and import profiles",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCmdProfileAdd(d, nil), newCmdProfileSet(d, nil), newCmdProfileList(d, nil), newCmdProfileShow(d, nil),
		newCmdProfileRm(d, nil), newCmdProfileRename(d, nil), newCmdProfileExport(d, nil), newCmdProfileImport(d, nil))
	return cmd
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

// exactArgs is cobra.ExactArgs with a message that says what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d argument(s)); see: %s --help", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}
