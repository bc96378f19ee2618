package cli

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestUnlockPhrase(t *testing.T) {
	pass := keysource.Passphrase
	for _, tc := range []struct {
		ks   tokens.KeyState
		want string
	}{
		{tokens.KeyState{Source: keysource.Keyring}, ""},
		{tokens.KeyState{Source: keysource.File, Unlock: keysource.UnlockState{Unlocked: true}}, ""},
		{tokens.KeyState{Source: pass, NoKey: true}, "no data key yet"},
		{tokens.KeyState{Source: pass}, "locked; run: tok unlock"},
		{tokens.KeyState{Source: pass, Unlock: keysource.UnlockState{Unlocked: true}}, "unlocked"},
		{tokens.KeyState{Source: pass, Unlock: keysource.UnlockState{Unlocked: true, Left: 42 * time.Second}}, "unlocked, 42s left"},
		{tokens.KeyState{Source: pass, Unlock: keysource.UnlockState{Unlocked: true, Left: 29 * time.Minute}}, "unlocked, at least 29m left"},
		{tokens.KeyState{Source: pass, Unlock: keysource.UnlockState{Unlocked: true, Left: 7 * time.Hour}}, "unlocked, at least 7h left"},
		{tokens.KeyState{Source: pass, Unlock: keysource.UnlockState{Unlocked: true, Left: 72 * time.Hour}}, "unlocked, at least 3d left"},
	} {
		if got := unlockPhrase(tc.ks); got != tc.want {
			t.Errorf("unlockPhrase(%+v) = %q, want %q", tc.ks, got, tc.want)
		}
	}
}
