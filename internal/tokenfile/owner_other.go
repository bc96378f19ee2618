//go:build !unix

package tokenfile

import (
	"io/fs"

	"github.com/gofrs/flock"
)

// ownedByMe is true where the temporary directory is per user (Windows).
func ownedByMe(fs.FileInfo) bool { return true }

// lockDir takes no lock outside Unix: Windows cannot rename or remove a
// file that is open, and its per-user %TEMP% is cleaned by the system.
// Sweep then finds no lock file and leaves such directories alone.
func lockDir(string) (*flock.Flock, error) { return nil, nil }
