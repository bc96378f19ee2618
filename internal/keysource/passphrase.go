package keysource

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/tok-cli/tok/internal/seal"
)

// The passphrase source keeps the data key in the database itself, wrapped
// (AES-256-GCM) under a key derived from a passphrase with Argon2id. The
// passphrase is never stored. Once unwrapped, the key is cached in the
// Linux kernel keyring (the same kernelkeys.Cache the keyring source uses) for
// the unlock time, so later processes, the small tok front included,
// read it from there exactly as they read a key cached from the OS keyring.

// KDFParams are the Argon2id parameters a wrapped key was made with. They
// are stored with it, so a later tok can raise the defaults without
// breaking databases wrapped under the old ones.
type KDFParams struct {
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

// DefaultKDF is RFC 9106's second recommended option (t=3, 64 MiB, p=4):
// about a quarter of a second on one core of a small server, paid only when
// a passphrase is typed, never on the hot path.
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// kdfLimits bound what a stored wrapped key may ask for, so a tampered
// database cannot make tok allocate gigabytes or spin for minutes.
var kdfLimits = KDFParams{Time: 64, MemoryKiB: 4 * 1024 * 1024, Threads: 64}

// DefaultUnlockFor is how long `tok unlock` (or a passphrase typed at a
// prompt) keeps the unwrapped key in the kernel keyring: a working day.
const DefaultUnlockFor = 8 * time.Hour

// MinPassphraseLen is the shortest passphrase tok accepts for a new wrap.
const MinPassphraseLen = 8

var (
	// ErrLocked means the passphrase-wrapped key is not unlocked and nobody
	// can type the passphrase (no terminal, no --passphrase-stdin).
	ErrLocked = errors.New("the data key is locked; run: tok unlock")
	// ErrWrongPassphrase means the passphrase does not unwrap the key.
	ErrWrongPassphrase = errors.New("wrong passphrase for tok's data key; nothing was changed")
)

// wrapped is the stored form of a passphrase-wrapped data key (JSON in the
// database's meta bucket).
type wrapped struct {
	Version int       `json:"v"`
	KDF     string    `json:"kdf"`
	Params  KDFParams `json:"params"`
	Salt    []byte    `json:"salt"`
	Key     []byte    `json:"key"` // seal.Sealer output: version ∥ nonce ∥ ciphertext ∥ tag
}

const (
	wrapVersion = 1
	kdfArgon2id = "argon2id"
	saltSize    = 16
)

// wrapAD binds a wrapped key to its database: a blob copied into another
// database (another key id) does not open.
func wrapAD(keyID string) []byte { return seal.AD("", "wrapped-key:"+keyID) }

// Wrap seals key under passphrase with fresh salt and params p, for the
// database whose key id is keyID.
func Wrap(key seal.Key, keyID string, passphrase []byte, p KDFParams) ([]byte, error) {
	w := wrapped{Version: wrapVersion, KDF: kdfArgon2id, Params: p, Salt: make([]byte, saltSize)}
	if _, err := rand.Read(w.Salt); err != nil {
		return nil, fmt.Errorf("could not generate salt: %w", err)
	}
	sl, err := seal.New(derive(passphrase, w.Salt, p))
	if err != nil {
		return nil, err
	}
	if w.Key, err = sl.Seal(key[:], wrapAD(keyID)); err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// Unwrap opens a key made by Wrap. A wrong passphrase (or a blob from
// another database) returns ErrWrongPassphrase.
func Unwrap(blob []byte, keyID string, passphrase []byte) (seal.Key, error) {
	var w wrapped
	if err := json.Unmarshal(blob, &w); err != nil {
		return seal.Key{}, fmt.Errorf("the wrapped data key in the database is damaged: %w", err)
	}
	if w.Version != wrapVersion || w.KDF != kdfArgon2id {
		return seal.Key{}, fmt.Errorf("the wrapped data key uses %s version %d, which this tok does not know; upgrade tok", w.KDF, w.Version)
	}
	p := w.Params
	if p.Time == 0 || p.MemoryKiB == 0 || p.Threads == 0 ||
		p.Time > kdfLimits.Time || p.MemoryKiB > kdfLimits.MemoryKiB || p.Threads > kdfLimits.Threads {
		return seal.Key{}, fmt.Errorf("the wrapped data key has Argon2id parameters outside tok's limits (t=%d, m=%d KiB, p=%d); the database may have been tampered with", p.Time, p.MemoryKiB, p.Threads)
	}
	sl, err := seal.New(derive(passphrase, w.Salt, p))
	if err != nil {
		return seal.Key{}, err
	}
	plain, err := sl.Open(w.Key, wrapAD(keyID))
	if err != nil || len(plain) != seal.KeySize {
		return seal.Key{}, ErrWrongPassphrase
	}
	var k seal.Key
	copy(k[:], plain)
	clear(plain)
	return k, nil
}

func derive(passphrase, salt []byte, p KDFParams) seal.Key {
	var k seal.Key
	copy(k[:], argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, seal.KeySize))
	return k
}

// WrappedStore keeps the wrapped key beside the data it protects (the
// database's meta bucket; see store.WrappedKey).
type WrappedStore interface {
	// LoadWrapped returns the wrapped key, or nil when there is none.
	LoadWrapped() ([]byte, error)
	SaveWrapped(blob []byte) error
	DeleteWrapped() error
}

// Passphrases asks for passphrases: at a terminal, or from stdin with
// --passphrase-stdin. A Resolver without one cannot unlock (ErrLocked).
type Passphrases interface {
	// Current asks for the passphrase the key is wrapped under.
	Current(ctx context.Context) ([]byte, error)
	// New asks for a new passphrase (twice at a terminal).
	New(ctx context.Context) ([]byte, error)
}

// unlockDesc names the kernel-keyring entry of an unlocked key. It differs
// from the keyring source's entry, so moving a key between the two sources
// never drops the copy the other one just made.
func unlockDesc(keyID string) string { return "tok:unlocked:" + keyID }

func (r *Resolver) unlockFor() time.Duration {
	if r.UnlockFor > 0 {
		return r.UnlockFor
	}
	return DefaultUnlockFor
}

// getPassphrase returns the unlocked key from the kernel cache, or asks
// for the passphrase, unwraps the key and caches it for the unlock time.
func (r *Resolver) getPassphrase(ctx context.Context, keyID string) (seal.Key, error) {
	if k, ok := r.cached(unlockDesc(keyID)); ok {
		return k, nil
	}
	if r.Wrapped == nil {
		return seal.Key{}, ErrLocked
	}
	blob, err := r.Wrapped.LoadWrapped()
	if err != nil {
		return seal.Key{}, err
	}
	if blob == nil {
		return seal.Key{}, fmt.Errorf("%w: the database holds no passphrase-wrapped key", ErrNoKey)
	}
	if r.Ask == nil {
		return seal.Key{}, ErrLocked
	}
	return r.unwrapAndCache(ctx, keyID, blob, r.unlockFor())
}

func (r *Resolver) unwrapAndCache(ctx context.Context, keyID string, blob []byte, ttl time.Duration) (seal.Key, error) {
	pass, err := r.Ask.Current(ctx)
	if err != nil {
		return seal.Key{}, err
	}
	defer clear(pass)
	k, err := Unwrap(blob, keyID, pass)
	if err != nil {
		return seal.Key{}, err
	}
	if r.Cache != nil {
		// Without the cache (macOS, Windows, no session keyring) the
		// unlock lasts for this process only.
		_ = r.Cache.Put(unlockDesc(keyID), k[:], ttl)
	}
	return k, nil
}

// putPassphrase asks for a new passphrase, wraps key under it, stores the
// wrapped key and caches the key as unlocked.
func (r *Resolver) putPassphrase(ctx context.Context, keyID string, key seal.Key) error {
	if r.Wrapped == nil {
		return errors.New("the passphrase key source needs the database to keep the wrapped key")
	}
	if r.Ask == nil {
		return errors.New("a new passphrase is needed but nobody can type it here; run the command at a terminal or pass --passphrase-stdin")
	}
	pass, err := r.Ask.New(ctx)
	if err != nil {
		return err
	}
	defer clear(pass)
	kdf := r.KDF
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF
	}
	blob, err := Wrap(key, keyID, pass, kdf)
	if err != nil {
		return err
	}
	if err := r.Wrapped.SaveWrapped(blob); err != nil {
		return err
	}
	if r.Cache != nil {
		_ = r.Cache.Put(unlockDesc(keyID), key[:], r.unlockFor())
	}
	return nil
}

