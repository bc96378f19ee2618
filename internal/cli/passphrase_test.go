package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/keysource"
)

// TestPassphrasesFromStdin: --passphrase-stdin reads one line per
// passphrase (tok config passphrase change reads the current one, then the
// new one), without asking twice, and refuses what is missing or short.
func TestPassphrasesFromStdin(t *testing.T) {
	ctx := context.Background()
	ios, in, _, _ := iostreams.Test()
	in.WriteString("current passphrase\r\nnew passphrase\n")
	p := &passphrases{io: ios, stdin: true}
	cur, err := p.Current(ctx)
	if err != nil || string(cur) != "current passphrase" {
		t.Fatalf("Current = %q, %v", cur, err)
	}
	next, err := p.New(ctx)
	if err != nil || string(next) != "new passphrase" {
		t.Fatalf("New = %q, %v", next, err)
	}
	if _, err := p.Current(ctx); err == nil || !strings.Contains(err.Error(), "stdin has no line") {
		t.Fatalf("Current after the input ran out: %v", err)
	}

	ios, in, _, _ = iostreams.Test()
	in.WriteString("short\n")
	p = &passphrases{io: ios, stdin: true}
	if _, err := p.New(ctx); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("a 5-character new passphrase: %v", err)
	}
}

// TestAskPassphrasesOffTerminal: with no terminal and no
// --passphrase-stdin nobody can type a passphrase, so the resolver gets
// none and a locked key fails fast (exit 4) instead of waiting.
func TestAskPassphrasesOffTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	d := newDeps(ios, func(string) string { return "" })
	if d.askPassphrases() != nil {
		t.Fatal("off a terminal without --passphrase-stdin, passphrases could be asked")
	}
	d.passphraseStdin = true
	if d.askPassphrases() == nil {
		t.Fatal("with --passphrase-stdin, no passphrase reader")
	}
	ios.SetTTY(true, false, true)
	d.passphraseStdin = false
	if d.askPassphrases() == nil {
		t.Fatal("at a terminal, no passphrase prompt")
	}
}

// TestLockedKeyExitsLoginRequired: a locked passphrase key is exit 4, like
// a login a script cannot do; a wrong passphrase is an ordinary error.
func TestLockedKeyExitsLoginRequired(t *testing.T) {
	locked := fmt.Errorf("could not get the data key (key source passphrase): %w", keysource.ErrLocked)
	if got := exitCode(locked); got != ExitLoginRequired {
		t.Errorf("exit code of a locked key: %d, want %d", got, ExitLoginRequired)
	}
	if got := exitCode(keysource.ErrWrongPassphrase); got != ExitError {
		t.Errorf("exit code of a wrong passphrase: %d, want %d", got, ExitError)
	}
}
