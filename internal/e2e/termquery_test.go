//go:build unix

package e2e

import (
	"strings"
	"testing"
)

// TestNoTerminalQueryAtStart checks that tok asks the terminal nothing when
// it starts with stdout on a terminal: bubbletea v1's init would send an OSC
// 11 background-colour query and wait up to 5 s on a terminal that does not
// answer (internal/termguard prevents it).
func TestNoTerminalQueryAtStart(t *testing.T) {
	t.Parallel()
	env := terminalEnv(t).With("TERM=xterm-256color")
	for _, args := range [][]string{{"version"}, {"status"}} {
		term := StartTerminal(t, env, TerminalOptions{StdoutOnTerminal: true}, args...)
		r := term.Wait(t)
		WantCode(t, r, 0)
		if screen := term.Screen(); strings.Contains(screen, queryBackground) || strings.Contains(screen, queryPosition) {
			t.Errorf("tok %v queried the terminal at start: %q", args, screen)
		}
	}
}
