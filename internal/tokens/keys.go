package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// Unlocker is implemented by key sources that hold a passphrase-wrapped
// key (keysource.Resolver). Service.Unlock, Lock and ChangePassphrase need it.
type Unlocker interface {
	Unlock(ctx context.Context, keyID string, ttl time.Duration) (seal.Key, error)
	Lock(keyID string) error
	ChangePassphrase(ctx context.Context, keyID string) error
}

// ChooseKeySource is asked, on first use, which key source to use when the
// OS keyring cannot be reached; why is the keyring's error. The CLI asks a
// person at a terminal; without one it is nil and the first use fails.
type ChooseKeySource func(ctx context.Context, why error) (keysource.Source, error)

// keyMeta reads the database metadata and the key source in effect, and
// explains a missing database.
func (s *Service) keyMeta() (store.Meta, keysource.Source, error) {
	meta, src, err := s.readKeyMeta()
	if errors.Is(err, store.ErrNoDatabase) {
		return store.Meta{}, "", errors.New("there is no tok database here yet; add a profile first: tok profile add NAME")
	}
	return meta, src, err
}

// readKeyMeta reads the database metadata and the key source in effect in
// one read transaction; a missing database is store.ErrNoDatabase.
func (s *Service) readKeyMeta() (meta store.Meta, src keysource.Source, err error) {
	err = s.Store.View(func(tx *store.Tx) error {
		meta = tx.Meta()
		var err error
		src, err = s.keySource(tx.Setting(record.SettingKeySource))
		return err
	})
	return meta, src, err
}

func (s *Service) unlocker() (Unlocker, error) {
	u, ok := s.Keys.(Unlocker)
	if !ok {
		return nil, errors.New("this run of tok keeps its key in memory; there is nothing to unlock or lock")
	}
	return u, nil
}

// Unlock asks for the passphrase and keeps the unwrapped data key in the
// kernel keyring for ttl, so that commands (and scripts, kubectl) run
// without asking until then.
func (s *Service) Unlock(ctx context.Context, ttl time.Duration) error {
	u, err := s.unlocker()
	if err != nil {
		return err
	}
	meta, src, err := s.keyMeta()
	if err != nil {
		return err
	}
	if src != keysource.Passphrase {
		return fmt.Errorf("the key source is %s, not passphrase, so there is nothing to unlock; to protect the key with a passphrase run: tok config set key-source passphrase", src)
	}
	if len(meta.KeyCheck) == 0 {
		return errors.New("this database has no data key yet, so there is nothing to unlock; it is created under your passphrase when the first secret is stored")
	}
	key, err := u.Unlock(ctx, meta.KeyID, ttl)
	if err != nil {
		return err
	}
	sl, err := seal.New(key)
	if err != nil {
		return err
	}
	if _, err := sl.Open(meta.KeyCheck, keyCheckAD()); err != nil {
		_ = u.Lock(meta.KeyID)
		return errors.New("the passphrase opened a key that does not match this database; the database's wrapped key may have been replaced")
	}
	s.cacheSealer(key, sl)
	return nil
}

// Lock drops the unlocked data key from the kernel keyring at once. It
// reports whether the key source is passphrase (else there was nothing
// to lock).
func (s *Service) Lock(ctx context.Context) (bool, error) {
	u, err := s.unlocker()
	if err != nil {
		return false, err
	}
	meta, src, err := s.keyMeta()
	if err != nil {
		return false, err
	}
	if meta.KeyID == "" {
		return false, nil
	}
	if err := u.Lock(meta.KeyID); err != nil {
		return false, fmt.Errorf("could not drop the unlocked key from the kernel keyring: %w", err)
	}
	return src == keysource.Passphrase, nil
}

// unlockStater is implemented by key sources that can tell whether the
// passphrase-wrapped key is unlocked without asking (keysource.Resolver).
type unlockStater interface {
	UnlockState(keyID string) keysource.UnlockState
}

// KeyState is what tok status and tok config list say about the data key.
type KeyState struct {
	Source keysource.Source
	// NoKey: the database has no data key yet.
	NoKey bool
	// Unlock is the passphrase source's state; zero for other sources.
	Unlock keysource.UnlockState
}

// KeyState reports the key source in effect and, for the passphrase
// source, whether the key is unlocked. It only looks: it never asks for a
// passphrase and never opens the key.
func (s *Service) KeyState() (KeyState, error) {
	meta, src, err := s.keyMeta()
	if err != nil {
		return KeyState{}, err
	}
	ks := KeyState{Source: src, NoKey: len(meta.KeyCheck) == 0}
	if u, ok := s.Keys.(unlockStater); ok && src == keysource.Passphrase && !ks.NoKey {
		ks.Unlock = u.UnlockState(meta.KeyID)
	}
	return ks, nil
}

