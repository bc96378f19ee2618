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
