//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package keyring

// preflight has nothing to check where the keyring is not reached over
// D-Bus (macOS Keychain, Windows Credential Manager).
func preflight() error { return nil }

// unavailableReason has no platform-specific knowledge here; explain then
// reports the platform's own message.
func unavailableReason(error) (string, bool) { return "", false }

// isLocked has no platform-specific knowledge here.
func isLocked(error) bool { return false }
