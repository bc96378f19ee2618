package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// ephemeralOptions describe a profile that lives in memory for one run.
type ephemeralOptions struct{}

func (o *ephemeralOptions) register(cmd *cobra.Command) {}

// useEphemeral sets up the ephemeral profile the flags describe and
// returns its name, or "" when the flags describe none.
func (a *app) useEphemeral(ctx context.Context, o *ephemeralOptions) (string, error) {
	return "", nil
}
