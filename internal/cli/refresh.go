package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// refreshOptions is what tok refresh's command line says.
type refreshOptions struct {
	Profile string // -p or the argument; "" = TOK_PROFILE, the default or the picker
	All     bool   // --all
}

// newCmdRefresh builds tok refresh. It only parses: runF (nil =
// d.runRefresh) does the work.
func newCmdRefresh(d *Deps, runF func(*refreshOptions) error) *cobra.Command {
	opts := &refreshOptions{}
	cmd := &cobra.Command{
		Use:   "refresh [PROFILE | -p PROFILE | --all]",
		Short: "Refresh a profile's token now, even when it is still fresh",
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "refresh every OAuth and federated profile that holds tokens")
	return d.withProfileArg(cmd, &opts.Profile, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		return d.runRefresh(ctx, opts)
	})
}

// runRefresh refreshes one profile's token, or with All every OAuth and
// federated profile that holds tokens, each failure on its own line.
func (d *Deps) runRefresh(ctx context.Context, opts *refreshOptions) error {
	if opts.All && opts.Profile != "" {
		return usagef("--all refreshes every profile; leave out the profile name, or drop --all")
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	var names []string
	if opts.All {
		list, err := svc.List()
		if err != nil {
			return err
		}
		for _, ps := range list {
			// Every profile that holds tokens, a dead grant included:
			// its failure is reported, not skipped in silence.
			if (ps.Profile.Type == record.OAuth || ps.Profile.Type == record.Federated) && !ps.Obtained.IsZero() {
				names = append(names, ps.Profile.Name)
			}
		}
	} else {
		name, err := d.requireProfile(ctx, svc, opts.Profile)
		if err != nil {
			return err
		}
		names = []string{name}
	}
	if opts.All && len(names) == 0 {
		fmt.Fprintln(d.io.ErrOut, "No OAuth profile holds a token to refresh; sign in first with: tok login -p NAME")
		return nil
	}
	var errs []error
	for _, name := range names {
		cred, err := d.withRefreshProgress(ctx, name, func(ctx context.Context) (record.Credential, error) {
			return svc.Refresh(ctx, name)
		})
		if err != nil {
			if !opts.All {
				return err
			}
			// Each failure gets its line now; the exit code sums them up.
			d.printError(err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(d.io.ErrOut, "Refreshed profile %q%s.\n", cred.Profile, expiryPhrase(cred.Expiry, d.now()))
	}
	if len(errs) == 0 {
		return nil
	}
	return refreshAllFailed(errs, len(names))
}

// refreshAllFailed is the error of tok refresh --all after failures were
// printed one by one: exit 4 when every failure needs a login, else 1.
func refreshAllFailed(errs []error, total int) error {
	msg := fmt.Sprintf("%d of %d profiles were not refreshed (see above)", len(errs), total)
	for _, err := range errs {
		if !errors.Is(err, tokens.ErrLoginRequired) {
			return &reportedError{msg: msg}
		}
	}
	return &reportedError{msg: msg, kind: tokens.ErrLoginRequired}
}
