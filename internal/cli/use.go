package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// useOptions is what tok use's command line says.
type useOptions struct {
	Name  string // the argument; "" picks one at a terminal
	Unset bool   // --unset
}

// newCmdUse builds tok use. It only parses: runF (nil = d.runUse) does
// the work.
func newCmdUse(d *Deps, runF func(*useOptions) error) *cobra.Command {
	opts := &useOptions{}
	cmd := &cobra.Command{
		Use:   "use [NAME | --unset]",
		Short: "Make a profile the default",
		Long: `Make a profile the default: commands use it when neither -p nor TOK_PROFILE names one. Without NAME, a person at a terminal picks one from a list.

With --unset there is no default any more: commands then need -p or
TOK_PROFILE, and a person at a terminal picks a profile from a list.`,
		Example: `  tok use api
  tok use
  tok use --unset`,
		Args:              d.checkProfileArg,
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return d.runUse(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Unset, "unset", false, "forget the default profile")
	return cmd
}

// runUse makes a profile the default, or with Unset forgets the default.
func (d *Deps) runUse(ctx context.Context, opts *useOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	if opts.Unset {
		if opts.Name != "" {
			return usagef("tok use --unset takes no profile name; to choose a default run: tok use %s", opts.Name)
		}
		prev, err := svc.ClearDefault()
		if err != nil {
			return err
		}
		if prev == "" {
			fmt.Fprintln(d.io.ErrOut, "There was no default profile.")
		} else {
			fmt.Fprintf(d.io.ErrOut, "Profile %q is no longer the default; there is none now.\n", prev)
		}
		return nil
	}
	name := opts.Name
	if name == "" {
		if !d.io.CanDraw() {
			return usagef("no profile named and no terminal to pick one on; name it: tok use NAME")
		}
		if name, err = d.chooseProfile(ctx); err != nil {
			return err
		}
	}
	if err := svc.SetDefault(name); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Default profile is now %q.\n", name)
	return nil
}
