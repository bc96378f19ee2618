//go:build unix

package tui

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// TestPickInPseudoTerminal runs the picker on a real 40x24 terminal:
// stdin and stderr are the terminal, stdout is a pipe, as in
// TOKEN=$(tok token) typed at a prompt.
func TestPickInPseudoTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("could not open a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 40}); err != nil {
		t.Fatalf("could not size the pseudo-terminal: %v", err)
	}

	cmd := helperCommand(t, "pick")
	var stdout bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &stdout, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds its own copy

	var screen syncbuf.Buffer
	go func() { _, _ = io.Copy(&screen, ptmx) }() // ends with EIO when the child exits

	waitForOutput(t, &screen, "5 profiles")
	// The terminal is 40 columns wide, so each profile takes two lines and
	// the key help wraps instead of being cut off.
	for _, want := range []string{"    oidc · login.example.com", "ctrl+d set default", "valid for 42m"} {
		waitForOutput(t, &screen, want)
	}
	if _, err := ptmx.WriteString("lab"); err != nil {
		t.Fatal(err)
	}
	waitForOutput(t, &screen, "1 of 5 profiles")
	if _, err := ptmx.WriteString("\r"); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(t, err); code != 0 {
			t.Fatalf("exit code %d; terminal showed:\n%s", code, ansi.Strip(screen.String()))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("picker did not finish; terminal showed:\n%s", ansi.Strip(screen.String()))
	}
	if got := stdout.String(); got != "k8s-lab choose\n" {
		t.Errorf("stdout = %q, want only the answer", got)
	}
	if !sgr.MatchString(screen.String()) {
		t.Error("no colour on a colour terminal with Color=true")
	}
}