func (r *Resolver) deletePassphrase(keyID string) error {
	if r.Cache != nil {
		_ = r.Cache.Delete(unlockDesc(keyID))
	}
	if r.Wrapped == nil {
		return nil
	}
	return r.Wrapped.DeleteWrapped()
}

// Unlock asks for the passphrase (even when the key is already unlocked),
// unwraps the key and keeps it in the kernel keyring for ttl.
func (r *Resolver) Unlock(ctx context.Context, keyID string, ttl time.Duration) (seal.Key, error) {
	if r.Wrapped == nil {
		return seal.Key{}, ErrLocked
	}
	blob, err := r.Wrapped.LoadWrapped()
	if err != nil {
		return seal.Key{}, err
	}
	if blob == nil {
		return seal.Key{}, fmt.Errorf("%w: the database holds no passphrase-wrapped key", ErrNoKey)
	}
	if r.Ask == nil {
		return seal.Key{}, errors.New("no terminal to ask for the passphrase; pipe it in: tok unlock --passphrase-stdin")
	}
	return r.unwrapAndCache(ctx, keyID, blob, ttl)
}

// Lock drops the unlocked key from the kernel keyring at once.
func (r *Resolver) Lock(keyID string) error {
	if r.Cache == nil {
		return nil
	}
	return r.Cache.Delete(unlockDesc(keyID))
}

