package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/tokens"
)

// profileRenameOptions is what tok profile rename's command line says.
type profileRenameOptions struct {
	Old, New string
}

// newCmdProfileRename builds tok profile rename. It only parses: runF
// (nil = d.runProfileRename) does the work.
func newCmdProfileRename(d *Deps, runF func(*profileRenameOptions) error) *cobra.Command {
	opts := &profileRenameOptions{}
	return &cobra.Command{
		Use:               "rename OLD NEW",
		Aliases:           []string{"mv"},
		Short:             "Rename a profile",
		Args:              exactArgs(2, "the old and the new name"),
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileRename(cmd.Context(), opts)
		},
	}
}

// runProfileRename renames a profile, its tokens and its default mark.
func (d *Deps) runProfileRename(ctx context.Context, opts *profileRenameOptions) error {
	// A malformed new name is a usage error (exit 2), as in profile add.
	if err := tokens.ValidateName(opts.New); err != nil {
		return &usageError{err}
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.RenameProfile(ctx, opts.Old, opts.New); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Renamed profile %q to %q.\n", opts.Old, opts.New)
	return nil
}
