package tokenfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestPrivateDirectory(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	f, err := New()
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(f.Dir())
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("directory %s: mode %v, %v; want 0700", f.Dir(), info.Mode().Perm(), err)
	}
	if err := f.Write("first"); err != nil {
		t.Fatal(err)
	}
	if err := f.Write("second"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Path)
	if err != nil || string(got) != "second" {
		t.Fatalf("token file holds %q, %v", got, err)
	}
	info, err = os.Stat(f.Path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(f.Dir())
	for _, e := range entries {
		if e.Name() != FileName && e.Name() != lockName {
			t.Fatalf("directory holds %s; want only the token file and its lock (no temporary leftovers)", e.Name())
		}
	}
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("directory still there after Remove: %v", err)
	}
	if err := f.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}

func TestChosenPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tok-token")
	f, err := At(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write("tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := At(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("At on an existing file: %v", err)
	}
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file still there after Remove: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Remove took the caller's directory with it: %v", err)
	}
	if _, err := At(filepath.Join(dir, "missing", "token")); err == nil {
		t.Fatal("At accepted a path in a missing directory")
	}
}

// TestReadersNeverSeePartialWrites reads the file while it is rewritten
// and wants one of the written values every time.
func TestReadersNeverSeePartialWrites(t *testing.T) {
	f, err := At(filepath.Join(t.TempDir(), "token"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Repeat("a", 64<<10), strings.Repeat("b", 64<<10)
	if err := f.Write(a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_ = f.Write([]string{a, b}[i%2])
		}
	}()
	for i := 0; i < 500; i++ {
		got, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(got); s != a && s != b {
			t.Fatalf("read a partial token file (%d bytes)", len(got))
		}
	}
	wg.Wait()
}
