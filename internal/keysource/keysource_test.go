package keysource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/seal"
)

func TestFileSource(t *testing.T) {
	ctx := context.Background()
	r := &Resolver{Home: t.TempDir()}
	if _, err := r.Get(ctx, File, "id"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Get without a file: %v, want ErrNoKey", err)
	}
	k, _ := seal.NewKey()
	if err := r.Put(ctx, File, "id", k); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(r.Home, KeyFileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode(), err)
	}
	got, err := r.Get(ctx, File, "id")
	if err != nil || got != k {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if err := os.Chmod(filepath.Join(r.Home, KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, File, "id"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: err = %v", err)
	}
	if err := r.Delete(ctx, File, "id"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, File, "id"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("after Delete: %v", err)
	}
}

func TestEnvSource(t *testing.T) {
	ctx := context.Background()
	k, _ := seal.NewKey()
	env := map[string]string{}
	r := &Resolver{Home: t.TempDir(), Getenv: func(s string) string { return env[s] }}
	if _, err := r.Get(ctx, Env, "id"); !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), EnvKey) {
		t.Fatalf("unset TOK_KEY: %v", err)
	}
	env[EnvKey] = "not-a-key"
	if _, err := r.Get(ctx, Env, "id"); err == nil || strings.Contains(err.Error(), "not-a-key") {
		t.Fatalf("bad TOK_KEY: err = %v (must not echo the value)", err)
	}
	env[EnvKey] = k.String()
	if got, err := r.Get(ctx, Env, "id"); err != nil || got != k {
		t.Fatalf("Get = %v, %v", got, err)
	}
}

type fakeKeyring struct {
	items map[string]string
	err   error
	gets  int
}

var errAbsent = errors.New("absent")

func (f *fakeKeyring) Get(user string) (string, error) {
	f.gets++
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.items[user]
	if !ok {
		return "", errAbsent
	}
	return v, nil
}
func (f *fakeKeyring) Set(user, secret string) error { f.items[user] = secret; return f.err }
func (f *fakeKeyring) Delete(user string) error      { delete(f.items, user); return f.err }

type cacheMap map[string][]byte

func (c cacheMap) Get(desc string) ([]byte, bool) { v, ok := c[desc]; return v, ok }
func (c cacheMap) Put(desc string, v []byte, _ time.Duration) error {
	c[desc] = v
	return nil
}
func (c cacheMap) Delete(desc string) error { delete(c, desc); return nil }

// The OS keyring itself is tested for real in internal/keyring and end to
// end; this checks the resolver's own logic: item naming, not-found
// mapping, the cache in front of the keyring, and the hint on failure.
func TestKeyringSourceLogic(t *testing.T) {
	ctx := context.Background()
	kr := &fakeKeyring{items: map[string]string{}}
	cache := cacheMap{}
	r := &Resolver{Keyring: kr, Cache: cache, NotFound: errAbsent}
	if _, err := r.Get(ctx, Keyring, "abc"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("absent: %v", err)
	}
	k, _ := seal.NewKey()
	if err := r.Put(ctx, Keyring, "abc", k); err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.items["data-key:abc"]; !ok {
		t.Fatalf("keyring items = %v", kr.items)
	}
	for i := 0; i < 3; i++ {
		if got, err := r.Get(ctx, Keyring, "abc"); err != nil || got != k {
			t.Fatalf("Get = %v, %v", got, err)
		}
	}
	if kr.gets != 2 { // one miss above, then one read that fills the cache
		t.Fatalf("keyring read %d times, want 2 (the cache should serve the rest)", kr.gets)
	}
	if err := r.Delete(ctx, Keyring, "abc"); err != nil {
		t.Fatal(err)
	}
	if len(cache) != 0 || len(kr.items) != 0 {
		t.Fatalf("after Delete: cache %v, keyring %v; both must be empty", cache, kr.items)
	}
	kr.err = errors.New("dbus: connection refused")
	r2 := &Resolver{Keyring: kr, NotFound: errAbsent}
	if _, err := r2.Get(ctx, Keyring, "abc"); err == nil || !strings.Contains(err.Error(), "tok config set key-source file") {
		t.Fatalf("unreachable keyring: err = %v, want the key-source hint", err)
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	var m Memory
	a, err := m.Get(ctx, Keyring, "x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Get(ctx, File, "y")
	if a != b || a == (seal.Key{}) {
		t.Fatal("Memory must hand out one random key")
	}
}
