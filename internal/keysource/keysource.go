// Package keysource finds the data key that unseals a tok database.
//
// The key lives in exactly one of four places, chosen per install:
//
//   - keyring (default): the OS keyring (Secret Service, macOS Keychain,
//     Windows Credential Manager), service "tok", item "data-key:<key id>".
//     On Linux a copy is cached for ten minutes in the kernel keyring (the
//     caller's session keyring, or the user-session keyring when there is
//     none; see internal/kernelkeys), readable only by the same user's
//     processes, like the Secret Service itself, so the hot path avoids a
//     D-Bus round trip on every call.
//   - file: a 0600 file beside the database, for headless hosts without a
//     Secret Service. Anyone who can read the home directory can read the
//     tokens; it is only ever used when configured.
//   - env: TOK_KEY (base64), for CI jobs that inject secrets as variables.
//   - passphrase: in the database, wrapped under an Argon2id key derived
//     from a passphrase (see passphrase.go), for SSH sessions, servers and
//     WSL without a Secret Service. `tok unlock` keeps the unwrapped key in
//     the kernel keyring for a while; without it, the source is locked.
//
// tok never falls back from one source to another on its own: a keyring
// that cannot be reached is an error that names the other options.
package keysource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/privfile"
	"github.com/tok-cli/tok/internal/seal"
)

// Source names where the data key is kept.
type Source string

// The key sources.
const (
	Keyring Source = "keyring"
	File    Source = "file"
	Env     Source = "env"
	// Passphrase keeps the key wrapped in the database (see passphrase.go).
	Passphrase Source = "passphrase"
)

// Sources lists the valid key sources in the order they are documented.
var Sources = []Source{Keyring, Passphrase, File, Env}

// Parse validates a key source name.
func Parse(s string) (Source, error) {
	switch Source(s) {
	case Keyring, File, Env, Passphrase:
		return Source(s), nil
	case "":
		return Keyring, nil
	}
	return "", fmt.Errorf("unknown key source %q; choose one of: keyring, passphrase, file, env", s)
}

// KeyFileName is the key file's name in tok's home directory.
const KeyFileName = "key"

// EnvKey is the variable the env source reads.
const EnvKey = "TOK_KEY"

// cacheTTL bounds how long a key read from the OS keyring stays in the
// kernel keyring. Short enough that a locked or wiped Secret Service takes
// effect soon, long enough to cover a burst of kubectl calls.
const cacheTTL = 10 * time.Minute

// ErrNoKey means the source has no key for this database.
var ErrNoKey = errors.New("data key not found")

// OSKeyring is the part of the OS keyring adapter this package uses.
type OSKeyring interface {
	Get(user string) (string, error)
	Set(user, secret string) error
	Delete(user string) error
}

// Cache is a short-lived private cache for a key read from the OS keyring.
type Cache interface {
	Get(desc string) ([]byte, bool)
	Put(desc string, value []byte, ttl time.Duration) error
	Delete(desc string) error
}

// ErrKeyringUnavailable marks an OS keyring that cannot be reached at all
// (no Secret Service, no session bus), as opposed to a locked one.
var ErrKeyringUnavailable = errors.New("no OS keyring here")

// ErrKeyringLocked marks an OS keyring whose collection is locked.
var ErrKeyringLocked = errors.New("the OS keyring is locked")

// Resolver fetches and creates data keys.
type Resolver struct {
	Home     string
	Getenv   func(string) string
	Keyring  OSKeyring
	Cache    Cache // may be nil
	NotFound error // the keyring adapter's not-found sentinel
	// Unavailable and Locked are the keyring adapter's sentinels for a
	// keyring that cannot be reached and one whose collection is locked;
	// errors matching them are also marked ErrKeyringUnavailable or
	// ErrKeyringLocked.
	Unavailable error
	Locked      error

	// Wrapped keeps the passphrase source's wrapped key (nil: the source
	// can only be read from the kernel cache, as in the small tok front).
	Wrapped WrappedStore
	// Ask types passphrases; nil when no person and no stdin can answer.
	Ask Passphrases
	// UnlockFor is how long a key unwrapped at a prompt stays in the
	// kernel keyring (default DefaultUnlockFor).
	UnlockFor time.Duration
	// KDF are the Argon2id parameters of new wraps (zero: DefaultKDF).
	KDF KDFParams
}

