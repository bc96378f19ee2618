//go:build !linux

package front

import (
	"github.com/tok-cli/tok/internal/keyring"
	"github.com/tok-cli/tok/internal/keysource"
)

// osKeyring is the OS keyring itself where there is no kernel-keyring
// cache in front of it (macOS Keychain, Windows Credential Manager; no
// D-Bus on either), and its not-found sentinel.
func osKeyring() (kr keysource.OSKeyring, notFound error) {
	return keyring.Keyring{Service: keyring.DefaultService}, keyring.ErrNotFound
}
