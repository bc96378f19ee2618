// Package store keeps tok's profiles and token state in one bbolt database.
//
// The database is opened per operation and closed right after: read-only
// (shared lock) for reads, read-write (exclusive lock) only for one short
// transaction. It is never held across a network call or a prompt, so any
// number of tok processes can share it. Values are JSON records whose secret
// fields are already sealed by the caller; this package never sees plaintext
// secrets and knows nothing about keys.
package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tok-cli/tok/internal/privfile"
)

// SchemaVersion is the layout this code writes. Records are JSON, so newer
// fields are simply absent in old databases; bump this only for changes that
// older code must not read. Version 2: profile records carry MACs
// (AuthenticateProfiles); an older tok would write records without them,
// which this tok then refuses as tampered.
const SchemaVersion = 2

// FileName is the database's name inside tok's home directory.
const FileName = "tok.db"

// DefaultLockTimeout bounds how long tok waits for another process's write
// transaction before giving up with ErrLocked.
const DefaultLockTimeout = 5 * time.Second

var (
	bucketMeta     = []byte("meta")
	bucketSettings = []byte("settings")
	bucketProfiles = []byte("profiles")
	bucketState    = []byte("state")
	// bucketProfileMAC holds each profile record's MAC under the
	// profile's name (see ProfileAuth).
	bucketProfileMAC = []byte("profile_mac")

	keySchema = []byte("schema")
	keyID     = []byte("key_id")
	keyCheck  = []byte("key_check")
	keyWrap   = []byte("wrapped_key")
)

// Errors callers match with errors.Is. The wrapped errors name the path.
var (
	ErrNotFound    = errors.New("not found")
	ErrExists      = errors.New("already exists")
	ErrNoDatabase  = errors.New("no database yet")
	ErrLocked      = errors.New("database is locked by another process")
	ErrCorrupt     = errors.New("database is corrupted or not a tok database")
	ErrInsecure    = errors.New("database is accessible by other users")
	ErrNewerSchema = errors.New("database was written by a newer tok")
)

// Meta describes the database itself.
type Meta struct {
	Schema int
	// KeyID names this database's data key in the key source, so several
	// TOK_HOMEs on one machine never share or clobber a key.
	KeyID string
	// KeyCheck is a value sealed under the data key; opening it tells a
	// wrong key apart from corrupted data. Empty until the key is set up.
	KeyCheck []byte
}

// ProfileAuth authenticates profile records in a write transaction. The
// store never sees the data key: callers that hold it pass this to
// UpdateAuth.
type ProfileAuth struct {
	// Sum is the MAC binding a profile record (its stored bytes) to its
	// name and to the database's data key.
	Sum func(name string, record []byte) []byte
	// Required says every record must have a MAC (a migrated database);
	// otherwise a record without one is read as it is.
	Required bool
}

// ErrTampered marks a profile record whose MAC is wrong, or missing in a
// database where every record has one.
var ErrTampered = errors.New("failed its integrity check")

// TamperedError is the error for profile name's record failing its check.
func TamperedError(name string) error {
	return fmt.Errorf("profile %q %w: its stored settings were changed outside tok; run: tok profile rm %s, then add it again with: tok profile add %s",
		name, ErrTampered, name, name)
}

// CheckMAC verifies profile name's stored record against its MAC. It
// returns ok=false and no error for a record without a MAC in a database
// that does not require one.
func (a *ProfileAuth) CheckMAC(name string, record, mac []byte) (ok bool, err error) {
	if len(mac) == 0 && !a.Required {
		return false, nil
	}
	if len(mac) == 0 || !hmac.Equal(mac, a.Sum(name, record)) {
		return false, TamperedError(name)
	}
	return true, nil
}

// ErrUnauthenticatedWrite means a profile record was about to be written
// without its MAC into a database that has a data key: a bug in the
// writer, refused so that no record is ever stored that tok would later
// reject as tampered.
var ErrUnauthenticatedWrite = errors.New("profile record written without the data key")

// Store is a handle on the database at Path. It holds no open file.
type Store struct {
	Dir         string
	Path        string
	LockTimeout time.Duration

	mem *memory // set by NewMemory
}

