// Package tokenfile keeps a token in a file that other programs re-read:
// the file is only ever replaced whole (write to a temporary file in the
// same directory, then rename), so a reader sees the old token or the new
// one, never a partial write.
//
// By default the file lives in a fresh private directory (0700) that
// Remove deletes again; a caller-chosen path is created by tok and
// removed by tok, and an existing file there is never overwritten.
//
// A tok killed with SIGKILL cannot remove its directory. So each private
// directory holds a lock file that its tok keeps locked while it lives;
// the kernel drops the lock when the process dies, however it dies, and
// Sweep removes the directories whose lock it can take.
package tokenfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// FileName is the token file's name inside its private directory.
const FileName = "token"

// dirPattern names private directories in the temporary directory.
const dirPattern = "tok-exec-"

// lockName is the lock file in a private directory; lockStaging is its
// name until it is locked, so Sweep never sees it unlocked.
const (
	lockName    = ".lock"
	lockStaging = ".lock.new"
)

// File is a token file. Its methods are not safe for concurrent use.
type File struct {
	// Path is the token file's path; give it to the child.
	Path string
	// dir is the private directory to remove, empty for a chosen path.
	dir string
	// lock is held for the life of the private directory.
	lock *flock.Flock
}

// New creates an empty private directory for a token file (in the system
// temporary directory) and returns the File; nothing is written yet.
func New() (*File, error) {
	dir, err := os.MkdirTemp("", "tok-exec-")
	if err != nil {
		return nil, fmt.Errorf("could not create a private directory for the token file (set TMPDIR to a writable directory): %w", err)
	}
	// MkdirTemp already uses 0700; be explicit in case of an odd umask.
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("could not make %s private: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("could not lock the token file directory %s: %w", dir, err)
	}
	return &File{Path: filepath.Join(dir, FileName), dir: dir, lock: lock}, nil
}

// At returns a File at the chosen path. The path must not exist yet (tok
// removes the file when it is done, so it must not be someone else's) and
// its directory must.
func At(path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return nil, fmt.Errorf("token file %s already exists; tok removes its token file when the command ends, so give a path that does not exist (or remove the old file)", abs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("token file %s: %w", abs, err)
	}
	if info, err := os.Stat(filepath.Dir(abs)); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("the directory of token file %s does not exist; create it first", abs)
	}
	return &File{Path: abs}, nil
}

// Write replaces the file's content with token, atomically, mode 0600.
func (f *File) Write(token string) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".tok-token-*")
	if err != nil {
		return fmt.Errorf("could not write the token file: %w", err)
	}
	name := tmp.Name()
	_, werr := tmp.WriteString(token)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, 0o600)); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("could not write the token file: %w", err)
	}
	if err := os.Rename(name, f.Path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("could not replace the token file %s: %w", f.Path, err)
	}
	return nil
}

// Remove deletes the token file, and the private directory when tok made
// one. Removing twice is harmless.
func (f *File) Remove() error {
	if f.dir != "" {
		// Removed while still locked, then unlocked: a Sweep in between
		// cannot take the lock, so it never races this removal.
		err := os.RemoveAll(f.dir)
		if f.lock != nil {
			_ = f.lock.Close()
		}
		if err != nil {
			return fmt.Errorf("could not remove the token file directory %s: %w", f.dir, err)
		}
		return nil
	}
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("could not remove the token file %s: %w", f.Path, err)
	}
	return nil
}

// Dir is the private directory tok made for the file, or "" for a chosen path.
func (f *File) Dir() string { return f.dir }

// Sweep removes the private directories in the system temporary directory
// whose tok has died without removing them (killed with SIGKILL, or the
// machine lost power): those whose lock file it can lock. Directories of
// running toks, directories without a lock file, and anything that is not
// a plain directory are left alone. It returns how many it removed.
func Sweep() (int, error) {
	return sweep(os.TempDir())
}

func sweep(tmp string) (int, error) {
	dirs, err := filepath.Glob(filepath.Join(tmp, dirPattern+"*"))
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, dir := range dirs {
		info, err := os.Lstat(dir)
		if err != nil || !info.IsDir() || !ownedByMe(info) {
			continue
		}
		lockPath := filepath.Join(dir, lockName)
		if li, err := os.Lstat(lockPath); err != nil || !li.Mode().IsRegular() {
			continue
		}
		// Without O_CREATE: a tok removing its own directory right now
		// must not find a lock file re-created under its feet ("directory
		// not empty").
		lock := flock.New(lockPath, flock.SetFlag(os.O_RDONLY))
		locked, err := lock.TryLock()
		if err != nil || !locked {
			_ = lock.Close()
			continue // its tok is alive (or the lock is unreadable)
		}
		err = removeLockedDir(dir)
		_ = lock.Close()
		if errors.Is(err, fs.ErrNotExist) {
			// Its tok removed it between our look and our lock: the lock
			// we got was on the file it had just unlinked.
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// removeLockedDir removes dir's token files before its lock file, so a
// removal cut short leaves the lock file and the next Sweep finishes it.
func removeLockedDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("could not clean up %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.Name() == lockName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("could not clean up %s: %w", dir, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("could not clean up %s: %w", dir, err)
	}
	return nil
}
