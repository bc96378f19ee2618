package tokens

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/tok-cli/tok/internal/privfile"
)

// ErrBusy means another process holds a profile's lock for longer than
// tok was willing to wait.
var ErrBusy = errors.New("profile is busy")

// lock takes the per-profile lock file kind ("refresh" or "login") beside
// the database. The lock file is separate from the database so that readers
// on the hot path never wait for a refresh in flight.
func (s *Service) lock(ctx context.Context, name, kind string, wait bool) (func(), error) {
	if s.Store.Ephemeral() {
		// One process owns an in-memory store: a mutex is enough.
		if wait {
			s.memLock.Lock()
		} else if !s.memLock.TryLock() {
			return nil, fmt.Errorf("%w: a %s for profile %q is already running", ErrBusy, kind, name)
		}
		return s.memLock.Unlock, nil
	}
	dir := filepath.Join(s.Store.Dir, "locks")
	if err := privfile.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("could not use lock directory: %w", err)
	}
	// O_NOFOLLOW: a symlink planted as a lock file must not make tok
	// create a file where its planter chose.
	path := filepath.Join(dir, name+"."+kind)
	if err := privfile.CheckNotSymlink(path); err != nil {
		return nil, fmt.Errorf("could not lock profile %q for %s: %w", name, kind, err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(privfile.NoFollow(os.O_CREATE|os.O_RDONLY)))
	var ok bool
	var err error
	if wait {
		lctx, cancel := context.WithTimeout(ctx, s.lockTimeout())
		defer cancel()
		ok, err = fl.TryLockContext(lctx, 10*time.Millisecond)
	} else {
		ok, err = fl.TryLock()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("could not lock profile %q for %s: %w", name, kind, err)
	}
	if !ok {
		if !wait {
			return nil, fmt.Errorf("%w: another tok is running a %s for profile %q; wait for it or run: tok %s -p %s", ErrBusy, kind, name, kind, name)
		}
		return nil, fmt.Errorf("%w: another tok held the %s lock of profile %q for over %s; retry, or set TOK_LOCK_TIMEOUT", ErrBusy, kind, name, s.lockTimeout())
	}
	return func() { _ = fl.Unlock() }, nil
}

// lockKinds are the locks a profile may have in locks/.
var lockKinds = []string{"login", "refresh"}

// removeLocks deletes the lock files of a profile that no longer exists
// (removed, or renamed away), so locks/ does not collect them. A process
// still holding one fails anyway: its profile is gone.
func (s *Service) removeLocks(name string) {
	if s.Store.Dir == "" {
		return
	}
	for _, kind := range lockKinds {
		path := filepath.Join(s.Store.Dir, "locks", name+"."+kind)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log().Debug("could not remove a lock file", "path", path, "err", err)
		}
	}
}