// New returns a Store for the tok home directory dir. It does no I/O.
func New(dir string) *Store {
	return &Store{Dir: dir, Path: filepath.Join(dir, FileName), LockTimeout: DefaultLockTimeout}
}

// View runs fn in a read-only transaction on a shared lock.
func (s *Store) View(fn func(*Tx) error) error {
	if s.mem != nil {
		return s.mem.view(fn)
	}
	info, err := os.Lstat(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w at %s", ErrNoDatabase, s.Path)
	}
	if err != nil {
		return fmt.Errorf("could not read database %s: %w", s.Path, err)
	}
	if err := s.checkFile(info); err != nil {
		return err
	}
	if info.Size() == 0 {
		// Left by a crash before the first write finished; bbolt cannot
		// open an empty file read-only, and the next Update initialises it.
		return fmt.Errorf("%w at %s (the file is empty)", ErrNoDatabase, s.Path)
	}
	db, err := s.open(true)
	if err != nil {
		return err
	}
	defer db.Close()
	return guard(s.Path, func() error {
		return db.View(func(btx *bolt.Tx) error {
			tx := &Tx{tx: boltTx{btx}}
			if err := tx.checkSchema(); err != nil {
				return fmt.Errorf("%s: %w", s.Path, err)
			}
			return fn(tx)
		})
	})
}

// Update runs fn in one read-write transaction: all of its changes land
// together or not at all. It creates the directory and database on first use.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.UpdateAuth(nil, fn)
}

// UpdateAuth is Update whose profile writes (Tx.Put of Profiles) store
// the MAC auth computes beside each record. A database with a data key
// refuses profile writes without auth.
func (s *Store) UpdateAuth(auth *ProfileAuth, fn func(*Tx) error) error {
	if s.mem != nil {
		return s.mem.update(auth, fn)
	}
	if err := ensureDir(s.Dir); err != nil {
		return err
	}
	if info, err := os.Lstat(s.Path); err == nil {
		if err := s.checkFile(info); err != nil {
			return err
		}
	}
	db, err := s.open(false)
	if err != nil {
		return err
	}
	err = guard(s.Path, func() error {
		return db.Update(func(btx *bolt.Tx) error {
			tx := &Tx{tx: boltTx{btx}, writable: true, auth: auth}
			if err := tx.init(); err != nil {
				return fmt.Errorf("%s: %w", s.Path, err)
			}
			return fn(tx)
		})
	})
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("could not close database %s: %w", s.Path, cerr)
	}
	return err
}

func (s *Store) open(readOnly bool) (*bolt.DB, error) {
	// Scrub replaces the file while holding its lock. A writer that opened
	// the old file and got its lock afterwards would write into a file
	// nobody reads any more, so it opens the new one and tries again. A
	// reader may read the old file: its content is the same.
	// Retrying is bounded by the lock timeout, like waiting for the lock:
	// a count would give up early on a busy machine where several scrubs
	// follow each other.
	timeout := s.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	for {
		db, file, err := s.openOnce(readOnly)
		if err != nil || readOnly || !replaced(file, s.Path) {
			return db, err
		}
		_ = db.Close()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s (it was replaced again and again while tok opened it for %s)", ErrLocked, s.Path, timeout)
		}
	}
}

// replaced reports whether path no longer names the open file f.
func replaced(f *os.File, path string) bool {
	if f == nil {
		return false
	}
	open, err1 := f.Stat()
	now, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && !os.SameFile(open, now)
}

func (s *Store) openOnce(readOnly bool) (*bolt.DB, *os.File, error) {
	timeout := s.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	var db *bolt.DB
	var file *os.File
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := privfile.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	// Opening read-write loads the freelist, which can fault like any read.
	err := guard(s.Path, func() error {
		var err error
		db, err = bolt.Open(s.Path, 0o600, &bolt.Options{ReadOnly: readOnly, Timeout: timeout, OpenFile: openFile})
		return err
	})
	db, err = s.openResult(db, err, timeout)
	return db, file, err
}

