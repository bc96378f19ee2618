package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// AddProfile stores a new profile. clientSecret, when non-empty, is sealed
// into it. The first profile ever added becomes the default.
func (s *Service) AddProfile(ctx context.Context, p Profile, clientSecret string) error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if p.Created.IsZero() {
		p.Created = s.now().UTC()
	}
	if clientSecret != "" {
		if p.OAuth == nil {
			return errors.New("a client secret only applies to oauth profiles")
		}
		sl, err := s.writeSealer(ctx)
		if err != nil {
			return err
		}
		if p.OAuth.ClientSecret, err = sl.Seal([]byte(clientSecret), seal.AD(p.Name, "client_secret")); err != nil {
			return err
		}
	}
	return s.updateProfiles(ctx, func(tx *store.Tx) error {
		if tx.Has(store.Profiles, p.Name) {
			return fmt.Errorf("profile %q %w; change its settings with: tok profile set %s --flag value", p.Name, store.ErrExists, p.Name)
		}
		if len(tx.Names(store.Profiles)) == 0 && tx.Setting(record.SettingDefaultProfile) == "" {
			if err := tx.SetSetting(record.SettingDefaultProfile, p.Name); err != nil {
				return err
			}
		}
		return tx.Put(store.Profiles, p.Name, p)
	})
}

// Profile returns one profile (secrets still sealed).
func (s *Service) Profile(name string) (Profile, error) {
	snap, err := s.load(name)
	return snap.profile, err
}

// ProfileStatus is what `tok status` and `tok profile list` show.
type ProfileStatus struct {
	Profile    Profile
	Default    bool
	Status     record.Status
	Expiry     time.Time
	Obtained   time.Time
	HasRefresh bool
	HasIDToken bool
	Scope      string
}

