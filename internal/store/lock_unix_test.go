//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLockedDatabase holds the database's flock from outside, as another
// tok process would, and expects a clear, prompt ErrLocked.
func TestLockedDatabase(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "home"))
	s.LockTimeout = 200 * time.Millisecond
	if err := s.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.View(func(*Tx) error { return nil })
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), s.Path) {
		t.Fatalf("err = %v, want ErrLocked naming the path", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("locked database took %s to fail", d)
	}
}
