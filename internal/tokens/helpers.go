package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// What the git and docker credential helpers do with the store. The
// protocols live in internal/gitcred and internal/dockercred; which
// profile answers which remote is record.FindRemote.

// FindRemote returns the profile that answers a credential helper's query
// (ok=false when none does).
func (s *Service) FindRemote(q record.Query) (record.Match, bool, error) {
	var (
		m  record.Match
		ok bool
	)
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		m, ok, err = record.FindRemote(tx, q)
		return err
	})
	if errors.Is(err, store.ErrNoDatabase) {
		return record.Match{}, false, nil
	}
	return m, ok, err
}

// HelperSecret is a username and password a person typed into git or
// `docker login`, which a helper's `store` hands to tok.
type HelperSecret struct {
	// StoredBy is record.StoredByGit or record.StoredByDocker.
	StoredBy string
	// Host names the profile; GitURL or Registry says what it serves.
	Host     string
	GitURL   string
	Registry string
	Username string
	Secret   string
	Expiry   time.Time
}

// StoreResult says what StoreHelperSecret did.
type StoreResult struct {
	Profile string
	// Stored is false when another profile serves the remote (an OAuth
	// profile, or one the person made) and nothing changed.
	Stored bool
	// Unchanged is true when the profile already held this secret.
	Unchanged bool
}

