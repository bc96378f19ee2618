package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/keysource"
)

// passphrases asks for the passphrase of the passphrase key source: hidden
// at the terminal, or one line per passphrase from stdin with
// --passphrase-stdin. It implements keysource.Passphrases.
type passphrases struct {
	io    *iostreams.IOStreams
	stdin bool // --passphrase-stdin
}

// askPassphrases returns who can type a passphrase in this run, or nil
// when nobody can (no terminal, no --passphrase-stdin): then a locked key
// fails fast with exit 4 instead of waiting for a person.
func (d *Deps) askPassphrases() keysource.Passphrases {
	if !d.passphraseStdin && !d.io.CanPrompt() {
		return nil
	}
	return &passphrases{io: d.io, stdin: d.passphraseStdin}
}

func (p *passphrases) Current(ctx context.Context) ([]byte, error) {
	if p.stdin {
		return p.line("the passphrase")
	}
	s, err := p.io.ReadSecret("Passphrase for tok's data key: ")
	if err != nil {
		return nil, fmt.Errorf("could not read the passphrase: %w", err)
	}
	if s == "" {
		return nil, fmt.Errorf("%w: no passphrase typed", errCancelled)
	}
	return []byte(s), nil
}

func (p *passphrases) New(ctx context.Context) ([]byte, error) {
	if p.stdin {
		b, err := p.line("the new passphrase")
		if err != nil {
			return nil, err
		}
		return b, checkNewPassphrase(b)
	}
	fmt.Fprintln(p.io.ErrOut, "Choose a passphrase for tok's data key (it is never stored: without it, the stored tokens are lost).")
	first, err := p.io.ReadSecret("New passphrase: ")
	if err != nil {
		return nil, fmt.Errorf("could not read the passphrase: %w", err)
	}
	if err := checkNewPassphrase([]byte(first)); err != nil {
		return nil, err
	}
	again, err := p.io.ReadSecret("Repeat the new passphrase: ")
	if err != nil {
		return nil, fmt.Errorf("could not read the passphrase: %w", err)
	}
	if first != again {
		return nil, errors.New("the two passphrases differ; nothing was changed")
	}
	return []byte(first), nil
}

func checkNewPassphrase(b []byte) error {
	if n := len([]rune(string(b))); n < keysource.MinPassphraseLen {
		return fmt.Errorf("the passphrase has %d characters; use at least %d; nothing was changed", n, keysource.MinPassphraseLen)
	}
	return nil
}

// line reads one line of stdin with --passphrase-stdin.
func (p *passphrases) line(what string) ([]byte, error) {
	b, err := readLine(p.io.In)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("could not read %s from stdin: %w", what, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("--passphrase-stdin: stdin has no line with %s", what)
	}
	return b, nil
}

// readLine reads one line (at most 4 KiB) byte by byte, so a later read
// (the new passphrase of tok config passphrase change, a hidden prompt
// after a question) finds the next line. At the end of the input with
// nothing read it returns io.EOF.
func readLine(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	one := make([]byte, 1)
	for b.Len() < 4096 {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b.WriteByte(one[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			if b.Len() == 0 {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\r")), nil
}

// chooseKeySource asks the person at the terminal where the data key goes
// when there is no OS keyring here (first use only).
func (d *Deps) chooseKeySource(ctx context.Context, why error) (keysource.Source, error) {
	d.log.Debug("OS keyring unavailable", "err", why)
	fmt.Fprintln(d.io.ErrOut, "There is no OS keyring (Secret Service) here to keep the key that seals tok's tokens.")
	fmt.Fprintln(d.io.ErrOut, "Keep it under a passphrase (recommended; unlocked once per session) or in a plaintext file (throwaway machines only)?")
	for range 3 {
		answer, err := d.readLine("Key source [passphrase/file/cancel] (passphrase): ")
		if err != nil {
			return "", err
		}
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "", "p", "passphrase":
			return keysource.Passphrase, nil
		case "f", "file":
			return keysource.File, nil
		case "c", "cancel", "q", "n", "no":
			return "", fmt.Errorf("%w: no key source chosen; choose one later with: tok config set key-source passphrase", errCancelled)
		}
		fmt.Fprintln(d.io.ErrOut, "Type passphrase, file or cancel.")
	}
	return "", fmt.Errorf("%w: no key source chosen", errCancelled)
}

// readLine prints prompt on stderr and reads one line typed at the
// terminal, byte by byte so nothing meant for a later prompt is consumed.
func (d *Deps) readLine(prompt string) (string, error) {
	fmt.Fprint(d.io.ErrOut, prompt)
	b, err := readLine(d.io.In)
	if err != nil {
		return "", fmt.Errorf("could not read the answer: %w", err)
	}
	return string(b), nil
}

func newUnlockCmd(d *Deps) *cobra.Command {
	var unlockFor time.Duration
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
			if unlockFor <= 0 || unlockFor > 30*24*time.Hour {
				return usagef("--for %s: give a duration between 1s and 720h", unlockFor)
			}
			svc, err := d.service()
			if err != nil {
				return err
			}
			if err := svc.Unlock(cmd.Context(), unlockFor); err != nil {
				return err
			}
			if runtime.GOOS != "linux" {
				fmt.Fprintln(d.io.ErrOut, "The passphrase is right. This OS has no kernel keyring, so each command asks for it again.")
				return nil
			}
			fmt.Fprintf(d.io.ErrOut, "Unlocked tok's data key for %s (until %s); lock it again with: tok lock\n",
				unlockFor, d.now().Add(unlockFor).Local().Format("2006-01-02 15:04 MST"))
			return nil
		},
	}
	cmd.Flags().DurationVar(&unlockFor, "for", keysource.DefaultUnlockFor, "how long the key stays unlocked")
	return cmd
}

func newLockCmd(d *Deps) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Lock the passphrase-protected data key now",
		Long: `Drop the unlocked data key of the passphrase key source from the kernel
keyring. Until the next tok unlock, commands at a terminal ask for the
passphrase, and commands off a terminal exit 4.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := d.service()
			if err != nil {
				return err
			}
			locked, err := svc.Lock(cmd.Context())
			if err != nil {
				return err
			}
			if !locked {
				fmt.Fprintln(d.io.ErrOut, "The key source is not passphrase; there is nothing to lock.")
				return nil
			}
			fmt.Fprintln(d.io.ErrOut, "Locked tok's data key; unlock it with: tok unlock")
			return nil
		},
	}
}

func newPassphraseCmd(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passphrase",
		Short: "Manage the passphrase of the passphrase key source",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "change [--passphrase-stdin]",
		Short: "Wrap the data key under a new passphrase",
		Long: `Ask for the current passphrase and a new one (twice), and wrap the data key
under the new one. The key itself does not change, so no secret is re-sealed.
With --passphrase-stdin, stdin holds two lines: the current passphrase, then
the new one.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := d.service()
			if err != nil {
				return err
			}
			if err := svc.ChangePassphrase(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(d.io.ErrOut, "Changed the passphrase of tok's data key.")
			return nil
		},
	})
	return cmd
}