func (s *Store) openResult(db *bolt.DB, err error, timeout time.Duration) (*bolt.DB, error) {
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, ErrCorrupt), errors.Is(err, privfile.ErrUntrusted):
		return nil, err
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s (waited %s); another tok may be stuck writing, check with: fuser %s", ErrLocked, s.Path, timeout, s.Path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("could not open database %s: %w", s.Path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch), isCorruption(err):
		return nil, corrupt(s.Path, err)
	default:
		return nil, fmt.Errorf("could not open database %s: %w", s.Path, err)
	}
}

// Scrub rewrites the database file without its free pages. bbolt never
// overwrites a page in place: a removed profile's sealed secrets, or a
// refresh token replaced by rotation, stay in freed pages until a later
// write reuses them, where anyone with the file and the data key could
// open them. Scrub copies the live data into a new file (bbolt's Compact)
// and renames it over the old one while holding the old file's write
// lock, so the old pages leave the database file. It costs one copy of
// the live data: a few milliseconds for a typical tok.db.
//
// Not on Windows, where a file another process has open cannot be
// replaced.
func (s *Store) Scrub() error {
	if s.mem != nil || runtime.GOOS == "windows" {
		return nil
	}
	info, err := os.Lstat(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("could not scrub database %s: %w", s.Path, err)
	}
	if err := s.checkFile(info); err != nil {
		return err
	}
	db, err := s.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	tmp, err := os.CreateTemp(s.Dir, ".tok.db-scrub-*")
	if err != nil {
		return fmt.Errorf("could not scrub database %s: %w", s.Path, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{Timeout: time.Second, OpenFile: privfile.OpenFile})
	if err != nil {
		return fmt.Errorf("could not scrub database %s: %w", s.Path, err)
	}
	err = guard(s.Path, func() error { return bolt.Compact(dst, db, 0) })
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("could not scrub database %s: %w", s.Path, err)
	}
	if err := os.Rename(tmpPath, s.Path); err != nil {
		return fmt.Errorf("could not scrub database %s: %w", s.Path, err)
	}
	done = true
	// Make the rename durable before the old file's lock is released.
	if d, err := os.Open(s.Dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// isCorruption recognises bbolt's untyped errors for files that are not
// databases (too small, bad page size, unmappable).
func isCorruption(err error) bool {
	msg := err.Error()
	for _, s := range []string{"file size too small", "invalid", "page size", "mmap", "checksum"} {
		if bytes.Contains([]byte(msg), []byte(s)) {
			return true
		}
	}
	return false
}

func corrupt(path string, cause error) error {
	return fmt.Errorf("%w: %s (%v); move it aside (mv %s %s.broken) and set up profiles again", ErrCorrupt, path, cause, path, path)
}

// guard turns a panic inside bbolt (it panics on some corrupted pages) into
// ErrCorrupt, so a damaged file never crashes tok. bbolt reads pages through
// mmap, so a page past the end of a truncated file raises SIGBUS; panicking
// on faults makes that recoverable too instead of killing the process.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, fault := r.(interface{ Addr() uintptr }); fault {
			err = corrupt(path, errors.New("a page it refers to lies outside the file: the file is truncated or damaged"))
			return
		}
		err = corrupt(path, fmt.Errorf("%v", r))
	}()
	return fn()
}

// checkFile checks the database file (info from Lstat) and its directory
// before tok opens it: see internal/privfile for why.
func (s *Store) checkFile(info fs.FileInfo) error {
	if err := privfile.CheckDir(s.Dir); err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return privfile.CheckNotSymlink(s.Path)
	}
	if err := privfile.CheckOwner(s.Path, info); err != nil {
		return err
	}
	return checkMode(s.Path, info.Mode())
}

func checkMode(path string, mode fs.FileMode) error {
	if mode.Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run: chmod 600 %s", ErrInsecure, path, mode.Perm(), path)
	}
	return nil
}

func ensureDir(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("could not create tok home %s: %w", dir, err)
		}
		// MkdirAll is subject to the umask; make the mode exact.
		return os.Chmod(dir, 0o700)
	}
	if err != nil {
		return fmt.Errorf("could not read tok home %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("tok home %s is not a directory", dir)
	}
	return privfile.CheckDir(dir)
}

