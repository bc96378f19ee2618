package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
)

func TestNewCmdUnlockAndLock(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var un *unlockOptions
	if err := parseCmd(d, newCmdUnlock(d, func(o *unlockOptions) error { un = o; return nil }), "--for", "30m", "--passphrase-stdin"); err != nil ||
		un == nil || un.For != 30*time.Minute || !d.passphraseStdin {
		t.Errorf("unlock --for 30m --passphrase-stdin: %+v, %v", un, err)
	}
	if err := parseCmd(d, newCmdUnlock(d, func(o *unlockOptions) error { un = o; return nil })); err != nil || un.For != keysource.DefaultUnlockFor {
		t.Errorf("unlock: %+v, %v", un, err)
	}
	if err := parseCmd(d, newCmdUnlock(d, nil), "--for", "soon"); err == nil || !strings.Contains(err.Error(), `invalid duration "soon"`) {
		t.Errorf("unlock --for soon: %v", err)
	}
	locked := false
	if err := parseCmd(d, newCmdLock(d, func(*lockOptions) error { locked = true; return nil })); err != nil || !locked {
		t.Errorf("lock: %v", err)
	}
	if err := parseCmd(d, newCmdLock(d, nil), "now"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "takes no arguments") {
		t.Errorf("lock now: %v", err)
	}
}

func TestLockWithoutPassphrase(t *testing.T) {
	d, _, _, _, errOut := testDeps(t, nil)
	if err := profileAdd(t, d, "gh", "--type", "static"); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if err := d.runLock(t.Context(), &lockOptions{}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "The key source is not passphrase; there is nothing to lock.")
}