// cached returns the key cached under desc, if any.
func (r *Resolver) cached(desc string) (seal.Key, bool) {
	if r.Cache == nil {
		return seal.Key{}, false
	}
	b, ok := r.Cache.Get(desc)
	if !ok || len(b) != seal.KeySize {
		return seal.Key{}, false
	}
	var k seal.Key
	copy(k[:], b)
	return k, true
}

func (r *Resolver) getenv(k string) string {
	if r.Getenv == nil {
		return os.Getenv(k)
	}
	return r.Getenv(k)
}

// itemName is the keyring item holding the key of database keyID.
func itemName(keyID string) string { return "data-key:" + keyID }

// cacheDesc names the kernel-keyring cache entry of database keyID.
func cacheDesc(keyID string) string { return "tok:" + itemName(keyID) }

// Get returns the key of database keyID from src, or an error wrapping
// ErrNoKey when the source holds none.
func (r *Resolver) Get(ctx context.Context, src Source, keyID string) (seal.Key, error) {
	switch src {
	case Env:
		v := strings.TrimSpace(r.getenv(EnvKey))
		if v == "" {
			return seal.Key{}, fmt.Errorf("%w: key source is env but %s is not set; export %s=<base64 key> (see: tok config key export)", ErrNoKey, EnvKey, EnvKey)
		}
		k, err := seal.ParseKey(v)
		if err != nil {
			return seal.Key{}, fmt.Errorf("%s is not a usable data key: %w", EnvKey, err)
		}
		return k, nil
	case File:
		return r.readFile()
	case Passphrase:
		return r.getPassphrase(ctx, keyID)
	case Keyring, "":
		desc := cacheDesc(keyID)
		if k, ok := r.cached(desc); ok {
			return k, nil
		}
		if r.Keyring == nil {
			return seal.Key{}, fmt.Errorf("%w: no OS keyring on this platform; choose another key source: tok config set key-source passphrase", ErrKeyringUnavailable)
		}
		v, err := r.Keyring.Get(itemName(keyID))
		if err != nil {
			if r.NotFound != nil && errors.Is(err, r.NotFound) {
				return seal.Key{}, fmt.Errorf("%w in the OS keyring (item %q of service tok)", ErrNoKey, itemName(keyID))
			}
			return seal.Key{}, r.keyringHint(err)
		}
		k, err := seal.ParseKey(v)
		if err != nil {
			return seal.Key{}, fmt.Errorf("OS keyring item %q holds no usable data key: %w", itemName(keyID), err)
		}
		if r.Cache != nil {
			// A failed cache write only costs speed on the next call.
			_ = r.Cache.Put(desc, k[:], cacheTTL)
		}
		return k, nil
	}
	return seal.Key{}, fmt.Errorf("unknown key source %q", src)
}

// Put stores key for database keyID in src.
func (r *Resolver) Put(ctx context.Context, src Source, keyID string, key seal.Key) error {
	switch src {
	case Env:
		// The environment is not ours to write: the user exports TOK_KEY.
		return nil
	case File:
		return r.writeFile(key)
	case Passphrase:
		return r.putPassphrase(ctx, keyID, key)
	case Keyring, "":
		if r.Keyring == nil {
			return fmt.Errorf("%w: no OS keyring on this platform; choose another key source: tok config set key-source passphrase", ErrKeyringUnavailable)
		}
		if err := r.Keyring.Set(itemName(keyID), key.String()); err != nil {
			return r.keyringHint(err)
		}
		return nil
	}
	return fmt.Errorf("unknown key source %q", src)
}

