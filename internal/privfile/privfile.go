// Package privfile guards the files in tok's home directory: the home must
// belong to the user and be closed to group and others (as ssh's
// StrictModes demands of ~/.ssh), the database must belong to the user,
// and tok never follows a symlink to its database, key file or lock files.
//
// Why: whoever can write in the home (a shared or world-writable
// directory, another user's) can replace tok.db with one of their own, or
// plant symlinks named tok.db, key or locks/NAME.login so that tok creates
// or writes files where they choose.
package privfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrUntrusted marks a home directory or file that others control.
var ErrUntrusted = errors.New("not private")

// CheckDir checks that dir (following a symlink to it, as ~/.local/share
// often is one) is a directory owned by this process's user that group and
// others cannot write.
func CheckDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("could not read tok home %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("tok home %s is not a directory", dir)
	}
	if uid, mine := owner(info); !mine {
		return fmt.Errorf("%w: tok home %s belongs to user %d, not to you (%d); use a directory of your own (TOK_HOME or --home)", ErrUntrusted, dir, uid, os.Geteuid())
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: tok home %s can be written by group or others (mode %04o); run: chmod 700 %s", ErrUntrusted, dir, info.Mode().Perm(), dir)
	}
	return nil
}

// CheckOwner checks that the file described by info belongs to this
// process's user.
func CheckOwner(path string, info fs.FileInfo) error {
	if uid, mine := owner(info); !mine {
		return fmt.Errorf("%w: %s belongs to user %d, not to you (%d); move it aside (mv %s %s.foreign)", ErrUntrusted, path, uid, os.Geteuid(), path, path)
	}
	return nil
}

// CheckNotSymlink checks, with Lstat, that path is not a symlink; a path
// that does not exist passes.
func CheckNotSymlink(path string) error {
	info, err := os.Lstat(path)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symlink, and tok does not follow symlinks in its home; remove it (rm %s)", ErrUntrusted, path, path)
	}
	return nil
}

// OpenFile is os.OpenFile that refuses to follow a symlink in the last
// path element (O_NOFOLLOW; opening one fails).
func OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|noFollow, perm)
	if err != nil && isSymlinkErr(err) {
		return nil, fmt.Errorf("%w: %s is a symlink, and tok does not follow symlinks in its home; remove it (rm %s)", ErrUntrusted, path, path)
	}
	return f, err
}

// MkdirPrivate creates dir (and its parents) with mode 0700 when it does
// not exist, then checks it with CheckDir and that it is no symlink.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("could not create %s: %w", dir, err)
	}
	if err := CheckNotSymlink(dir); err != nil {
		return err
	}
	return CheckDir(dir)
}

// NoFollow adds O_NOFOLLOW to open flags, where the platform has it, for
// code that opens files through a library (file locks).
func NoFollow(flag int) int { return flag | noFollow }
