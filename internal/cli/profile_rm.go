package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// profileRmOptions is what tok profile rm's command line says.
type profileRmOptions struct {
	Name string
}

// newCmdProfileRm builds tok profile rm. It only parses: runF (nil =
// d.runProfileRm) does the work.
func newCmdProfileRm(d *Deps, runF func(*profileRmOptions) error) *cobra.Command {
	opts := &profileRmOptions{}
	return &cobra.Command{
		Use:               "rm NAME",
		Aliases:           []string{"remove", "delete"},
		Short:             "Remove a profile and its tokens from this machine",
		Long:              "Remove a profile and its token state. The server is not told: run tok revoke -p NAME first to invalidate its tokens there.",
		Args:              exactArgs(1, "a profile name"),
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileRm(opts)
		},
	}
}

// runProfileRm removes a profile and its token state.
func (d *Deps) runProfileRm(opts *profileRmOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.RemoveProfile(opts.Name); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Removed profile %q.\n", opts.Name)
	return nil
}
