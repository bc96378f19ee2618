package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// stateFrom builds the sealed-later state of a token response. prev's
// refresh token is kept when the server did not rotate it.
func (s *Service) stateFrom(tok oauth.Token, prev record.State, now time.Time) pendingState {
	return pendingState{tok: tok, prevRefresh: prev.Refresh, prevID: prev.ID, prevIDExpiry: prev.IDExpiry, identity: prev.Identity, now: now}
}

type pendingState struct {
	tok          oauth.Token
	prevRefresh  []byte
	prevID       []byte
	prevIDExpiry time.Time
	// identity is who signed in at the login; a refresh keeps it.
	identity []byte
	now      time.Time
	// exact keeps tok.Expiry as it is: it was set on the real clock by
	// another member (shared cache), not computed here by x/oauth2.
	exact bool
}

// commit seals next and writes it if the stored state is still the one
// cur read (compare-and-swap on Gen). If a login replaced it meanwhile,
// the newer state wins and is returned instead.
func (s *Service) commit(ctx context.Context, cur snapshot, next pendingState, use record.K8sToken) (record.Credential, error) {
	name := cur.profile.Name
	st, err := s.seal(ctx, name, next)
	if err != nil {
		return record.Credential{}, err
	}
	st.Gen = cur.state.Gen + 1
	conflict := false
	err = s.Store.Update(func(tx *store.Tx) error {
		var stored record.State
		if err := tx.Get(store.States, name, &stored); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if stored.Gen != cur.state.Gen {
			conflict = true
			return nil
		}
		return tx.Put(store.States, name, st)
	})
	if err != nil {
		return record.Credential{}, fmt.Errorf("could not save the new token of profile %q: %w", name, err)
	}
	if !conflict && len(cur.state.Refresh) > 0 && next.tok.RefreshToken != "" {
		// The refresh token rotated (or was re-issued): the old one must
		// not live on in a free page.
		s.scrub(ctx, name)
	}
	if conflict {
		latest, err := s.load(name)
		if err != nil {
			return record.Credential{}, err
		}
		return s.credential(ctx, latest, use)
	}
	cur.state = st
	cur.hasState = true
	return s.credential(ctx, cur, use)
}

func (s *Service) seal(ctx context.Context, name string, next pendingState) (record.State, error) {
	if err := checkProviderTokens(next.tok); err != nil {
		return record.State{}, fmt.Errorf("the provider of profile %q answered with %w; nothing was stored", name, err)
	}
	sl, err := s.writeSealer(ctx)
	if err != nil {
		return record.State{}, err
	}
	expiry := s.onClock(next.tok.Expiry, next.now)
	if next.exact {
		expiry = next.tok.Expiry.UTC()
	}
	st := record.State{
		TokenType: next.tok.TokenType,
		Expiry:    expiry,
		Obtained:  next.now.UTC(),
		Scope:     next.tok.Scope,
		Refresh:   next.prevRefresh,
		ID:        next.prevID,
		IDExpiry:  next.prevIDExpiry,
		Identity:  next.identity,
	}
	if st.Access, err = sl.Seal([]byte(next.tok.AccessToken), seal.AD(name, "access")); err != nil {
		return record.State{}, err
	}
	if next.tok.RefreshToken != "" {
		if st.Refresh, err = sl.Seal([]byte(next.tok.RefreshToken), seal.AD(name, "refresh")); err != nil {
			return record.State{}, err
		}
	}
	if next.tok.IDToken != "" {
		if st.ID, err = sl.Seal([]byte(next.tok.IDToken), seal.AD(name, "id")); err != nil {
			return record.State{}, err
		}
		st.IDExpiry = next.tok.IDTokenExpiry.UTC()
	}
	return st, nil
}

// checkProviderTokens refuses a token response tok could not hand on
// safely: a bearer access token outside RFC 6750's characters (it goes
// into Authorization headers as it is), a token type that is not a header
// token, and control characters or binary data in any token.
func checkProviderTokens(t oauth.Token) error {
	if t.TokenType != "" && !record.IsTokenType(t.TokenType) {
		return fmt.Errorf("%w: the token type is not a single word", record.ErrBadToken)
	}
	for _, tok := range []struct{ what, value string }{
		{"access token", t.AccessToken}, {"refresh token", t.RefreshToken}, {"ID token", t.IDToken},
	} {
		if err := record.CheckText(tok.what, tok.value); err != nil {
			return err
		}
	}
	if bearer := t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer"); bearer && !record.IsB64Token(t.AccessToken) {
		return fmt.Errorf("%w: the bearer access token holds characters RFC 6750 does not allow", record.ErrBadToken)
	}
	return nil
}

// onClock re-bases an expiry that x/oauth2 computed as time.Now() +
// expires_in onto the Service's clock, so an injected clock sees lifetimes
// as the server meant them. With the real clock it changes nothing.
func (s *Service) onClock(exp, now time.Time) time.Time {
	if exp.IsZero() {
		return exp
	}
	return now.Add(time.Until(exp)).UTC().Round(time.Second)
}
