package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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

// newCmdPassphrase builds tok config passphrase, the group of its one
// command, change.
func newCmdPassphrase(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passphrase",
		Short: "Manage the passphrase of the passphrase key source",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdPassphraseChange(d, nil))
	return cmd
}

// passphraseChangeOptions is what tok config passphrase change's command
// line says: nothing beyond the global flags (--passphrase-stdin).
type passphraseChangeOptions struct{}

// newCmdPassphraseChange builds tok config passphrase change. It only
// parses: runF (nil = d.runPassphraseChange) does the work.
func newCmdPassphraseChange(d *Deps, runF func(*passphraseChangeOptions) error) *cobra.Command {
	opts := &passphraseChangeOptions{}
	return &cobra.Command{
		Use:   "change [--passphrase-stdin]",
		Short: "Wrap the data key under a new passphrase",
		Long: `Ask for the current passphrase and a new one (twice), and wrap the data key
under the new one. The key itself does not change, so no secret is re-sealed.
With --passphrase-stdin, stdin holds two lines: the current passphrase, then
the new one.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runPassphraseChange(cmd.Context(), opts)
		},
	}
}

// runPassphraseChange wraps the data key under a new passphrase; the key
// itself stays, so nothing is re-sealed.
func (d *Deps) runPassphraseChange(ctx context.Context, _ *passphraseChangeOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.ChangePassphrase(ctx); err != nil {
		return err
	}
	fmt.Fprintln(d.io.ErrOut, "Changed the passphrase of tok's data key.")
	return nil
}
