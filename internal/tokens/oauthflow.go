package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/privfile"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/when"
)

// ErrBusy means another process holds a profile's lock for longer than
// tok was willing to wait.
var ErrBusy = errors.New("profile is busy")

// lock takes the per-profile lock file kind ("refresh" or "login") beside
// the database. The lock file is separate from the database so that readers
// on the hot path never wait for a refresh in flight.
func (s *Service) lock(ctx context.Context, name, kind string, wait bool) (func(), error) {
	if s.Store.Ephemeral() {
		// One process owns an in-memory store: a mutex is enough.
		if wait {
			s.memLock.Lock()
		} else if !s.memLock.TryLock() {
			return nil, fmt.Errorf("%w: a %s for profile %q is already running", ErrBusy, kind, name)
		}
		return s.memLock.Unlock, nil
	}
	dir := filepath.Join(s.Store.Dir, "locks")
	if err := privfile.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("could not use lock directory: %w", err)
	}
	// O_NOFOLLOW: a symlink planted as a lock file must not make tok
	// create a file where its planter chose.
	path := filepath.Join(dir, name+"."+kind)
	if err := privfile.CheckNotSymlink(path); err != nil {
		return nil, fmt.Errorf("could not lock profile %q for %s: %w", name, kind, err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(privfile.NoFollow(os.O_CREATE|os.O_RDONLY)))
	var ok bool
	var err error
	if wait {
		lctx, cancel := context.WithTimeout(ctx, s.lockTimeout())
		defer cancel()
		ok, err = fl.TryLockContext(lctx, 10*time.Millisecond)
	} else {
		ok, err = fl.TryLock()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("could not lock profile %q for %s: %w", name, kind, err)
	}
	if !ok {
		if !wait {
			return nil, fmt.Errorf("%w: another tok is running a %s for profile %q; wait for it or run: tok %s -p %s", ErrBusy, kind, name, kind, name)
		}
		return nil, fmt.Errorf("%w: another tok held the %s lock of profile %q for over %s; retry, or set TOK_LOCK_TIMEOUT", ErrBusy, kind, name, s.lockTimeout())
	}
	return func() { _ = fl.Unlock() }, nil
}

func (s *Service) httpClient(p *Profile) (*http.Client, error) {
	timeout := s.HTTPTimeout
	if timeout <= 0 {
		timeout = oauth.DefaultTimeout
	}
	return oauth.NewHTTPClient(p.OAuth.CAFile, timeout)
}

// lockKinds are the locks a profile may have in locks/.
var lockKinds = []string{"login", "refresh"}

// removeLocks deletes the lock files of a profile that no longer exists
// (removed, or renamed away), so locks/ does not collect them. A process
// still holding one fails anyway: its profile is gone.
func (s *Service) removeLocks(name string) {
	if s.Store.Dir == "" {
		return
	}
	for _, kind := range lockKinds {
		path := filepath.Join(s.Store.Dir, "locks", name+"."+kind)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log().Debug("could not remove a lock file", "path", path, "err", err)
		}
	}
}

// oauthConfig builds the protocol configuration of an OAuth profile.
func (s *Service) oauthConfig(ctx context.Context, snap snapshot) (oauth.Config, error) {
	p := &snap.profile
	if p.Type != record.OAuth && p.Type != record.Federated || p.OAuth == nil {
		return oauth.Config{}, fmt.Errorf("profile %q is a %s profile, not oauth", p.Name, p.Type)
	}
	// Every request to the provider follows the record's endpoints: check
	// the record first, even for a public client with no secret to send.
	if len(snap.meta.KeyCheck) > 0 {
		if _, err := s.sealerFor(ctx, &snap); err != nil {
			return oauth.Config{}, err
		}
	}
	hc, err := s.httpClient(p)
	if err != nil {
		return oauth.Config{}, err
	}
	cfg := oauth.Config{
		Endpoints:    p.OAuth.Endpoints,
		ClientID:     p.OAuth.ClientID,
		Scopes:       p.OAuth.Scopes,
		Audience:     p.OAuth.Audience,
		Resources:    p.OAuth.Resources,
		AuthParams:   p.OAuth.AuthParams,
		RedirectPort: p.OAuth.RedirectPort,
		HTTPClient:   hc,
		ClientAuth:   p.OAuth.ClientAuth,
	}
	if cfg.ClientAuth == oauth.ClientAuthAuto {
		cfg.LastClientAuth = p.OAuth.ClientAuthSeen
	}
	cfg.AuthParams = withConsentForOffline(cfg.Scopes, cfg.AuthParams)
	if len(p.OAuth.ClientSecret) > 0 && cfg.ClientAuth != oauth.ClientAuthNone {
		sl, err := s.sealerFor(ctx, &snap)
		if err != nil {
			return oauth.Config{}, err
		}
		secret, err := sl.Open(p.OAuth.ClientSecret, seal.AD(p.Name, "client_secret"))
		if err != nil {
			return oauth.Config{}, fmt.Errorf("could not unseal the client secret of profile %q: %w", p.Name, err)
		}
		cfg.ClientSecret = string(secret)
	}
	return cfg, nil
}