// Tx is one transaction. Reads on a read-only Tx see one consistent snapshot.
type Tx struct {
	tx       txBackend
	writable bool
	auth     *ProfileAuth
}

func (t *Tx) checkSchema() error {
	b := t.tx.Bucket(bucketMeta)
	if b == nil {
		return nil // created but never written: treated as empty
	}
	v := b.Get(keySchema)
	if v == nil {
		return nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return fmt.Errorf("%w: bad schema version %q", ErrCorrupt, v)
	}
	if n > SchemaVersion {
		return fmt.Errorf("%w (schema %d, this tok knows %d); upgrade tok", ErrNewerSchema, n, SchemaVersion)
	}
	return nil
}

func (t *Tx) init() error {
	if err := t.checkSchema(); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketMeta, bucketSettings, bucketProfiles, bucketState, bucketProfileMAC} {
		if _, err := t.tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("could not create bucket %s: %w", name, err)
		}
	}
	meta := t.tx.Bucket(bucketMeta)
	if meta.Get(keySchema) == nil {
		if err := meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
	}
	if meta.Get(keyID) == nil {
		var id [8]byte
		if _, err := rand.Read(id[:]); err != nil {
			return fmt.Errorf("could not generate key id: %w", err)
		}
		if err := meta.Put(keyID, []byte(hex.EncodeToString(id[:]))); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) bucket(name []byte) bucket { return t.tx.Bucket(name) }

// Meta returns the database's metadata (zero on an empty database).
func (t *Tx) Meta() Meta {
	var m Meta
	b := t.bucket(bucketMeta)
	if b == nil {
		return m
	}
	m.Schema, _ = strconv.Atoi(string(b.Get(keySchema)))
	m.KeyID = string(b.Get(keyID))
	m.KeyCheck = bytes.Clone(b.Get(keyCheck))
	return m
}

// SetKeyCheck records the value that proves which data key this database uses.
func (t *Tx) SetKeyCheck(v []byte) error {
	return t.bucket(bucketMeta).Put(keyCheck, v)
}

// WrappedKey returns the passphrase-wrapped data key (nil when none).
func (t *Tx) WrappedKey() []byte {
	b := t.bucket(bucketMeta)
	if b == nil {
		return nil
	}
	return bytes.Clone(b.Get(keyWrap))
}

// SetWrappedKey stores the passphrase-wrapped data key; nil removes it.
func (t *Tx) SetWrappedKey(v []byte) error {
	if v == nil {
		return t.bucket(bucketMeta).Delete(keyWrap)
	}
	return t.bucket(bucketMeta).Put(keyWrap, v)
}

// WrappedKeys keeps the passphrase key source's wrapped data key in the
// database's meta bucket (it implements keysource.WrappedStore). The
// value is sealed; the store never sees the key itself.
type WrappedKeys struct{ Store *Store }

// LoadWrapped returns the wrapped key, or nil when there is none.
func (w WrappedKeys) LoadWrapped() ([]byte, error) {
	var v []byte
	err := w.Store.View(func(tx *Tx) error {
		v = tx.WrappedKey()
		return nil
	})
	if errors.Is(err, ErrNoDatabase) {
		return nil, nil
	}
	return v, err
}

// SaveWrapped replaces the wrapped key.
func (w WrappedKeys) SaveWrapped(v []byte) error {
	return w.Store.Update(func(tx *Tx) error { return tx.SetWrappedKey(v) })
}

// DeleteWrapped removes the wrapped key.
func (w WrappedKeys) DeleteWrapped() error {
	err := w.Store.Update(func(tx *Tx) error { return tx.SetWrappedKey(nil) })
	if errors.Is(err, ErrNoDatabase) {
		return nil
	}
	return err
}

// Setting returns a stored setting ("" when unset).
func (t *Tx) Setting(name string) string {
	b := t.bucket(bucketSettings)
	if b == nil {
		return ""
	}
	return string(b.Get([]byte(name)))
}

