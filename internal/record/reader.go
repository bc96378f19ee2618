package record

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// Setting names stored in the database.
const (
	SettingDefaultProfile = "default-profile"
	SettingKeySource      = "key-source"
)

// Keys fetches data keys; keysource.Resolver implements it.
type Keys interface {
	Get(ctx context.Context, src keysource.Source, keyID string) (seal.Key, error)
}

// stored is a profile record as the read path decodes it: Profile and
// the OAuth settings, the very types tokens.Profile is made of (it embeds
// Profile, and its OAuthConfig embeds OAuthSettings), so both binaries
// read the same fields and derive the policy alike (PolicyOf). Decoding
// only these keeps the hot path short. TestLookupAgreesWithService checks
// that Lookup and tokens.Service decide alike on records tokens wrote.
type stored struct {
	Profile
	OAuth *OAuthSettings `json:"oauth,omitempty"`
}

// Reader hands out cached tokens. It never writes, refreshes or prompts.
type Reader struct {
	Store *store.Store
	Keys  Keys
	// KeySource, when set (TOK_KEY_SOURCE), overrides the stored setting.
	KeySource string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Options tune Lookup and tokens.Service.Token alike.
type Options struct {
	// Use picks the access token (default) or the ID token.
	Use K8sToken
	// Kubernetes picks the token the profile gives kubectl (its k8s-token
	// setting) when Use is empty.
	Kubernetes bool
	// AllowExpired hands out an expired static token.
	AllowExpired bool
}

// Token is the token to hand out for a profile whose kubectl setting is
// k8sChoice ("" = not set): Use when given, else k8sChoice for Kubernetes,
// else the access token.
func (o Options) Token(k8sChoice K8sToken) K8sToken {
	switch {
	case o.Use != "":
		return o.Use
	case o.Kubernetes && k8sChoice != "":
		return k8sChoice
	}
	return K8sAccessToken
}

// Result is what Lookup found.
type Result struct {
	// Served reports whether Credential holds a token to hand out as it is.
	Served bool
	// Status is the profile's token status for the chosen token.
	Status Status
	// Credential always names the profile and carries its margin and env
	// names; Token, TokenType and Expiry are set only when Served.
	Credential Credential
}

// Lookup returns the cached token of profile name ("" = the default
// profile) when it can be handed out without a refresh, a login or a
// person, exactly as tokens.Service.Token would hand it out. Otherwise
// Served is false and the caller takes the full path, which also explains
// any error. It reads the database once, under a shared lock.
func (r *Reader) Lookup(ctx context.Context, name string, opts Options) (Result, error) {
	return r.lookup(ctx, func(*store.Tx) (string, error) { return name, nil }, opts)
}

// lookup is Lookup of the profile resolve names within the read
// transaction; resolve returning "" means the default profile.
func (r *Reader) lookup(ctx context.Context, resolve func(*store.Tx) (string, error), opts Options) (Result, error) {
	var (
		view     stored
		state    State
		meta     store.Meta
		srcName  string
		resolved string
		record   []byte
		mac      []byte
	)
	err := r.Store.View(func(tx *store.Tx) error {
		var err error
		if resolved, err = resolve(tx); err != nil {
			return err
		}
		if resolved == "" {
			if resolved = tx.Setting(SettingDefaultProfile); resolved == "" {
				return errors.New("no default profile")
			}
		}
		if err := tx.Get(store.Profiles, resolved, &view); err != nil {
			return err
		}
		record, mac = tx.ProfileRecord(resolved)
		if err := tx.Get(store.States, resolved, &state); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		meta, srcName = tx.Meta(), tx.Setting(SettingKeySource)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	pol := PolicyOf(view.Type, view.OAuth)
	use := TokenFor(view.OAuth, opts)
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	res := Result{
		Status:     Evaluate(pol, &state, use, now()),
		Credential: Credential{Profile: view.Name, Env: view.Env, Margin: pol.MarginFor(&state, use)},
	}
	if !Servable(pol, res.Status, opts) {
		return res, nil
	}
	src, err := SourceOf(r.KeySource, srcName)
	if err != nil {
		return res, err
	}
	// No key check here: AES-GCM authenticates the token itself, and on
	// any failure the caller hands over to tok-full, which opens the key
	// check to tell a wrong key from damaged data. That saves the hot path
	// one open.
	key, err := r.Keys.Get(ctx, src, meta.KeyID)
	if err != nil {
		return res, fmt.Errorf("could not get the data key (key source %s): %w", src, err)
	}
	sl, err := seal.New(key)
	if err != nil {
		return res, err
	}
	token, err := Unseal(sl, view.Name, use, &state)
	if err != nil {
		return res, err
	}
	// A record without a valid MAC is never served from here: the full
	// path explains a tampered record, or migrates a database written
	// before records had MACs.
	if ok, _ := ProfileAuth(key, true).CheckMAC(resolved, record, mac); !ok {
		return res, nil
	}
	res.Served = true
	res.Credential.Token = token
	res.Credential.TokenType = state.TokenType
	res.Credential.Expiry = state.ExpiryFor(use)
	return res, nil
}

// SourceOf is the key source in effect: override (TOK_KEY_SOURCE) when
// set, else the one stored in the database.
func SourceOf(override, stored string) (keysource.Source, error) {
	if override != "" {
		src, err := keysource.Parse(override)
		if err != nil {
			return "", fmt.Errorf("TOK_KEY_SOURCE: %w", err)
		}
		return src, nil
	}
	return keysource.Parse(stored)
}

// Unseal opens the chosen token of profile's state.
func Unseal(sl *seal.Sealer, profile string, use K8sToken, s *State) (string, error) {
	field, sealed := "access", s.Access
	if use == K8sIDToken {
		field, sealed = "id", s.ID
	}
	plain, err := sl.Open(sealed, seal.AD(profile, field))
	if err != nil {
		return "", fmt.Errorf("could not unseal the %s token of profile %q: %w", field, profile, err)
	}
	return string(plain), nil
}
