//go:build unix

package tokenfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gofrs/flock"
)

// ownedByMe reports whether this process's user owns the file: Sweep
// never touches another user's directory in a shared /tmp.
func ownedByMe(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// lockDir creates dir's lock file and locks it for the life of this
// process. The lock is taken under a staging name and then renamed (the
// lock belongs to the file, not its name), so a concurrent Sweep never
// finds the lock file unlocked.
func lockDir(dir string) (*flock.Flock, error) {
	lock := flock.New(filepath.Join(dir, lockStaging))
	locked, err := lock.TryLock()
	if err == nil && !locked {
		err = errors.New("already locked")
	}
	if err == nil {
		err = os.Rename(lock.Path(), filepath.Join(dir, lockName))
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return lock, nil
}