// List returns every profile with its state, sorted by name, without
// touching any key: status needs no secret.
func (s *Service) List() ([]ProfileStatus, error) {
	var out []ProfileStatus
	err := s.Store.View(func(tx *store.Tx) error {
		def := tx.Setting(record.SettingDefaultProfile)
		for _, name := range tx.Names(store.Profiles) {
			var ps ProfileStatus
			if err := tx.Get(store.Profiles, name, &ps.Profile); err != nil {
				return err
			}
			var st record.State
			if err := tx.Get(store.States, name, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			ps.Default = name == def
			ps.fill(&st, s.now())
			out = append(out, ps)
		}
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, nil
	}
	return out, err
}

// Status returns one profile's status ("" = the default profile).
func (s *Service) Status(name string) (ProfileStatus, error) {
	snap, err := s.load(name)
	if err != nil {
		return ProfileStatus{}, err
	}
	ps := ProfileStatus{Profile: snap.profile}
	ps.fill(&snap.state, s.now())
	def, _ := s.DefaultProfile()
	ps.Default = def == snap.profile.Name
	return ps, nil
}

func (ps *ProfileStatus) fill(st *record.State, now time.Time) {
	use := record.K8sAccessToken
	ps.Status = record.Evaluate(ps.Profile.Policy(), st, use, now)
	ps.Expiry = st.Expiry
	ps.Obtained = st.Obtained
	ps.HasRefresh = len(st.Refresh) > 0
	ps.HasIDToken = len(st.ID) > 0
	ps.Scope = st.Scope
}

// ProfileNames lists profile names without reading any secret (shell completion).
func (s *Service) ProfileNames() ([]string, error) {
	var names []string
	err := s.Store.View(func(tx *store.Tx) error {
		names = tx.Names(store.Profiles)
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, nil
	}
	return names, err
}

// RemoveProfile deletes a profile and its token state. It does not contact
// the server: run Revoke first to invalidate tokens there.
func (s *Service) RemoveProfile(name string) error {
	err := s.Store.Update(func(tx *store.Tx) error {
		if !tx.Has(store.Profiles, name) {
			return notFound(name, tx.Names(store.Profiles))
		}
		if tx.Setting(record.SettingDefaultProfile) == name {
			if err := tx.SetSetting(record.SettingDefaultProfile, ""); err != nil {
				return err
			}
		}
		if err := tx.Delete(store.States, name); err != nil {
			return err
		}
		return tx.Delete(store.Profiles, name)
	})
	if err == nil {
		s.removeLocks(name)
		s.scrub(context.Background(), name) // no caller context: Service.Warn
	}
	return err
}

// RenameProfile renames a profile. Sealed values are bound to the profile
// name, so they are re-sealed under the new name in the same transaction.
func (s *Service) RenameProfile(ctx context.Context, oldName, newName string) error {
	if err := ValidateName(newName); err != nil {
		return err
	}
	snap, err := s.load(oldName)
	if err != nil {
		return err
	}
	var sl *seal.Sealer
	if len(snap.state.Access)+len(snap.state.Refresh)+len(snap.state.ID) > 0 ||
		(snap.profile.OAuth != nil && len(snap.profile.OAuth.ClientSecret) > 0) {
		if sl, err = s.sealerFor(ctx, &snap); err != nil {
			return err
		}
	}
	reseal := func(b []byte, field string) ([]byte, error) {
		if len(b) == 0 {
			return b, nil
		}
		plain, err := sl.Open(b, seal.AD(oldName, field))
		if err != nil {
			return nil, fmt.Errorf("could not unseal %s of profile %q: %w", field, oldName, err)
		}
		return sl.Seal(plain, seal.AD(newName, field))
	}
	err = s.updateProfiles(ctx, func(tx *store.Tx) error {
		var p Profile
		if err := tx.Get(store.Profiles, oldName, &p); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFound(oldName, tx.Names(store.Profiles))
			}
			return err
		}
		if tx.Has(store.Profiles, newName) {
			return fmt.Errorf("profile %q %w", newName, store.ErrExists)
		}
		p.Name = newName
		if p.OAuth != nil {
			var err error
			if p.OAuth.ClientSecret, err = reseal(p.OAuth.ClientSecret, "client_secret"); err != nil {
				return err
			}
		}
		var st record.State
		switch err := tx.Get(store.States, oldName, &st); {
		case err == nil:
			var err error
			if st.Access, err = reseal(st.Access, "access"); err != nil {
				return err
			}
			if st.Refresh, err = reseal(st.Refresh, "refresh"); err != nil {
				return err
			}
			if st.ID, err = reseal(st.ID, "id"); err != nil {
				return err
			}
			st.Gen++
			if err := tx.Put(store.States, newName, st); err != nil {
				return err
			}
			if err := tx.Delete(store.States, oldName); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if tx.Setting(record.SettingDefaultProfile) == oldName {
			if err := tx.SetSetting(record.SettingDefaultProfile, newName); err != nil {
				return err
			}
		}
		if err := tx.Put(store.Profiles, newName, p); err != nil {
			return err
		}
		return tx.Delete(store.Profiles, oldName)
	})
	if err == nil {
		s.removeLocks(oldName)
	}
	return err
}

// SetDefault makes name the default profile.
func (s *Service) SetDefault(name string) error {
	return s.Store.Update(func(tx *store.Tx) error {
		if !tx.Has(store.Profiles, name) {
			return notFound(name, tx.Names(store.Profiles))
		}
		return tx.SetSetting(record.SettingDefaultProfile, name)
	})
}

// ClearDefault forgets the default profile, so commands need -p,
// TOK_PROFILE or, for a person, the picker. It returns the profile that was
// the default ("" when there was none). Without a database there is
// nothing to clear and none is created.
func (s *Service) ClearDefault() (string, error) {
	prev, err := s.DefaultProfile()
	if err != nil || prev == "" {
		return prev, err
	}
	err = s.Store.Update(func(tx *store.Tx) error {
		prev = tx.Setting(record.SettingDefaultProfile)
		return tx.SetSetting(record.SettingDefaultProfile, "")
	})
	return prev, err
}

// DefaultProfile returns the default profile's name ("" when none).
func (s *Service) DefaultProfile() (string, error) {
	var name string
	err := s.Store.View(func(tx *store.Tx) error {
		name = tx.Setting(record.SettingDefaultProfile)
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		return "", nil
	}
	return name, err
}

// Settings returns the stored settings.
func (s *Service) Settings() (map[string]string, error) {
	var out map[string]string
	err := s.Store.View(func(tx *store.Tx) error {
		out = tx.Settings()
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		return map[string]string{}, nil
	}
	return out, err
}

// SetStaticToken stores token as profile name's secret, replacing any old
// one in the same transaction.
func (s *Service) SetStaticToken(ctx context.Context, name, token string, expires time.Time) error {
	if token == "" {
		return errors.New("empty token; nothing stored")
	}
	if err := record.CheckText("token", token); err != nil {
		return fmt.Errorf("%w; nothing stored for profile %q", err, name)
	}
	snap, err := s.load(name)
	if err != nil {
		return err
	}
	if snap.profile.Type != record.Static {
		return fmt.Errorf("profile %q is an %s profile; sign in with: tok login -p %s", name, snap.profile.Type, name)
	}
	sl, err := s.writeSealer(ctx)
	if err != nil {
		return err
	}
	sealed, err := sl.Seal([]byte(token), seal.AD(name, "access"))
	if err != nil {
		return err
	}
	replaced := false
	err = s.Store.Update(func(tx *store.Tx) error {
		if !tx.Has(store.Profiles, name) {
			return notFound(name, tx.Names(store.Profiles))
		}
		var old record.State
		if err := tx.Get(store.States, name, &old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		replaced = len(old.Access) > 0
		return tx.Put(store.States, name, record.State{
			Gen:      old.Gen + 1,
			Access:   sealed,
			Expiry:   expires.UTC(),
			Obtained: s.now().UTC(),
		})
	})
	if err == nil && replaced {
		s.scrub(ctx, name)
	}
	return err
}

// Forget deletes a profile's token state locally.
func (s *Service) Forget(name string) error {
	err := s.Store.Update(func(tx *store.Tx) error {
		if !tx.Has(store.Profiles, name) {
			return notFound(name, tx.Names(store.Profiles))
		}
		return tx.Delete(store.States, name)
	})
	if err == nil {
		s.scrub(context.Background(), name) // no caller context: Service.Warn
	}
	return err
}

// scrub rewrites the database without its free pages after a write that
// dropped secrets of profile name (see store.Scrub). A failure loses
// nothing but that guarantee, so it is a warning, not an error.
func (s *Service) scrub(ctx context.Context, name string) {
	if err := s.Store.Scrub(); err != nil {
		s.warn(ctx, "warning: the old secrets of profile %q may remain in the database's free space: %v", name, err)
	}
}
