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
	if _, err := r2.Get(ctx, Keyring, "abc"); err == nil || !strings.Contains(err.Error(), "tok config set key-source passphrase") {
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

// fakeWrapped is a WrappedStore in memory.
type fakeWrapped struct{ blob []byte }

func (f *fakeWrapped) LoadWrapped() ([]byte, error) { return f.blob, nil }
func (f *fakeWrapped) SaveWrapped(b []byte) error   { f.blob = b; return nil }
func (f *fakeWrapped) DeleteWrapped() error         { f.blob = nil; return nil }

// typed answers Current and New from fixed strings, counting the asks.
type typed struct {
	current, next string
	asked         int
}

func (p *typed) Current(context.Context) ([]byte, error) { p.asked++; return []byte(p.current), nil }
func (p *typed) New(context.Context) ([]byte, error)     { p.asked++; return []byte(p.next), nil }

// testKDF keeps unit tests fast; the parameters are stored with the blob.
var testKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func TestWrapUnwrap(t *testing.T) {
	k, _ := seal.NewKey()
	blob, err := Wrap(k, "db1", []byte("correct horse"), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(blob), k.String()) {
		t.Fatal("the wrapped blob contains the key in base64")
	}
	got, err := Unwrap(blob, "db1", []byte("correct horse"))
	if err != nil || got != k {
		t.Fatalf("Unwrap = %v, %v", got, err)
	}
	if _, err := Unwrap(blob, "db1", []byte("correct horsE")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Unwrap(blob, "db2", []byte("correct horse")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("blob of another database: %v", err)
	}
	again, _ := Wrap(k, "db1", []byte("correct horse"), testKDF)
	if string(again) == string(blob) {
		t.Fatal("two wraps of one key are identical: no fresh salt")
	}
	// Parameters from a tampered database are bounded.
	greedy := strings.Replace(string(blob), `"m":64`, `"m":999999999`, 1)
	if _, err := Unwrap([]byte(greedy), "db1", []byte("correct horse")); err == nil || !strings.Contains(err.Error(), "outside tok's limits") {
		t.Fatalf("oversized memory parameter: %v", err)
	}
	if _, err := Unwrap([]byte("{"), "db1", []byte("x")); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged blob: %v", err)
	}
}

func TestPassphraseSourceLogic(t *testing.T) {
	ctx := context.Background()
	cache := cacheMap{}
	w := &fakeWrapped{}
	ask := &typed{current: "first passphrase", next: "first passphrase"}
	r := &Resolver{Cache: cache, Wrapped: w, Ask: ask, KDF: testKDF}
	if _, err := r.Get(ctx, Passphrase, "db"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no wrapped key yet: %v, want ErrNoKey", err)
	}
	k, _ := seal.NewKey()
	if err := r.Put(ctx, Passphrase, "db", k); err != nil {
		t.Fatal(err)
	}
	if w.blob == nil || ask.asked != 1 {
		t.Fatalf("Put stored %d bytes after %d asks", len(w.blob), ask.asked)
	}
	// Unlocked by Put: served from the cache without asking.
	if got, err := r.Get(ctx, Passphrase, "db"); err != nil || got != k || ask.asked != 1 {
		t.Fatalf("Get after Put = %v, %v (asked %d times)", got, err, ask.asked)
	}
	// Locked and nobody to ask: ErrLocked, and the front's resolver (no
	// wrapped store) behaves the same.
	if err := r.Lock("db"); err != nil {
		t.Fatal(err)
	}
	for _, locked := range []*Resolver{{Cache: cache, Wrapped: w}, {Cache: cache}} {
		if _, err := locked.Get(ctx, Passphrase, "db"); !errors.Is(err, ErrLocked) {
			t.Fatalf("locked: %v, want ErrLocked", err)
		}
	}
	// Locked with someone to ask: asks once, then it is unlocked.
	if got, err := r.Get(ctx, Passphrase, "db"); err != nil || got != k || ask.asked != 2 {
		t.Fatalf("Get when locked = %v, %v (asked %d times)", got, err, ask.asked)
	}
	if _, ok := cache[unlockDesc("db")]; !ok {
		t.Fatal("the key typed at a prompt was not cached")
	}
	// A wrong passphrase: ErrWrongPassphrase, nothing stored or cached.
	_ = r.Lock("db")
	before := string(w.blob)
	ask.current = "not it"
	if _, err := r.Get(ctx, Passphrase, "db"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if string(w.blob) != before || len(cache) != 0 {
		t.Fatal("a wrong passphrase changed the wrapped key or the cache")
	}
	// Change: current then new; the old passphrase stops working.
	ask.current, ask.next = "first passphrase", "second passphrase"
	if err := r.ChangePassphrase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if _, err := Unwrap(w.blob, "db", []byte("first passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase after the change: %v", err)
	}
	if got, err := Unwrap(w.blob, "db", []byte("second passphrase")); err != nil || got != k {
		t.Fatalf("new passphrase after the change: %v, %v", got, err)
	}
	// Delete removes the wrapped key and the unlocked copy.
	if err := r.Delete(ctx, Passphrase, "db"); err != nil {
		t.Fatal(err)
	}
	if w.blob != nil || len(cache) != 0 {
		t.Fatal("Delete left the wrapped key or the cached key")
	}
}

// timedCache is a cacheMap that knows how long its entries have left.
type timedCache struct {
	cacheMap
	left time.Duration
}

func (c timedCache) Remaining(desc string) (time.Duration, bool) {
	_, ok := c.cacheMap[desc]
	return c.left, ok && c.left > 0
}

func TestUnlockStateOnlyLooks(t *testing.T) {
	ask := &typed{current: "pw"}
	k, _ := seal.NewKey()
	for _, tc := range []struct {
		name  string
		cache Cache
		want  UnlockState
	}{
		{"no cache", nil, UnlockState{}},
		{"locked", cacheMap{}, UnlockState{}},
		{"unlocked", cacheMap{unlockDesc("db"): k[:]}, UnlockState{Unlocked: true}},
		{"unlocked with time", timedCache{cacheMap{unlockDesc("db"): k[:]}, 7 * time.Hour}, UnlockState{Unlocked: true, Left: 7 * time.Hour}},
		{"other database", timedCache{cacheMap{unlockDesc("other"): k[:]}, time.Hour}, UnlockState{}},
	} {
		r := &Resolver{Cache: tc.cache, Wrapped: &fakeWrapped{blob: []byte("x")}, Ask: ask}
		if got := r.UnlockState("db"); got != tc.want {
			t.Errorf("%s: UnlockState = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if ask.asked != 0 {
		t.Errorf("UnlockState asked for the passphrase %d times", ask.asked)
	}
}