// ChangePassphrase asks for the current passphrase and a new one and
// re-wraps the key. The key itself, and so every sealed secret, stays.
func (r *Resolver) ChangePassphrase(ctx context.Context, keyID string) error {
	if r.Wrapped == nil || r.Ask == nil {
		return errors.New("no terminal to ask for the passphrases; pipe them in (current, then new, one per line): tok config passphrase change --passphrase-stdin")
	}
	blob, err := r.Wrapped.LoadWrapped()
	if err != nil {
		return err
	}
	if blob == nil {
		return fmt.Errorf("%w: the database holds no passphrase-wrapped key", ErrNoKey)
	}
	old, err := r.Ask.Current(ctx)
	if err != nil {
		return err
	}
	defer clear(old)
	key, err := Unwrap(blob, keyID, old)
	if err != nil {
		return err
	}
	return r.putPassphrase(ctx, keyID, key)
}

// UnlockState is whether the passphrase source's key is unlocked now.
type UnlockState struct {
	Unlocked bool
	// Left is at least how long the key stays unlocked, when the kernel
	// keyring says (zero when it does not).
	Left time.Duration
}

// remainer is a Cache that can say how long an entry has left
// (kernelkeys.Cache on Linux).
type remainer interface {
	Remaining(desc string) (time.Duration, bool)
}

// UnlockState reports whether the key of database keyID is unlocked in the
// kernel keyring. It only looks: it never asks for the passphrase and
// never reads the wrapped key.
func (r *Resolver) UnlockState(keyID string) UnlockState {
	if _, ok := r.cached(unlockDesc(keyID)); !ok {
		return UnlockState{}
	}
	st := UnlockState{Unlocked: true}
	if rc, ok := r.Cache.(remainer); ok {
		st.Left, _ = rc.Remaining(unlockDesc(keyID))
	}
	return st
}
