package cli

import (
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/tokens"
)

// unlockPhrase says whether the passphrase key source's data key is
// unlocked, for tok status and tok config list: "unlocked, at least 7h
// left", "unlocked", "locked; run: tok unlock". The time left is what the
// kernel keyring reports, rounded down to its unit; without it (macOS,
// Windows) only unlocked or locked is known. It returns "" for other key
// sources, which have nothing to unlock.
func unlockPhrase(ks tokens.KeyState) string {
	switch {
	case ks.Source != keysource.Passphrase:
		return ""
	case ks.NoKey:
		return "no data key yet"
	case !ks.Unlock.Unlocked:
		return "locked; run: tok unlock"
	case ks.Unlock.Left <= 0:
		return "unlocked"
	case ks.Unlock.Left < time.Minute:
		return fmt.Sprintf("unlocked, %s left", ks.Unlock.Left)
	default:
		return fmt.Sprintf("unlocked, at least %s left", shortDuration(ks.Unlock.Left))
	}
}

// shortDuration writes d in its largest whole unit: 7h, 29m, 3d.
func shortDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
}

// keyStateLine is the line tok status prints under its table for the
// passphrase key source, or "" for other sources or when the state cannot
// be read (status goes on without it).
func (d *Deps) keyStateLine(svc *tokens.Service) string {
	ks, err := svc.KeyState()
	if err != nil {
		return ""
	}
	if p := unlockPhrase(ks); p != "" {
		return "Data key (passphrase): " + p
	}
	return ""
}
