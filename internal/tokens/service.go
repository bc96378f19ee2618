// Package tokens is tok's domain: profiles, their token state, and the
// rules for handing out, refreshing, and revoking tokens.
//
// The Service reads the store under the database's shared lock, held for
// one read transaction, and takes a per-profile lock file only to refresh,
// so any number of processes asking for the same stale token cause exactly
// one request to the token endpoint. The hot path (the small front) does
// not use the Service: it reads through record.Reader.
package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/when"
)

// Errors the CLI maps to exit codes. Each is wrapped with a message that
// names the profile and the command to run next.
var (
	// ErrLoginRequired: no usable token and no way to get one without a person (exit 4).
	ErrLoginRequired = errors.New("login required")
	// ErrNoProfile: no profile named, no default (exit 2).
	ErrNoProfile = errors.New("no profile selected")
	// ErrProfileNotFound: the named profile does not exist.
	ErrProfileNotFound = errors.New("profile not found")
)

// Keys finds and stores data keys; keysource.Resolver implements it.
type Keys interface {
	Get(ctx context.Context, src keysource.Source, keyID string) (seal.Key, error)
	Put(ctx context.Context, src keysource.Source, keyID string, key seal.Key) error
	Delete(ctx context.Context, src keysource.Source, keyID string) error
}