// StoreHelperSecret keeps a password from git or docker as a static
// profile, sealed, named after the host. A remote that a profile tok did
// not create through a helper already serves is left alone: the OAuth
// profile (or the person's own static profile) stays the answer.
func (s *Service) StoreHelperSecret(ctx context.Context, h HelperSecret, existing *record.Match) (StoreResult, error) {
	if h.Secret == "" {
		return StoreResult{}, errors.New("empty secret; nothing stored")
	}
	if existing != nil && existing.Remotes.StoredBy != h.StoredBy {
		return StoreResult{Profile: existing.Profile}, nil
	}
	if existing != nil && h.Username != "" && storedUsername(&existing.Remotes) != h.Username {
		existing = nil // another account on the same host: a profile of its own
	}
	var name string
	if existing != nil {
		name = existing.Profile
	} else {
		var err error
		if name, err = s.freeHelperName(h); err != nil {
			return StoreResult{}, err
		}
	}
	sl, err := s.writeSealer(ctx)
	if err != nil {
		return StoreResult{}, err
	}
	if existing != nil {
		snap, err := s.load(name)
		if err != nil {
			return StoreResult{}, err
		}
		if snap.state.HasToken() && snap.state.Expiry.Equal(h.Expiry.UTC()) && storedUsername(snap.profile.Remotes) == h.Username {
			if old, err := sl.Open(snap.state.Access, seal.AD(name, "access")); err == nil && string(old) == h.Secret {
				return StoreResult{Profile: name, Stored: true, Unchanged: true}, nil
			}
		}
	}
	sealed, err := sl.Seal([]byte(h.Secret), seal.AD(name, "access"))
	if err != nil {
		return StoreResult{}, err
	}
	now := s.now().UTC()
	err = s.updateProfiles(ctx, func(tx *store.Tx) error {
		var p Profile
		switch err := tx.Get(store.Profiles, name, &p); {
		case errors.Is(err, store.ErrNotFound):
			p = Profile{Profile: record.Profile{Name: name, Type: record.Static}, Created: now, Description: "stored by " + h.StoredBy + " (" + h.Host + ")"}
		case err != nil:
			return err
		case p.Remotes == nil || p.Remotes.StoredBy != h.StoredBy:
			return fmt.Errorf("profile %q %w and was not stored by %s; nothing stored", name, store.ErrExists, h.StoredBy)
		}
		r := &record.Remotes{StoredBy: h.StoredBy}
		if h.GitURL != "" {
			r.Git, r.GitUsername = []string{h.GitURL}, h.Username
		}
		if h.Registry != "" {
			r.Registries, r.RegistryUsername = []string{h.Registry}, h.Username
		}
		p.Remotes = r
		var old record.State
		if err := tx.Get(store.States, name, &old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.Put(store.Profiles, name, p); err != nil {
			return err
		}
		return tx.Put(store.States, name, record.State{Gen: old.Gen + 1, Access: sealed, Expiry: h.Expiry.UTC(), Obtained: now})
	})
	if err != nil {
		return StoreResult{}, err
	}
	return StoreResult{Profile: name, Stored: true}, nil
}

// storedUsername is the username a helper's store saved in r.
func storedUsername(r *record.Remotes) string {
	switch {
	case r == nil:
		return ""
	case r.StoredBy == record.StoredByDocker:
		return r.RegistryUsername
	}
	return r.GitUsername
}

// freeHelperName is the name of a new helper profile: the host (":" as
// "-"), else host-username, else host-git / host-docker.
func (s *Service) freeHelperName(h HelperSecret) (string, error) {
	base := helperName(h.Host)
	tries := []string{base}
	if h.Username != "" {
		tries = append(tries, base+"-"+helperName(h.Username))
	}
	tries = append(tries, base+"-"+h.StoredBy)
	var free string
	err := s.Store.View(func(tx *store.Tx) error {
		for _, n := range tries {
			if ValidateName(n) == nil && !tx.Has(store.Profiles, n) {
				free = n
				return nil
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNoDatabase) {
		err = nil
		free = tries[0]
	}
	if err != nil {
		return "", err
	}
	if free == "" || ValidateName(free) != nil {
		return "", fmt.Errorf("no free profile name for %s (tried %s); nothing stored", h.Host, strings.Join(tries, ", "))
	}
	return free, nil
}

// helperName turns a host or username into profile-name characters.
func helperName(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && c != '.' && c != '_' && c != '-' {
			b[i] = '-'
		}
	}
	out := strings.Trim(string(b), ".-_")
	if len(out) > 48 {
		out = out[:48]
	}
	return out
}

// RejectResult says what Reject did.
type RejectResult string

// Outcomes of Reject.
const (
	// RejectExpired: the access token is marked expired, so the next
	// request refreshes (or asks for a login); the grant stays.
	RejectExpired RejectResult = "expired"
	// RejectRemoved: a profile a helper's store created was removed.
	RejectRemoved RejectResult = "removed"
	// RejectIgnored: the rejected secret is not the profile's current
	// one (it was refreshed meanwhile), or the profile is the person's own.
	RejectIgnored RejectResult = "ignored"
)

// Reject handles a credential the server refused (git's and docker's
// `erase`). secret is the rejected token ("" = whatever is current). An
// OAuth or federated profile keeps its grant and only stops using the
// access token; a static profile that storedBy's `store` created is
// removed. A secret that is no longer the current one changes nothing,
// so a late erase cannot throw away a token another process just
// refreshed.
func (s *Service) Reject(ctx context.Context, name, secret, storedBy string) (RejectResult, error) {
	snap, err := s.load(name)
	if err != nil {
		return "", err
	}
	p := snap.profile
	renewable := p.Type == record.OAuth || p.Type == record.Federated
	ownStatic := p.Type == record.Static && p.Remotes != nil && p.Remotes.StoredBy == storedBy
	if !renewable && !ownStatic {
		return RejectIgnored, nil
	}
	if renewable {
		unlock, err := s.lock(ctx, name, "refresh", true)
		if err != nil {
			return "", err
		}
		defer unlock()
		if snap, err = s.load(name); err != nil {
			return "", err
		}
	}
	if !snap.state.HasToken() {
		if ownStatic {
			return RejectRemoved, s.RemoveProfile(name)
		}
		return RejectIgnored, nil
	}
	if secret != "" {
		sl, err := s.sealerFor(ctx, &snap)
		if err != nil {
			return "", err
		}
		cur, err := sl.Open(snap.state.Access, seal.AD(name, "access"))
		if err != nil {
			return "", fmt.Errorf("could not unseal the access token of profile %q: %w", name, err)
		}
		if string(cur) != secret {
			return RejectIgnored, nil
		}
	}
	if ownStatic {
		return RejectRemoved, s.RemoveProfile(name)
	}
	gen := snap.state.Gen
	expired := s.now().UTC().Add(-time.Second)
	err = s.Store.Update(func(tx *store.Tx) error {
		var st record.State
		if err := tx.Get(store.States, name, &st); err != nil {
			return err
		}
		if st.Gen != gen {
			return nil // replaced meanwhile: the new token was not rejected
		}
		st.Gen++
		st.Expiry = expired
		return tx.Put(store.States, name, st)
	})
	if err != nil {
		return "", err
	}
	return RejectExpired, nil
}
