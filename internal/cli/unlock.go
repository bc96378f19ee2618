package cli

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/keysource"
)

// unlockOptions is what tok unlock's command line says.
type unlockOptions struct {
	For time.Duration // --for
}

// newCmdUnlock builds tok unlock. It only parses: runF (nil =
// d.runUnlock) does the work.
func newCmdUnlock(d *Deps, runF func(*unlockOptions) error) *cobra.Command {
	opts := &unlockOptions{}
	cmd := &cobra.Command{
		Use:   "unlock [--for DURATION] [--passphrase-stdin]",
		Short: "Unlock the passphrase-protected data key for a while",
		Long: `Ask for the passphrase of the passphrase key source, unwrap the data key and
keep it in the Linux kernel keyring (this user only) for --for (default 8h), so
that commands, scripts and kubectl get tokens without asking. tok lock drops
it at once.

While the key is locked, a command at a terminal asks for the passphrase once
and goes on; off a terminal it exits 4 with: run: tok unlock.

On macOS and Windows there is no kernel keyring: an unlock lasts for the one
command that asked.`,
		Example: `  tok unlock
  tok unlock --for 30m
  pass show tok | tok unlock --passphrase-stdin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runUnlock(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.For, "for", keysource.DefaultUnlockFor, "how long the key stays unlocked")
	return cmd
}

// runUnlock asks for the passphrase and keeps the unwrapped data key in
// the kernel keyring for opts.For.
func (d *Deps) runUnlock(ctx context.Context, opts *unlockOptions) error {
	if opts.For <= 0 || opts.For > 30*24*time.Hour {
		return usagef("--for %s: give a duration between 1s and 720h", opts.For)
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.Unlock(ctx, opts.For); err != nil {
		return err
	}
	if runtime.GOOS != "linux" {
		fmt.Fprintln(d.io.ErrOut, "The passphrase is right. This OS has no kernel keyring, so each command asks for it again.")
		return nil
	}
	fmt.Fprintf(d.io.ErrOut, "Unlocked tok's data key for %s (until %s); lock it again with: tok lock\n",
		opts.For, d.now().Add(opts.For).Local().Format("2006-01-02 15:04 MST"))
	return nil
}

// lockOptions is what tok lock's command line says: nothing beyond the
// global flags.
type lockOptions struct{}

// newCmdLock builds tok lock. It only parses: runF (nil = d.runLock) does
// the work.
func newCmdLock(d *Deps, runF func(*lockOptions) error) *cobra.Command {
	opts := &lockOptions{}
	return &cobra.Command{
		Use:   "lock",
		Short: "Lock the passphrase-protected data key now",
		Long: `Drop the unlocked data key of the passphrase key source from the kernel
keyring. Until the next tok unlock, commands at a terminal ask for the
passphrase, and commands off a terminal exit 4.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runLock(cmd.Context(), opts)
		},
	}
}

// runLock drops the unlocked data key from the kernel keyring.
func (d *Deps) runLock(ctx context.Context, _ *lockOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	locked, err := svc.Lock(ctx)
	if err != nil {
		return err
	}
	if !locked {
		fmt.Fprintln(d.io.ErrOut, "The key source is not passphrase; there is nothing to lock.")
		return nil
	}
	fmt.Fprintln(d.io.ErrOut, "Locked tok's data key; unlock it with: tok unlock")
	return nil
}