// Service implements tok's operations on one store.
type Service struct {
	Store *store.Store
	Keys  Keys
	// KeySource, when set (TOK_KEY_SOURCE), overrides the stored setting.
	KeySource string
	// Now is the clock; tests inject one.
	Now func() time.Time
	// Log receives debug records; secrets are never logged.
	Log *slog.Logger
	// Warn prints one line for the person (stderr in the CLI); a call
	// made with a WithWarn context warns there instead.
	Warn func(msg string)
	// LockTimeout bounds the wait for another process's refresh or login.
	LockTimeout time.Duration
	// HTTPTimeout bounds each request to an authorization server.
	HTTPTimeout time.Duration
	// Subjects fetches the subject tokens of federated profiles.
	Subjects SubjectTokens
	// ChooseKeySource picks a key source on first use when the OS keyring
	// is not there; nil (no person) makes that first use fail.
	ChooseKeySource ChooseKeySource
	// Shared opens the shared cache of fleet profiles; nil means this
	// tok cannot use one.
	Shared SharedOpener
	// SharedLease is how long a member's shared refresh lock outlives
	// the member; zero means DefaultSharedLease.
	SharedLease time.Duration

	sealerMu sync.Mutex   // guards sealer and key: tok exec refreshes from a goroutine
	sealer   *seal.Sealer // cached for the life of the process
	key      seal.Key     // the key of sealer
	memLock  sync.Mutex   // stands in for lock files with an in-memory store
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// warnKey is the context key of WithWarn.
type warnKey struct{}

// WithWarn returns a context under which the Service's calls send their
// warnings (a refresh that failed while the current token still serves,
// an unreachable shared cache) to warn instead of to Service.Warn. Callers
// use it per call: a spinner holds a call's warnings until it is gone,
// tok exec's refresher folds a run of failures into one line; the
// Service itself is never changed.
func WithWarn(ctx context.Context, warn func(msg string)) context.Context {
	return context.WithValue(ctx, warnKey{}, warn)
}

// warn sends a warning to ctx's WithWarn function, else to Service.Warn.
func (s *Service) warn(ctx context.Context, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w, ok := ctx.Value(warnKey{}).(func(string)); ok && w != nil {
		w(msg)
		return
	}
	if s.Warn != nil {
		s.Warn(msg)
	}
}

func (s *Service) lockTimeout() time.Duration {
	if s.LockTimeout > 0 {
		return s.LockTimeout
	}
	return time.Minute
}

// snapshot is one consistent read of everything an operation needs.
type snapshot struct {
	profile  Profile
	state    record.State
	hasState bool
	meta     store.Meta
	source   keysource.Source
	// key is the name the record is stored under; record and mac are
	// the record as stored and its MAC.
	key         string
	record, mac []byte
}

// loginRequired builds the error for a profile that needs a person.
func loginRequired(name, why string) error {
	return fmt.Errorf("%w: %s; run: tok login -p %s", ErrLoginRequired, why, name)
}

// refusedGrant is the error for a profile whose refresh token the provider
// refused earlier: no request is made until a login.
func refusedGrant(snap *snapshot) error {
	name := snap.profile.Name
	return fmt.Errorf("%w: the provider refused the refresh token of profile %q at %s (%s); run: tok login -p %s",
		ErrLoginRequired, name, when.Format(snap.state.RefreshRefused, time.Now()), snap.state.RefusalReason, name)
}

// notFound is the error for a profile name that is not among known; a
// known name it looks like a typo of is suggested.
func notFound(name string, known []string) error {
	if s := Suggest(name, known); s != "" {
		return fmt.Errorf("%w: %q; did you mean %q? List profiles with: tok profile list", ErrProfileNotFound, name, s)
	}
	return fmt.Errorf("%w: %q; list profiles with: tok profile list, or add it with: tok profile add %s", ErrProfileNotFound, name, name)
}

// load reads profile name (or the default profile when name is empty), its
// state, the database metadata and the key source in one transaction.
func (s *Service) load(name string) (snapshot, error) {
	var snap snapshot
	if name != "" {
		if err := ValidateName(name); err != nil {
			return snap, err
		}
	}
	err := s.Store.View(func(tx *store.Tx) error {
		if name == "" {
			name = tx.Setting(record.SettingDefaultProfile)
			if name == "" {
				return fmt.Errorf("%w; pass -p NAME, set TOK_PROFILE, or choose a default with: tok use NAME", ErrNoProfile)
			}
		}
		if err := tx.Get(store.Profiles, name, &snap.profile); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFound(name, tx.Names(store.Profiles))
			}
			return err
		}
		snap.key = name
		snap.record, snap.mac = tx.ProfileRecord(name)
		switch err := tx.Get(store.States, name, &snap.state); {
		case err == nil:
			snap.hasState = true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		snap.meta = tx.Meta()
		src, err := s.keySource(tx.Setting(record.SettingKeySource))
		if err != nil {
			return err
		}
		snap.source = src
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		if name == "" {
			return snap, fmt.Errorf("%w and there are no profiles in %s yet; add one with: tok profile add NAME (the first becomes the default; pick others with -p NAME or TOK_PROFILE)", ErrNoProfile, s.Store.Dir)
		}
		return snap, notFound(name, nil)
	}
	return snap, err
}

func (s *Service) keySource(stored string) (keysource.Source, error) {
	return record.SourceOf(s.KeySource, stored)
}

// openSealer returns the sealer for an existing database.
func (s *Service) openSealer(ctx context.Context, meta store.Meta, src keysource.Source) (*seal.Sealer, error) {
	if sl := s.cachedSealer(); sl != nil {
		return sl, nil
	}
	key, sl, err := s.verifiedKey(ctx, meta, src)
	if err != nil {
		return nil, err
	}
	s.cacheSealer(key, sl)
	return sl, nil
}

// sealerFor returns the sealer for snap's profile after checking the
// profile record against its MAC: a record changed by someone without
// the data key is refused before any of its settings is used with a
// secret. A database written before records had MACs gets them here.
func (s *Service) sealerFor(ctx context.Context, snap *snapshot) (*seal.Sealer, error) {
	sl, err := s.openSealer(ctx, snap.meta, snap.source)
	if err != nil {
		return nil, err
	}
	key, _ := s.cachedKey()
	auth := record.ProfileAuth(key, profilesAuthenticated(sl, snap.meta))
	ok, err := auth.CheckMAC(snap.key, snap.record, snap.mac)
	if err == nil && snap.profile.Name != snap.key {
		err = store.TamperedError(snap.key)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.migrateProfiles(sl, key); err != nil {
			return nil, err
		}
	}
	return sl, nil
}

// migrateProfiles gives every profile record of a database written
// before records had MACs its MAC, and replaces the key check with one
// that says MACs are required, in one transaction: from then on a record
// without a valid MAC is refused, and nobody without the data key can
// undo that.
func (s *Service) migrateProfiles(sl *seal.Sealer, key seal.Key) error {
	check, err := sl.Seal([]byte(keyCheckText), keyCheckAD())
	if err != nil {
		return err
	}
	err = s.Store.Update(func(tx *store.Tx) error {
		meta := tx.Meta()
		if profilesAuthenticated(sl, meta) {
			return nil // another tok migrated it meanwhile
		}
		if _, err := sl.Open(meta.KeyCheck, keyCheckAD()); err != nil {
			return errors.New("the database's data key changed while tok read it; run the command again")
		}
		if err := tx.AuthenticateProfiles(record.ProfileAuth(key, true)); err != nil {
			return err
		}
		return tx.SetKeyCheck(check)
	})
	if err != nil {
		return fmt.Errorf("could not add integrity checks to the profiles in %s: %w", s.Store.Path, err)
	}
	return nil
}

// profileAuth is what a transaction that writes profile records needs:
// nil while the database has no data key (there is nothing to bind the
// records to yet), else the MAC of the data key.
func (s *Service) profileAuth(ctx context.Context) (*store.ProfileAuth, error) {
	meta, src, err := s.readKeyMeta()
	if errors.Is(err, store.ErrNoDatabase) || err == nil && len(meta.KeyCheck) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sl, err := s.openSealer(ctx, meta, src)
	if err != nil {
		return nil, err
	}
	key, _ := s.cachedKey()
	return record.ProfileAuth(key, profilesAuthenticated(sl, meta)), nil
}

// updateProfiles runs fn in a write transaction whose profile writes get
// their MAC (see store.UpdateAuth). Every write of a profile record goes
// through it.
func (s *Service) updateProfiles(ctx context.Context, fn func(*store.Tx) error) error {
	auth, err := s.profileAuth(ctx)
	if err != nil {
		return err
	}
	return s.Store.UpdateAuth(auth, fn)
}

// verifiedKey fetches the data key from src and checks it against the
// database, so a wrong key is reported as such rather than as corruption.
func (s *Service) verifiedKey(ctx context.Context, meta store.Meta, src keysource.Source) (seal.Key, *seal.Sealer, error) {
	return verifiedSealer(ctx, s.Keys, meta, src)
}

func (s *Service) cachedSealer() *seal.Sealer {
	s.sealerMu.Lock()
	defer s.sealerMu.Unlock()
	return s.sealer
}

func (s *Service) cacheSealer(key seal.Key, sl *seal.Sealer) {
	s.sealerMu.Lock()
	defer s.sealerMu.Unlock()
	s.sealer, s.key = sl, key
}

// cachedKey returns the data key of the cached sealer.
func (s *Service) cachedKey() (seal.Key, bool) {
	s.sealerMu.Lock()
	defer s.sealerMu.Unlock()
	return s.key, s.sealer != nil
}

// writeSealer returns the sealer for writing secrets, creating and storing
// the database's data key on first use.
func (s *Service) writeSealer(ctx context.Context) (*seal.Sealer, error) {
	if sl := s.cachedSealer(); sl != nil {
		return sl, nil
	}
	for attempt := 0; attempt < 3; attempt++ {
		var meta store.Meta
		var src keysource.Source
		var stored string
		if err := s.Store.Update(func(tx *store.Tx) error {
			meta = tx.Meta()
			stored = tx.Setting(record.SettingKeySource)
			var err error
			src, err = s.keySource(stored)
			return err
		}); err != nil {
			return nil, err
		}
		if len(meta.KeyCheck) > 0 {
			return s.openSealer(ctx, meta, src)
		}
		key, err := s.newKey(ctx, src, meta.KeyID)
		// The default source on a machine without an OS keyring: ask
		// which source to use instead (or say how to choose one).
		chosen := false
		if err != nil && stored == "" && s.KeySource == "" &&
			errors.Is(err, keysource.ErrKeyringUnavailable) && !errors.Is(err, keysource.ErrKeyringLocked) {
			if src, err = s.firstKeySource(ctx, err); err != nil {
				return nil, err
			}
			chosen = true
			key, err = s.newKey(ctx, src, meta.KeyID)
		}
		if err != nil {
			return nil, fmt.Errorf("could not set up the data key (key source %s): %w", src, err)
		}
		sl, err := seal.New(key)
		if err != nil {
			return nil, err
		}
		check, err := sl.Seal([]byte(keyCheckText), keyCheckAD())
		if err != nil {
			return nil, err
		}
		raced := false
		if err := s.Store.Update(func(tx *store.Tx) error {
			if len(tx.Meta().KeyCheck) > 0 {
				raced = true // another process set the key up first: use theirs
				return nil
			}
			if chosen {
				if err := tx.SetSetting(record.SettingKeySource, string(src)); err != nil {
					return err
				}
			}
			// The profiles so far had nothing to be bound to: bind them
			// now, with the key check that requires it.
			if err := tx.AuthenticateProfiles(record.ProfileAuth(key, true)); err != nil {
				return err
			}
			return tx.SetKeyCheck(check)
		}); err != nil {
			return nil, err
		}
		if !raced {
			s.cacheSealer(key, sl)
			return sl, nil
		}
	}
	return nil, errors.New("could not set up the data key: concurrent setup kept racing; try again")
}

// newKey returns the key src already holds for a database without a key
// check, or creates one and puts it there.
func (s *Service) newKey(ctx context.Context, src keysource.Source, keyID string) (seal.Key, error) {
	key, err := s.Keys.Get(ctx, src, keyID)
	if errors.Is(err, keysource.ErrNoKey) && src != keysource.Env {
		if key, err = seal.NewKey(); err == nil {
			err = s.Keys.Put(ctx, src, keyID, key)
		}
	}
	return key, err
}

// Token returns a valid token for profile name ("" = the default profile),
// refreshing it first when it is inside its refresh margin. It never
// starts a login; it returns an error wrapping ErrLoginRequired instead.
func (s *Service) Token(ctx context.Context, name string, opts record.Options) (record.Credential, error) {
	snap, err := s.load(name)
	if err != nil {
		return record.Credential{}, err
	}
	use := snap.profile.TokenFor(opts)
	pol := snap.profile.Policy()
	status := record.Evaluate(pol, &snap.state, use, s.now())
	s.log().Debug("token state", "profile", snap.profile.Name, "status", string(status), "expiry", snap.state.ExpiryFor(use))
	// What the read path serves, this hands out as it is; everything else
	// needs the provider, a login or a person.
	if record.Servable(pol, status, opts) {
		return s.credential(ctx, snap, use)
	}
	switch status {
	case record.StatusStale, record.StatusExpired:
		if pol.Renewable() {
			return s.refresh(ctx, snap, use, false)
		}
		return record.Credential{}, fmt.Errorf("%w: the token of profile %q expired at %s; store a new one with: tok login -p %s (or pass --allow-expired)",
			ErrLoginRequired, snap.profile.Name, when.Format(snap.state.Expiry, s.now()), snap.profile.Name)
	case record.StatusNoToken:
		return record.Credential{}, loginRequired(snap.profile.Name, fmt.Sprintf("profile %q holds no token", snap.profile.Name))
	case record.StatusLoginRequired:
		// A shared profile asks the shared cache first: another member
		// may have signed in again since.
		if record.GrantDead(snap.profile.Policy(), &snap.state) && snap.profile.Shared == nil {
			return record.Credential{}, refusedGrant(&snap)
		}
		// A client-credentials profile needs no person to get its first
		// token: fetching one is what refreshing means for it.
		if canRenew(&snap.profile, &snap.state) || snap.profile.Shared != nil {
			return s.refresh(ctx, snap, use, false)
		}
		return record.Credential{}, loginRequired(snap.profile.Name, fmt.Sprintf("profile %q has no usable token", snap.profile.Name))
	default:
		return record.Credential{}, loginRequired(snap.profile.Name, fmt.Sprintf("profile %q has no usable token", snap.profile.Name))
	}
}

// credential unseals the chosen token of snap.
func (s *Service) credential(ctx context.Context, snap snapshot, use record.K8sToken) (record.Credential, error) {
	sl, err := s.sealerFor(ctx, &snap)
	if err != nil {
		return record.Credential{}, err
	}
	token, err := record.Unseal(sl, snap.profile.Name, use, &snap.state)
	if err != nil {
		return record.Credential{}, err
	}
	return record.Credential{
		Profile:   snap.profile.Name,
		Token:     token,
		TokenType: snap.state.TokenType,
		Expiry:    snap.state.ExpiryFor(use),
		Env:       snap.profile.Env,
		Margin:    snap.profile.Policy().MarginFor(&snap.state, use),
	}, nil
}
