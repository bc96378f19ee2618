//go:build unix

package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestCancelledLoginSaysSo: a login interrupted while it waits for the
// browser (Ctrl-C is SIGINT) exits 130 with one plain sentence, without
// Go's "context canceled"; --debug adds the cause on its own line.
func TestCancelledLoginSaysSo(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--flow", "browser")
	for _, debug := range []bool{false, true} {
		args := []string{"login", "api", "--no-browser"}
		if debug {
			args = append(args, "--debug")
		}
		w := StartWatched(t, env, args...)
		w.WaitStderr(t, authURLLine)
		_ = syscall.Kill(w.cmd.Process.Pid, syscall.SIGINT)
		r := w.Wait(t)
		WantCode(t, r, 130)
		WantStderr(t, r, "tok: tok login was cancelled\n")
		if !debug && strings.Contains(r.Stderr, "context canceled") {
			t.Errorf("Go's wording without --debug: %s", r)
		}
		if debug {
			WantStderr(t, r, "tok: debug: cause: ")
		}
	}
}