// Delete removes the key of database keyID from src (used after migrating
// to another source). A missing key is not an error.
func (r *Resolver) Delete(ctx context.Context, src Source, keyID string) error {
	switch src {
	case File:
		if err := os.Remove(r.keyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("could not remove key file: %w", err)
		}
	case Passphrase:
		return r.deletePassphrase(keyID)
	case Keyring, "":
		// The cached copy goes first: a key moved elsewhere must not stay
		// readable from the kernel keyring for the rest of its lifetime.
		if r.Cache != nil {
			_ = r.Cache.Delete(cacheDesc(keyID))
		}
		if r.Keyring == nil {
			return nil
		}
		if err := r.Keyring.Delete(itemName(keyID)); err != nil && (r.NotFound == nil || !errors.Is(err, r.NotFound)) {
			return r.keyringHint(err)
		}
	}
	return nil
}

// keyringHint says what to do about an OS keyring that failed. A locked
// collection is unlocked first; only a keyring that is not there at all
// makes another key source the answer.
func (r *Resolver) keyringHint(err error) error {
	if r.Locked != nil && errors.Is(err, r.Locked) {
		return &keyringError{kind: ErrKeyringLocked, cause: err, hint: "unlock it first (unlock the desktop session, or without a desktop run: gnome-keyring-daemon --replace --unlock, type the keyring password, then Ctrl-D), then run the command again; or keep the key elsewhere: tok config set key-source passphrase"}
	}
	ke := &keyringError{cause: err, hint: "to use tok without a keyring run: tok config set key-source passphrase (key under a passphrase) or file (key in a 0600 file), or set TOK_KEY_SOURCE=env with TOK_KEY"}
	if r.Unavailable != nil && errors.Is(err, r.Unavailable) {
		ke.kind = ErrKeyringUnavailable
	}
	return ke
}

// keyringError is an OS keyring failure with the advice for it.
type keyringError struct {
	kind  error // ErrKeyringLocked, ErrKeyringUnavailable or nil
	cause error
	hint  string
}

func (e *keyringError) Error() string {
	if e.kind == ErrKeyringLocked {
		return ErrKeyringLocked.Error() + ": " + e.cause.Error() + "; " + e.hint
	}
	return e.cause.Error() + "; " + e.hint
}

func (e *keyringError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// Diagnosis is what went wrong with the OS keyring in err, without the
// advice tok adds to it: for a message that gives its own advice first.
func Diagnosis(err error) error {
	var ke *keyringError
	if errors.As(err, &ke) {
		return ke.cause
	}
	return err
}

func (r *Resolver) keyPath() string { return filepath.Join(r.Home, KeyFileName) }

func (r *Resolver) readFile() (seal.Key, error) {
	path := r.keyPath()
	f, err := privfile.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, privfile.ErrUntrusted) {
		return seal.Key{}, err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return seal.Key{}, fmt.Errorf("%w: key file %s does not exist", ErrNoKey, path)
	}
	if err != nil {
		return seal.Key{}, fmt.Errorf("could not read key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return seal.Key{}, fmt.Errorf("could not read key file: %w", err)
	}
	if err := privfile.CheckOwner(path, info); err != nil {
		return seal.Key{}, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return seal.Key{}, fmt.Errorf("key file %s is accessible by other users (mode %04o); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	buf := make([]byte, 128)
	n, _ := f.Read(buf)
	k, err := seal.ParseKey(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		return seal.Key{}, fmt.Errorf("key file %s holds no usable data key: %w", path, err)
	}
	return k, nil
}

func (r *Resolver) writeFile(key seal.Key) error {
	path := r.keyPath()
	tmp, err := os.CreateTemp(r.Home, ".key-*")
	if err != nil {
		return fmt.Errorf("could not write key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("could not write key file: %w", err)
	}
	if _, err := tmp.WriteString(key.String() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("could not write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("could not write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("could not write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("could not write key file: %w", err)
	}
	return nil
}