// ChangePassphrase re-wraps the data key under a new passphrase. No
// secret is re-sealed: the key stays the same.
func (s *Service) ChangePassphrase(ctx context.Context) error {
	u, err := s.unlocker()
	if err != nil {
		return err
	}
	meta, src, err := s.keyMeta()
	if err != nil {
		return err
	}
	if src != keysource.Passphrase {
		return fmt.Errorf("the key source is %s, not passphrase; to protect the key with a passphrase run: tok config set key-source passphrase", src)
	}
	if len(meta.KeyCheck) == 0 {
		return errors.New("this database has no data key yet; it is created under your passphrase when the first secret is stored")
	}
	return u.ChangePassphrase(ctx, meta.KeyID)
}

// firstKeySource handles the first use of a database whose key source was
// never chosen, when the OS keyring is not there: it asks ChooseKeySource,
// or fails with the command to run. Never a silent fallback.
func (s *Service) firstKeySource(ctx context.Context, why error) (keysource.Source, error) {
	if s.ChooseKeySource == nil {
		return "", fmt.Errorf("no OS keyring here; run: tok config set key-source passphrase (or file: a plaintext key, for throwaway machines)\n  diagnosis: %v", keysource.Diagnosis(why))
	}
	src, err := s.ChooseKeySource(ctx, why)
	if err != nil {
		return "", err
	}
	if src == keysource.Keyring || src == keysource.Env || src == "" {
		return "", fmt.Errorf("key source %q cannot be chosen here; choose passphrase or file", src)
	}
	return src, nil
}

// SetKeySource moves the data key to another source and records the
// choice. The key itself does not change, so no secret is re-sealed.
func (s *Service) SetKeySource(ctx context.Context, to keysource.Source) error {
	var meta store.Meta
	var stored string
	if err := s.Store.Update(func(tx *store.Tx) error {
		meta = tx.Meta()
		stored = tx.Setting(record.SettingKeySource)
		return nil
	}); err != nil {
		return err
	}
	from, err := keysource.Parse(stored)
	if err != nil {
		return err
	}
	if from == to {
		if stored != "" {
			return nil
		}
		// Choosing the default explicitly is a choice: a first use
		// without a keyring then fails instead of offering another.
		return s.Store.Update(func(tx *store.Tx) error {
			return tx.SetSetting(record.SettingKeySource, string(to))
		})
	}
	if len(meta.KeyCheck) == 0 && to == keysource.Passphrase {
		return s.createPassphraseKey(ctx, meta.KeyID)
	}
	if len(meta.KeyCheck) > 0 {
		key, _, err := s.verifiedKey(ctx, meta, from)
		if err != nil {
			return err
		}
		if to == keysource.Env {
			// Nothing to write; make sure the caller has exported the same key.
			envKey, err := s.Keys.Get(ctx, keysource.Env, meta.KeyID)
			if err != nil || envKey != key {
				return fmt.Errorf("before switching to the env key source, export %s with this database's key (print it with: tok config key export)", keysource.EnvKey)
			}
		} else if err := s.Keys.Put(ctx, to, meta.KeyID, key); err != nil {
			return err
		}
	}
	if err := s.Store.Update(func(tx *store.Tx) error {
		return tx.SetSetting(record.SettingKeySource, string(to))
	}); err != nil {
		return err
	}
	if len(meta.KeyCheck) > 0 && from != keysource.Env {
		if err := s.Keys.Delete(ctx, from, meta.KeyID); err != nil {
			s.warn(ctx, "warning: could not remove the old copy of the data key from %s: %v", from, err)
		}
	}
	return nil
}

// createPassphraseKey makes the data key of a database that has none yet
// and wraps it under a new passphrase now, while the person who chose the
// passphrase source is there to type it, not at the first login.
func (s *Service) createPassphraseKey(ctx context.Context, keyID string) error {
	key, err := seal.NewKey()
	if err != nil {
		return err
	}
	if err := s.Keys.Put(ctx, keysource.Passphrase, keyID, key); err != nil {
		return err
	}
	sl, err := seal.New(key)
	if err != nil {
		return err
	}
	check, err := sl.Seal([]byte(keyCheckText), keyCheckAD())
	if err != nil {
		return err
	}
	return s.Store.Update(func(tx *store.Tx) error {
		if len(tx.Meta().KeyCheck) > 0 {
			return errors.New("another tok created the data key meanwhile; run the command again")
		}
		if err := tx.AuthenticateProfiles(record.ProfileAuth(key, true)); err != nil {
			return err
		}
		if err := tx.SetKeyCheck(check); err != nil {
			return err
		}
		return tx.SetSetting(record.SettingKeySource, string(keysource.Passphrase))
	})
}

// ExportKey returns the database's data key in base64, for moving a
// database to CI (TOK_KEY). The CLI refuses to print it to a terminal
// unless asked explicitly.
func (s *Service) ExportKey(ctx context.Context) (string, error) {
	meta, src, err := s.readKeyMeta()
	if err != nil {
		return "", err
	}
	if len(meta.KeyCheck) == 0 {
		return "", errors.New("this database has no data key yet; store a token first")
	}
	key, _, err := s.verifiedKey(ctx, meta, src)
	if err != nil {
		return "", err
	}
	return key.String(), nil
}
