package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/when"
)

// Refresh forces a refresh of profile name now, even if its token is fresh.
func (s *Service) Refresh(ctx context.Context, name string) (record.Credential, error) {
	snap, err := s.load(name)
	if err != nil {
		return record.Credential{}, err
	}
	if snap.profile.Type != record.OAuth && snap.profile.Type != record.Federated {
		return record.Credential{}, fmt.Errorf("profile %q is a static profile and cannot be refreshed; store a new token with: tok login -p %s", snap.profile.Name, snap.profile.Name)
	}
	return s.refresh(ctx, snap, record.K8sAccessToken, true)
}

// refresh renews the token of snap under the profile's refresh lock. With
// force unset, a caller that finds the state already renewed by another
// process while it waited for the lock returns that instead: N concurrent
// callers cause one request.
func (s *Service) refresh(ctx context.Context, snap snapshot, use record.K8sToken, force bool) (record.Credential, error) {
	name := snap.profile.Name
	unlock, err := s.lock(ctx, name, "refresh", true)
	if err != nil {
		return record.Credential{}, err
	}
	defer unlock()

	cur, err := s.load(name)
	if err != nil {
		return record.Credential{}, err
	}
	now := s.now()
	// Another process wrote a new state while we waited for the lock (a
	// refresh or a login): its token is as new as ours would be, so take it
	// even if it is already inside its margin. Asking again would make N
	// waiters N requests, and rotate the refresh token N times.
	renewed := cur.state.Gen != snap.state.Gen
	switch st := record.Evaluate(cur.profile.Policy(), &cur.state, use, now); {
	case st == record.StatusValid && (!force || renewed), st == record.StatusStale && renewed:
		s.log().Debug("token renewed by another process", "profile", name)
		return s.credential(ctx, cur, use)
	}
	if record.GrantDead(cur.profile.Policy(), &cur.state) {
		return record.Credential{}, refusedGrant(&cur)
	}
	if cur.profile.Shared != nil {
		return s.refreshShared(ctx, cur, use, force)
	}
	return s.renewLocked(ctx, cur, use, now, force)
}

// renewLocked gets a new token for cur from the provider and stores it
// locally; the caller holds the profile's refresh lock.
func (s *Service) renewLocked(ctx context.Context, cur snapshot, use record.K8sToken, now time.Time, force bool) (record.Credential, error) {
	name := cur.profile.Name
	cfg, err := s.oauthConfig(ctx, cur)
	if err != nil {
		return record.Credential{}, err
	}
	if cur.profile.Type == record.Federated {
		return s.federate(ctx, cur, cfg, use, now, force)
	}
	var refreshToken string
	if len(cur.state.Refresh) > 0 {
		sl, err := s.sealerFor(ctx, &cur)
		if err != nil {
			return record.Credential{}, err
		}
		rt, err := sl.Open(cur.state.Refresh, seal.AD(name, "refresh"))
		if err != nil {
			return record.Credential{}, fmt.Errorf("could not unseal the refresh token of profile %q: %w", name, err)
		}
		refreshToken = string(rt)
	}

	var tok oauth.Token
	switch {
	case refreshToken != "":
		s.log().Debug("refreshing", "profile", name, "token_url", cfg.TokenURL)
		tok, err = oauth.Refresh(ctx, cfg, refreshToken)
	case cur.profile.OAuth.Flow == record.FlowClientCredentials:
		s.log().Debug("client credentials grant", "profile", name, "token_url", cfg.TokenURL)
		tok, err = oauth.ClientCredentials(ctx, cfg)
	case !cur.state.HasToken():
		return record.Credential{}, loginRequired(name, fmt.Sprintf("profile %q has no token yet", name))
	default:
		return record.Credential{}, loginRequired(name, fmt.Sprintf("the token of profile %q cannot be refreshed: the provider gave no refresh token", name))
	}
	if err != nil {
		return s.refreshFailed(ctx, cur, use, err, refreshToken != "", !force)
	}
	if tok.IDTokenRejected != nil {
		s.warn(ctx, "warning: the ID token the provider returned for profile %q failed verification and was not stored: %v", name, tok.IDTokenRejected)
	}
	s.rememberClientAuth(&cur.profile, tok.ClientAuth)
	next := s.stateFrom(tok, cur.state, now)
	cred, err := s.commit(ctx, cur, next, use)
	if err != nil {
		return record.Credential{}, err
	}
	if use == record.K8sIDToken && tok.IDToken == "" && !cred.Expiry.After(s.now()) {
		return record.Credential{}, loginRequired(name, fmt.Sprintf("the provider of profile %q returned no new ID token on refresh", name))
	}
	return cred, nil
}

