package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tui"
	"github.com/tok-cli/tok/internal/when"
)

// statusOptions is what tok status's command line says.
type statusOptions struct {
	Profile string // -p or the argument; "" = TOK_PROFILE, else every profile
	JSON    bool   // --json
}

// newCmdStatus builds tok status. It only parses: runF (nil =
// d.runStatus) does the work.
func newCmdStatus(d *Deps, runF func(*statusOptions) error) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [PROFILE | -p PROFILE]",
		Short: "Show the state of every profile's tokens (never the tokens)",
		Long: `Show each profile's type, issuer, flow, token expiry, whether a refresh token
is held, and its state:

  valid           a token is ready
  stale           inside the refresh margin: the next use refreshes it
  expired         past expiry (OAuth: refreshed on next use)
  login required  no usable token, or the provider refused the refresh
                  token (a dead grant); run tok login -p NAME
  no token        a static profile without a stored token

With a profile name (or -p, or TOK_PROFILE) only that profile is shown.
With the passphrase key source a last line on stderr says whether the data
key is unlocked (and, on Linux, at least how long it stays so); status
never asks for the passphrase to find out.`,
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return d.withProfileArg(cmd, &opts.Profile, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		return d.runStatus(ctx, opts)
	})
}

// runStatus shows the profile opts name (or TOK_PROFILE's), else every
// profile, as a table on stdout or as JSON.
func (d *Deps) runStatus(_ context.Context, opts *statusOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	var list []tokens.ProfileStatus
	if name := plan.Profile(opts.Profile, "", d.getenv); name != "" {
		ps, err := svc.Status(name)
		if err != nil {
			return err
		}
		list = append(list, ps)
	} else if list, err = svc.List(); err != nil {
		return err
	}
	return d.writeListing(list, opts.JSON, func() error {
		header := []string{"PROFILE", "TYPE", "ISSUER", "FLOW", "STATUS", "EXPIRES", "REFRESH"}
		rows := make([][]string, 0, len(list))
		for _, ps := range list {
			flow, refresh := "-", "-"
			if ps.Profile.OAuth != nil {
				flow = string(ps.Profile.OAuth.Flow)
				refresh = yesNo(ps.HasRefresh)
			}
			expires := "-"
			if !ps.Expiry.IsZero() {
				expires = when.Format(ps.Expiry, d.now())
			}
			rows = append(rows, []string{listedName(ps), string(ps.Profile.Type), dash(ps.Profile.IssuerHost()), flow, statusPhrase(ps, d.now()), expires, refresh})
		}
		// Colour only for a person: piped output stays plain columns.
		if err := tui.Table(d.io.Out, d.io.IsStdoutTTY() && d.io.ColorEnabled(), header, rows, 4); err != nil {
			return err
		}
		if line := d.keyStateLine(svc); line != "" {
			fmt.Fprintln(d.io.ErrOut, line)
		}
		return nil
	})
}
