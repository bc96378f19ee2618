//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/secretservice"
)

// TestLockedKeyringSaysUnlock: a Secret Service whose login collection is
// locked is not a missing keyring. tok says how to unlock it before it
// names another key source, offers no other source at a terminal, never
// falls back; and the unlock it names works.
func TestLockedKeyringSaysUnlock(t *testing.T) {
	t.Parallel()
	k := secretservice.Start(t)
	env := NewEnv(t).With("DBUS_SESSION_BUS_ADDRESS=" + k.Addr)
	secret := NewSecret(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	k.Lock(t)

	r := Run(t, env, secret+"\n", "login", "-p", "api", "--with-token")
	WantCode(t, r, 1)
	WantStderr(t, r, "locked", "unlock it first", "gnome-keyring-daemon --replace --unlock")
	unlock, other := strings.Index(r.Stderr, "unlock it first"), strings.Index(r.Stderr, "tok config set key-source passphrase")
	if other >= 0 && other < unlock {
		t.Errorf("the message offers another key source before the unlock: %s", r.Stderr)
	}
	if strings.Contains(r.Stderr, "no OS keyring here") {
		t.Errorf("a locked keyring was reported as a missing one: %s", r.Stderr)
	}

	// At a terminal: the same advice, and no offer of another source.
	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api")
	term.WaitScreen(t, `Token for profile "api": `)
	term.Type(t, secret+"\r")
	r = term.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, "unlock it first")
	if strings.Contains(r.Stderr, "Key source [passphrase/file/cancel]") {
		t.Errorf("a locked keyring offered another key source instead of the unlock:\n%s", r.Stderr)
	}
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "keyring" {
		t.Errorf("key source after the refusals: %q", got)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Errorf("tok fell back to a key file")
	}

	// The unlock the message names: a daemon that replaces the running
	// one, unlocked with the keyring password from stdin.
	k.StartDaemon(t, "--replace")
	RunOK(t, env, secret+"\n", "login", "-p", "api", "--with-token")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != secret+"\n" {
		t.Fatalf("token after unlocking the keyring: %q", got)
	}
}
