package tokens

import (
	"context"
	"fmt"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
)

// RevokeOutcome says what Revoke did, so the caller reports only that.
type RevokeOutcome struct {
	// HadTokens: the profile held tokens (now forgotten locally).
	HadTokens bool
	// AtProvider: the tokens were revoked at the provider (RFC 7009).
	AtProvider bool
}

// Revoke revokes profile name's tokens at the provider (unless local) and
// then forgets them. A static or federated profile's tokens cannot be
// revoked by tok; they are only forgotten. A profile without tokens is
// left as it is.
func (s *Service) Revoke(ctx context.Context, name string, local bool) (RevokeOutcome, error) {
	snap, err := s.load(name)
	if err != nil {
		return RevokeOutcome{}, err
	}
	name = snap.profile.Name
	if !snap.state.HasToken() && len(snap.state.Refresh) == 0 {
		return RevokeOutcome{}, nil
	}
	out := RevokeOutcome{HadTokens: true}
	if snap.profile.Type == record.OAuth && !local {
		unlock, err := s.lock(ctx, name, "refresh", true)
		if err != nil {
			return RevokeOutcome{}, err
		}
		defer unlock()
		if snap, err = s.load(name); err != nil {
			return RevokeOutcome{}, err
		}
		if snap.profile.OAuth.Endpoints.RevocationURL == "" {
			return RevokeOutcome{}, fmt.Errorf("the provider of profile %q has no revocation endpoint; tokens stay valid there until they expire. To forget them here, run: tok revoke -p %s --local", name, name)
		}
		cfg, err := s.oauthConfig(ctx, snap)
		if err != nil {
			return RevokeOutcome{}, err
		}
		sl, err := s.sealerFor(ctx, &snap)
		if err != nil {
			return RevokeOutcome{}, err
		}
		// Revoke the refresh token first: for most servers that ends the
		// whole grant, access tokens included.
		for _, t := range []struct {
			sealed []byte
			field  string
			hint   string
		}{{snap.state.Refresh, "refresh", "refresh_token"}, {snap.state.Access, "access", "access_token"}} {
			if len(t.sealed) == 0 {
				continue
			}
			plain, err := sl.Open(t.sealed, seal.AD(name, t.field))
			if err != nil {
				return RevokeOutcome{}, fmt.Errorf("could not unseal the %s token of profile %q: %w", t.field, name, err)
			}
			if err := oauth.Revoke(ctx, cfg, string(plain), t.hint); err != nil {
				return RevokeOutcome{}, &Failure{Cause: err, Msg: fmt.Sprintf("could not revoke the %s token of profile %q at the provider (%s); the tokens are kept here. Try again, or forget them anyway with: tok revoke -p %s --local", t.field, name, oauth.Reason(err), name)}
			}
		}
		out.AtProvider = true
		if snap.profile.Shared != nil {
			s.forgetShared(ctx, &snap.profile)
		}
	}
	return out, s.Forget(name)
}
