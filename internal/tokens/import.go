package tokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// ImportItem is one profile for ImportProfiles.
type ImportItem struct {
	// Profile is the complete configuration, endpoints already discovered.
	Profile Profile
	// ClientSecret, when not empty, is sealed into the profile.
	ClientSecret string
	// SecretRequired makes the import fail unless the profile ends up
	// with a client secret: ClientSecret, or the one of the profile it
	// replaces when that is for the same client.
	SecretRequired bool
}

// ImportOutcome is what ImportProfiles did with one profile.
type ImportOutcome struct {
	Name string
	// Replaced: a profile of this name existed and was replaced.
	Replaced bool
	// KeptTokens: the replaced profile's tokens were kept, since the new
	// configuration gets them from the same provider, client and scopes.
	KeptTokens bool
	// DroppedTokens: the replaced profile's tokens were deleted, since
	// they came from another provider, client or scope set.
	DroppedTokens bool
	// KeptSecret: the replaced profile's client secret was kept (same
	// client, no new secret given).
	KeptSecret bool
	// Default: the profile became the default one.
	Default bool
}

// ImportConflictError lists the profiles an import without replace would
// overwrite. It wraps store.ErrExists.
type ImportConflictError struct{ Names []string }

func (e *ImportConflictError) Error() string {
	if len(e.Names) == 1 {
		return fmt.Sprintf("profile %q already exists", e.Names[0])
	}
	return fmt.Sprintf("profiles %s already exist", quoteAll(e.Names))
}

func (e *ImportConflictError) Unwrap() error { return store.ErrExists }

// MissingSecretError lists the profiles of an import that need a client
// secret none was given for.
type MissingSecretError struct{ Names []string }

func (e *MissingSecretError) Error() string {
	return fmt.Sprintf("no client secret for %s, which need one", quoteAll(e.Names))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// ImportProfiles stores profiles in one transaction: all of them or, on
// any error, none. Without replace, an existing name fails the whole
// import with an *ImportConflictError. With replace, an existing profile's
// configuration is replaced; its tokens are kept only when the new
// configuration gets them from the same place (sameTokenSource) and are
// deleted otherwise, and its client secret is kept when the client is the
// same and no new secret is given. When the database held no profile and
// no default, the first imported profile becomes the default, as with
// AddProfile.
func (s *Service) ImportProfiles(ctx context.Context, items []ImportItem, replace bool) ([]ImportOutcome, error) {
	seen := map[string]bool{}
	for i := range items {
		p := &items[i].Profile
		if err := ValidateName(p.Name); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("profile %q is listed twice; nothing was imported", p.Name)
		}
		seen[p.Name] = true
		if (items[i].ClientSecret != "" || items[i].SecretRequired) && p.OAuth == nil {
			return nil, fmt.Errorf("profile %q: a client secret only applies to oauth and federated profiles", p.Name)
		}
	}
	// Seal outside the transaction: finding the key may ask the keyring.
	sealed := make([][]byte, len(items))
	for i, it := range items {
		if it.ClientSecret == "" {
			continue
		}
		sl, err := s.writeSealer(ctx)
		if err != nil {
			return nil, err
		}
		if sealed[i], err = sl.Seal([]byte(it.ClientSecret), seal.AD(it.Profile.Name, "client_secret")); err != nil {
			return nil, err
		}
	}
	var out []ImportOutcome
	err := s.updateProfiles(ctx, func(tx *store.Tx) error {
		out = make([]ImportOutcome, 0, len(items))
		var conflicts, missing []string
		for _, it := range items {
			if tx.Has(store.Profiles, it.Profile.Name) {
				conflicts = append(conflicts, it.Profile.Name)
			}
		}
		if len(conflicts) > 0 && !replace {
			return &ImportConflictError{Names: conflicts}
		}
		firstEver := len(tx.Names(store.Profiles)) == 0 && tx.Setting(record.SettingDefaultProfile) == ""
		for i, it := range items {
			p := it.Profile
			if p.OAuth != nil {
				c := *p.OAuth
				c.ClientSecret = sealed[i]
				p.OAuth = &c
			}
			o := ImportOutcome{Name: p.Name}
			var old Profile
			switch err := tx.Get(store.Profiles, p.Name, &old); {
			case err == nil:
				o.Replaced = true
				if err := s.replaceProfile(tx, &old, &p, &o); err != nil {
					return err
				}
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			if p.Created.IsZero() {
				p.Created = s.now().UTC()
			}
			if it.SecretRequired && len(p.OAuth.ClientSecret) == 0 {
				missing = append(missing, p.Name)
			}
			if firstEver && i == 0 {
				if err := tx.SetSetting(record.SettingDefaultProfile, p.Name); err != nil {
					return err
				}
				o.Default = true
			}
			if err := tx.Put(store.Profiles, p.Name, p); err != nil {
				return err
			}
			out = append(out, o)
		}
		if len(missing) > 0 {
			return &MissingSecretError{Names: missing}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// replaceProfile carries over from old to p what still belongs to it (its
// creation time, its client secret, its tokens) and deletes the tokens
// that do not.
func (s *Service) replaceProfile(tx *store.Tx, old, p *Profile, o *ImportOutcome) error {
	p.Created = old.Created
	if p.OAuth != nil && len(p.OAuth.ClientSecret) == 0 && old.OAuth != nil && len(old.OAuth.ClientSecret) > 0 && sameClient(old, p) {
		p.OAuth.ClientSecret = old.OAuth.ClientSecret
		o.KeptSecret = true
	}
	if !tx.Has(store.States, p.Name) {
		return nil
	}
	if sameTokenSource(old, p) {
		o.KeptTokens = true
		return nil
	}
	o.DroppedTokens = true
	return tx.Delete(store.States, p.Name)
}

// sameClient reports whether two profiles are the same client at the same
// provider, so a client secret of one is the other's. A token endpoint
// counts only when both know theirs (one may not be discovered yet).
func sameClient(a, b *Profile) bool {
	if a.Type != b.Type || a.OAuth == nil || b.OAuth == nil {
		return false
	}
	x, y := a.OAuth, b.OAuth
	if x.Issuer != y.Issuer || x.ClientID != y.ClientID {
		return false
	}
	return x.Endpoints.TokenURL == "" || y.Endpoints.TokenURL == "" || x.Endpoints.TokenURL == y.Endpoints.TokenURL
}

// sameTokenSource reports whether tokens obtained for a are valid for b:
// the same client at the same provider, asking for the same scopes,
// audience and resources as the same user or workload. Static tokens
// belong to the name alone. Settings that do not change what a token is
// (flow, margins, env names, description) do not matter.
func sameTokenSource(a, b *Profile) bool {
	if a.Type == record.Static || b.Type == record.Static {
		return a.Type == b.Type
	}
	if !sameClient(a, b) {
		return false
	}
	x, y := a.OAuth, b.OAuth
	if !slices.Equal(x.Scopes, y.Scopes) || x.Audience != y.Audience || !slices.Equal(x.Resources, y.Resources) || x.Username != y.Username {
		return false
	}
	switch {
	case a.Federation == nil || b.Federation == nil:
		return a.Federation == b.Federation
	default:
		return *a.Federation == *b.Federation
	}
}
