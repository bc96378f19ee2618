package kubeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// lock takes the lock kubectl takes before it edits a kubeconfig: the file
// PATH.lock, created exclusively. It creates the kubeconfig's directory
// (0700) if needed.
func lock(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("could not create the kubeconfig directory: %w", err)
	}
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("kubeconfig %s is locked by another kubectl or tok (%s exists); try again, or remove the lock file if no such command is running", path, name)
	}
	if err != nil {
		return nil, fmt.Errorf("could not lock kubeconfig %s: %w", path, err)
	}
	_ = f.Close()
	return func() { _ = os.Remove(name) }, nil
}

// writeAtomic replaces path with data through a temporary file in the same
// directory, so readers see either the old or the new file, never a part.
// The new file gets mode and, where possible, the old file's owner.
func writeAtomic(path string, data []byte, mode os.FileMode) (err error) {
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
