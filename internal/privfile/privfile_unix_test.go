//go:build !windows

package privfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(dir); err != nil {
		t.Fatalf("a 0700 directory of our own: %v", err)
	}
	for _, mode := range []fs.FileMode{0o777, 0o770, 0o702, 0o1777} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		err := CheckDir(dir)
		if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "chmod 700 "+dir) {
			t.Errorf("mode %v: %v, want refused with the chmod that fixes it", mode, err)
		}
	}
	// Read access for others is the user's choice; only writing matters.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(dir); err != nil {
		t.Errorf("mode 0755: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(link); err != nil {
		t.Errorf("a symlink to a private directory: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Log("not root: the other-owner half of this test needs root to chown")
		return
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(dir); !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "belongs to user 65534") {
		t.Errorf("a directory of another user: %v", err)
	}
	f := filepath.Join(t.TempDir(), "tok.db")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(f, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Lstat(f)
	if err := CheckOwner(f, info); !errors.Is(err, ErrUntrusted) {
		t.Errorf("a file of another user: %v", err)
	}
}

func TestOpenFileRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "tok.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFile(link, os.O_RDWR|os.O_CREATE, 0o600)
	if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("OpenFile on a symlink: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the symlink's target was created: %v", err)
	}
	f, err := OpenFile(filepath.Join(dir, "plain"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
