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