// refreshFailed decides what a failed refresh means for the caller.
// withRefresh says the request presented the stored refresh token. When
// lenient (a token is wanted, not a refresh), a provider that cannot answer
// now costs one warning and the current token while it is valid; a forced
// refresh (tok refresh) fails instead, since it did not happen.
func (s *Service) refreshFailed(ctx context.Context, cur snapshot, use record.K8sToken, cause error, withRefresh, lenient bool) (record.Credential, error) {
	name := cur.profile.Name
	if oauth.IsInvalidGrant(cause) {
		// A login may have replaced the state while the request was in
		// flight; then the newer state is the answer.
		if latest, err := s.load(name); err == nil && latest.state.Gen != cur.state.Gen &&
			record.Evaluate(latest.profile.Policy(), &latest.state, use, s.now()) == record.StatusValid {
			return s.credential(ctx, latest, use)
		}
		if withRefresh {
			// Record the dead grant so that later calls fail at once
			// without sending the refresh token again, and tok status
			// says "login required".
			if err := s.recordRefusal(cur, cause); err != nil {
				s.log().Debug("could not record the refused refresh", "profile", name, "err", err)
			}
		}
		why := oauth.ErrorCode(cause) + ": its refresh token expired or was revoked"
		if hint := providerHint(cause); hint != "" {
			why = hint
		}
		return record.Credential{}, &Failure{Kind: ErrLoginRequired, Cause: cause,
			Msg: fmt.Sprintf("login required: the provider refused to refresh profile %q (%s); run: tok login -p %s", name, why, name)}
	}
	exp := cur.state.ExpiryFor(use)
	usable := cur.state.HasToken() && (exp.IsZero() || s.now().Before(exp))
	if lenient && usable {
		s.warn(ctx, "warning: could not refresh profile %q (%s); using the current token, valid until %s", name, oauth.Reason(cause), when.Format(exp, s.now()))
		return s.credential(ctx, cur, use)
	}
	return record.Credential{}, refreshError(name, cause, usable, exp, s.now())
}

// refreshError says that the refresh of profile name did not happen, why
// in plain words, what became of the current token, and what to run next.
func refreshError(name string, cause error, usable bool, exp, now time.Time) error {
	kept := "it has no usable token now"
	switch {
	case usable && exp.IsZero():
		kept = "its current token is unchanged"
	case usable:
		kept = "its current token is unchanged, valid until " + when.Format(exp, now)
	}
	next := "try again later: tok refresh " + name
	if !oauth.IsTransient(cause) {
		next = "check the profile with: tok profile show " + name
	}
	reason := oauth.Reason(cause)
	if hint := providerHint(cause); hint != "" {
		reason += "; " + hint
	}
	return &Failure{Cause: cause, Msg: fmt.Sprintf("could not refresh profile %q (%s); %s. Next, %s", name, reason, kept, next)}
}

// providerHint says what a provider's error means, for error codes tok
// knows (Microsoft Entra ID's AADSTS codes, see providers.Explain); ""
// otherwise.
func providerHint(err error) string {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return providers.Explain(oe.Description)
	}
	return ""
}

// explained adds providerHint to err.
func explained(err error) error {
	if hint := providerHint(err); hint != "" {
		return fmt.Errorf("%w; %s", err, hint)
	}
	return err
}

// recordRefusal marks cur's grant dead: the refresh token is dropped and
// the time and reason are kept, with everything else (the access and ID
// tokens, for inspection and revocation, their expiry and scope). The
// write is a compare-and-swap on Gen: if a login replaced the state
// meanwhile, the new state stays as it is.
func (s *Service) recordRefusal(cur snapshot, cause error) error {
	name := cur.profile.Name
	next := cur.state
	next.Gen = cur.state.Gen + 1
	next.Refresh = nil
	next.RefreshRefused = s.now().UTC()
	next.RefusalReason = oauth.ErrorCode(cause) // the code alone: the description can be long
	return s.Store.Update(func(tx *store.Tx) error {
		var stored record.State
		if err := tx.Get(store.States, name, &stored); err != nil {
			return err
		}
		if stored.Gen != cur.state.Gen {
			return nil
		}
		return tx.Put(store.States, name, next)
	})
}
