package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/build"
)

// versionOptions is what tok version's command line says: nothing beyond
// the global flags.
type versionOptions struct{}

// newCmdVersion builds tok version. It only parses: runF (nil =
// d.runVersion) does the work.
func newCmdVersion(d *Deps, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{}
	return &cobra.Command{
		Use:   "version",
		Short: "Print tok's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runVersion(opts)
		},
	}
}

// runVersion prints the version, commit and build of this tok.
func (d *Deps) runVersion(*versionOptions) error {
	_, err := fmt.Fprintf(d.io.Out, "tok %s (commit %s, built %s, %s %s/%s)\n", build.Version, build.Commit, build.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