// withConsentForOffline adds prompt=consent when offline_access is asked
// for and the profile sets no prompt: OpenID Connect Core §11 requires it,
// and providers such as node oidc-provider silently drop offline_access
// (so issue no refresh token) without it.
func withConsentForOffline(scopes []string, params map[string]string) map[string]string {
	if _, ok := params["prompt"]; ok || !slices.Contains(scopes, "offline_access") {
		return params
	}
	out := make(map[string]string, len(params)+1)
	maps.Copy(out, params)
	out["prompt"] = "consent"
	return out
}

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

// learnClientAuth records in stored the client authentication the provider
// accepted from p's confidential client, when the profile does not fix one
// and it is news, and reports whether it changed stored. It checks that
// stored is still the client p used.
func learnClientAuth(stored, p *Profile, method oauth.ClientAuth) bool {
	o := stored.OAuth
	if o == nil || p.OAuth == nil || method == "" || method == oauth.ClientAuthNone || o.ClientAuth != "" ||
		o.ClientAuthSeen == method || len(o.ClientSecret) == 0 || o.ClientID != p.OAuth.ClientID {
		return false
	}
	o.ClientAuthSeen = method
	return true
}

// rememberClientAuth stores the client authentication the provider just
// accepted from profile p (see learnClientAuth). A failure costs only a
// refused request next time, so it is logged, not returned.
func (s *Service) rememberClientAuth(p *Profile, method oauth.ClientAuth) {
	if p.OAuth == nil || p.OAuth.ClientAuth != "" || p.OAuth.ClientAuthSeen == method || method == "" || method == oauth.ClientAuthNone {
		return
	}
	err := s.updateProfiles(context.Background(), func(tx *store.Tx) error {
		var stored Profile
		if err := tx.Get(store.Profiles, p.Name, &stored); err != nil {
			return err
		}
		if !learnClientAuth(&stored, p, method) {
			return nil
		}
		return tx.Put(store.Profiles, p.Name, stored)
	})
	if err != nil {
		s.log().Debug("could not remember the client authentication", "profile", p.Name, "err", err)
	}
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

// LoginOptions tune an OAuth login.
type LoginOptions struct {
	UI oauth.UI
	// Flow overrides the profile's flow for this login.
	Flow record.Flow
	// Wait makes a second login of the same profile wait for the first
	// (a person is present); otherwise it fails at once.
	Wait bool
	// Remote says there is no local browser (SSH session, no display):
	// the auto flow then prefers the device flow.
	Remote bool
	// Username and Password supply the password flow's credentials.
	Username string
	Password func() (string, error)
	// RedirectPort, when set, replaces the profile's redirect port of the
	// browser flow for this login (0 picks a free port).
	RedirectPort *int
}

// ChooseFlow resolves the auto flow for a profile.
func ChooseFlow(p *Profile, requested record.Flow, remote bool) record.Flow {
	f := requested
	if f == "" || f == record.FlowAuto {
		f = p.OAuth.Flow
	}
	if f != "" && f != record.FlowAuto {
		return f
	}
	e := p.OAuth.Endpoints
	switch {
	case e.DeviceAuthURL != "" && (remote || e.AuthURL == ""):
		return record.FlowDevice
	case e.AuthURL != "":
		return record.FlowBrowser
	case len(p.OAuth.ClientSecret) > 0:
		return record.FlowClientCredentials
	}
	return record.FlowBrowser
}

// Login runs profile name's login flow and replaces its token state in one
// transaction. Discovery is fetched again first so that the cached
// endpoints follow the provider.
func (s *Service) Login(ctx context.Context, name string, opts LoginOptions) (record.Credential, error) {
	snap, err := s.load(name)
	if err != nil {
		return record.Credential{}, err
	}
	if snap.profile.Type == record.Federated {
		// Signing in is exchanging a fresh subject token; no person needed.
		return s.refresh(ctx, snap, record.K8sAccessToken, true)
	}
	if snap.profile.Type != record.OAuth {
		return record.Credential{}, fmt.Errorf("profile %q is a static profile; store its token with: tok login -p %s --with-token", snap.profile.Name, snap.profile.Name)
	}
	name = snap.profile.Name
	unlock, err := s.lock(ctx, name, "login", opts.Wait)
	if err != nil {
		return record.Credential{}, err
	}
	defer unlock()

	p := &snap.profile
	if p.OAuth.Issuer != "" && !p.OAuth.ExplicitEndpoints {
		hc, err := s.httpClient(p)
		if err != nil {
			return record.Credential{}, err
		}
		eps, err := oauth.Discover(ctx, hc, p.OAuth.Issuer)
		if err != nil {
			return record.Credential{}, fmt.Errorf("could not discover the endpoints of %s: %w", p.OAuth.Issuer, err)
		}
		p.OAuth.Endpoints = eps
		p.OAuth.DiscoveredAt = s.now().UTC()
	}
	cfg, err := s.oauthConfig(ctx, snap)
	if err != nil {
		return record.Credential{}, err
	}
	if opts.RedirectPort != nil {
		cfg.RedirectPort = *opts.RedirectPort
	}
	flow := ChooseFlow(p, opts.Flow, opts.Remote)
	s.log().Debug("login", "profile", name, "flow", string(flow))
	var tok oauth.Token
	switch flow {
	case record.FlowBrowser:
		if cfg.AuthURL == "" {
			return record.Credential{}, fmt.Errorf("profile %q has no authorization endpoint for the browser flow; set --auth-url or use --flow device", name)
		}
		tok, err = oauth.LoginBrowser(ctx, cfg, opts.UI)
	case record.FlowDevice:
		if cfg.DeviceAuthURL == "" {
			return record.Credential{}, fmt.Errorf("the provider of profile %q offers no device authorization endpoint; set --device-auth-url or use --flow browser", name)
		}
		tok, err = oauth.LoginDevice(ctx, cfg, opts.UI)
		if oauth.IsGrantNotAllowed(err) {
			// Keycloak lists its device endpoint for every client but has
			// the grant off per client by default.
			err = fmt.Errorf("the provider does not allow the device flow for client %q (%w); its administrator must enable the device authorization grant for this client (Keycloak: \"OAuth 2.0 Device Authorization Grant\" in the client's capability config). Meanwhile sign in with: tok login -p %s --flow browser (or add --remote on a machine without a browser)",
				p.OAuth.ClientID, err, name)
		}
	case record.FlowClientCredentials:
		tok, err = oauth.ClientCredentials(ctx, cfg)
	case record.FlowPassword:
		s.warn(ctx, "warning: the password grant (profile %q) is deprecated by OAuth 2.1 and exposes your password to tok; prefer --flow browser or device", name)
		user := opts.Username
		if user == "" {
			user = p.OAuth.Username
		}
		if user == "" || opts.Password == nil {
			return record.Credential{}, fmt.Errorf("the password flow of profile %q needs a username and a password", name)
		}
		pw, perr := opts.Password()
		if perr != nil {
			return record.Credential{}, perr
		}
		tok, err = oauth.Password(ctx, cfg, user, pw)
	default:
		return record.Credential{}, fmt.Errorf("unknown flow %q", flow)
	}
	if err != nil {
		return record.Credential{}, fmt.Errorf("login to profile %q failed: %w", name, explained(err))
	}

	next := pendingState{tok: tok, now: s.now()}
	if !tok.Identity.IsZero() {
		if next.identity, err = json.Marshal(tok.Identity); err != nil {
			return record.Credential{}, fmt.Errorf("could not record who signed in to profile %q: %w", name, err)
		}
	}
	st, err := s.seal(ctx, name, next)
	if err != nil {
		return record.Credential{}, err
	}
	err = s.updateProfiles(ctx, func(tx *store.Tx) error {
		var stored Profile
		if err := tx.Get(store.Profiles, name, &stored); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return notFound(name, tx.Names(store.Profiles))
			}
			return err
		}
		changed := false
		if p.OAuth.Issuer != "" && !p.OAuth.ExplicitEndpoints && stored.OAuth != nil {
			stored.OAuth.Endpoints = p.OAuth.Endpoints
			stored.OAuth.DiscoveredAt = p.OAuth.DiscoveredAt
			changed = true
		}
		if learnClientAuth(&stored, p, tok.ClientAuth) {
			changed = true
		}
		if changed {
			if err := tx.Put(store.Profiles, name, stored); err != nil {
				return err
			}
		}
		var old record.State
		if err := tx.Get(store.States, name, &old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		st.Gen = old.Gen + 1
		return tx.Put(store.States, name, st)
	})
	if err != nil {
		return record.Credential{}, fmt.Errorf("could not save the tokens of profile %q: %w", name, err)
	}
	snap.state = st
	snap.hasState = true
	if p.Shared != nil {
		s.publishShared(ctx, p, tok, st.Obtained)
	}
	return s.credential(ctx, snap, record.K8sAccessToken)
}

// Identity returns who signed in at profile name's last login, as the
// verified ID token said; the zero Identity when no login stored one (no
// login yet, a flow without an ID token, or tokens forgotten).
func (s *Service) Identity(name string) (oauth.Identity, error) {
	snap, err := s.load(name)
	if err != nil {
		return oauth.Identity{}, err
	}
	var id oauth.Identity
	if len(snap.state.Identity) == 0 {
		return id, nil
	}
	if err := json.Unmarshal(snap.state.Identity, &id); err != nil {
		return oauth.Identity{}, fmt.Errorf("the stored sign-in identity of profile %q is damaged: %w", snap.profile.Name, err)
	}
	return id, nil
}

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