// SetSetting stores a setting; an empty value removes it.
func (t *Tx) SetSetting(name, value string) error {
	b := t.bucket(bucketSettings)
	if value == "" {
		return b.Delete([]byte(name))
	}
	return b.Put([]byte(name), []byte(value))
}

// Settings returns every stored setting.
func (t *Tx) Settings() map[string]string {
	out := map[string]string{}
	if b := t.bucket(bucketSettings); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	}
	return out
}

// Get decodes the record stored under name in kind into v.
func (t *Tx) Get(kind Kind, name string, v any) error {
	b := t.bucket(kind.bucket())
	if b == nil {
		return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	raw := b.Get([]byte(name))
	if raw == nil {
		return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	if kind == Profiles && t.auth != nil {
		// A writer reads a record to change it: re-MACing a tampered
		// record would launder the tampering.
		_, mac := t.ProfileRecord(name)
		if _, err := t.auth.CheckMAC(name, raw, mac); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %s %q is unreadable: %v", ErrCorrupt, kind, name, err)
	}
	return nil
}

// Has reports whether a record exists.
func (t *Tx) Has(kind Kind, name string) bool {
	b := t.bucket(kind.bucket())
	return b != nil && b.Get([]byte(name)) != nil
}

// Put stores v under name. A profile record gets its MAC in the same
// transaction (see UpdateAuth): this is the one place profile records
// are written, so no writer can forget it.
func (t *Tx) Put(kind Kind, name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("could not encode %s %q: %w", kind, name, err)
	}
	if kind == Profiles {
		if err := t.putMAC(name, raw); err != nil {
			return err
		}
	}
	return t.bucket(kind.bucket()).Put([]byte(name), raw)
}

func (t *Tx) putMAC(name string, raw []byte) error {
	macs := t.bucket(bucketProfileMAC)
	if t.auth == nil {
		if len(t.Meta().KeyCheck) > 0 {
			return fmt.Errorf("%w: profile %q", ErrUnauthenticatedWrite, name)
		}
		return macs.Delete([]byte(name))
	}
	return macs.Put([]byte(name), t.auth.Sum(name, raw))
}

// AuthenticateProfiles stores a MAC for every profile record as it is
// now. It migrates a database written before records had MACs, and runs
// when a database gets its data key; the caller vouches for the records.
func (t *Tx) AuthenticateProfiles(auth *ProfileAuth) error {
	if err := t.bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	macs := t.bucket(bucketProfileMAC)
	return t.bucket(bucketProfiles).ForEach(func(k, v []byte) error {
		return macs.Put(k, auth.Sum(string(k), v))
	})
}

// ProfileRecord returns profile name's record as stored and its MAC (nil
// when it has none).
func (t *Tx) ProfileRecord(name string) (record, mac []byte) {
	if b := t.bucket(bucketProfiles); b != nil {
		record = bytes.Clone(b.Get([]byte(name)))
	}
	if b := t.bucket(bucketProfileMAC); b != nil {
		mac = bytes.Clone(b.Get([]byte(name)))
	}
	return record, mac
}

// Delete removes a record (and a profile's MAC); deleting a missing one
// is not an error.
func (t *Tx) Delete(kind Kind, name string) error {
	if kind == Profiles {
		if b := t.bucket(bucketProfileMAC); b != nil {
			if err := b.Delete([]byte(name)); err != nil {
				return err
			}
		}
	}
	return t.bucket(kind.bucket()).Delete([]byte(name))
}

// Names lists the records of a kind, sorted.
func (t *Tx) Names(kind Kind) []string {
	var names []string
	if b := t.bucket(kind.bucket()); b != nil {
		_ = b.ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	}
	sort.Strings(names)
	return names
}

// Kind selects a family of records.
type Kind int

const (
	// Profiles are profile configurations.
	Profiles Kind = iota
	// States are token states, one per profile, keyed by profile name.
	States
)

func (k Kind) bucket() []byte {
	if k == States {
		return bucketState
	}
	return bucketProfiles
}

func (k Kind) String() string {
	if k == States {
		return "token state"
	}
	return "profile"
}
