// Package atomicfile replaces a configuration file that other programs read
// (kubeconfig, ~/.docker/config.json) so that they never see half of it,
// and so that `sudo tok …` does not leave a user's file owned by root.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Replace replaces path with data through a temporary file in the same
// directory, synced before the rename, so readers see either the old or
// the new file, never a part, even after a crash. The new file gets mode
// and, where possible, the old file's owner.
func Replace(path string, data []byte, mode os.FileMode) (err error) {
	old, statErr := os.Stat(path)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if statErr == nil {
		keepOwner(f, old)
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
