package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/when"
)

// SharedCacheConfig names the shared cache (Redis or Valkey) through which
// the members of a fleet share one profile's tokens. Secrets are never
// here: the password and the shared data key come from the environment or
// files at run time.
type SharedCacheConfig struct {
	// URL is redis[s]://[user@]host[:port][/db][?cluster=true], without a
	// password.
	URL string `json:"url"`
	// Namespace overrides the one derived from the provider, client,
	// scopes and audience (SharedNamespace).
	Namespace string `json:"namespace,omitempty"`
	// KeyFile holds the shared data key (base64), e.g. a mounted
	// Kubernetes Secret; TOK_SHARED_CACHE_KEY takes precedence.
	KeyFile string `json:"key_file,omitempty"`
	// PasswordFile holds the Redis password; TOK_SHARED_CACHE_PASSWORD
	// takes precedence.
	PasswordFile string `json:"password_file,omitempty"`
	// CAFile trusts the certificate of a rediss:// server.
	CAFile string `json:"ca_file,omitempty"`
}

// SharedCache is the store the members share; package sharedcache
// implements it on Redis. Values arrive sealed: the store sees ciphertext.
type SharedCache interface {
	// Get returns the namespace's value, its generation (0: nothing
	// stored) and the key check written with it.
	Get(ctx context.Context, ns string) (gen uint64, value, check []byte, err error)
	// CompareAndSwap writes if the generation is still gen and reports
	// whether it did.
	CompareAndSwap(ctx context.Context, ns string, gen uint64, value, check []byte, ttl time.Duration) (bool, error)
	// TryLock takes the namespace's refresh lock for lease, renewing it
	// until unlock; a nil unlock means another member holds it.
	TryLock(ctx context.Context, ns string, lease time.Duration) (unlock func(), err error)
	// Delete removes the namespace's state.
	Delete(ctx context.Context, ns string) error
}

// SharedOpener connects to the shared cache of a profile and returns the
// shared data key. Its errors are configuration errors (no key, a bad
// URL); an unreachable server shows up later, as SharedCache errors.
type SharedOpener func(ctx context.Context, cfg SharedCacheConfig) (SharedCache, seal.Key, error)

// DefaultSharedLease is how long a member's refresh lock outlives the
// member: a holder renews it every third, so only a dead holder loses it,
// and the next member takes over at most this long after.
const DefaultSharedLease = 10 * time.Second

// sharedRefreshTTL is how long a state with a refresh token stays in the
// shared cache: the refresh token outlives the access token, and the
// provider does not say for how long. Every refresh renews it.
const sharedRefreshTTL = 30 * 24 * time.Hour

// ValidateNamespace checks a namespace override: it becomes part of Redis
// key names.
func ValidateNamespace(ns string) error {
	if len(ns) == 0 || len(ns) > 100 || strings.ContainsAny(ns, "{}: \t\r\n") {
		return fmt.Errorf("invalid shared cache namespace %q: use up to 100 characters without spaces, ':', '{' or '}'", ns)
	}
	return nil
}

// SharedNamespace names where a profile's state lives in the shared cache:
// the override, else a digest of what makes two profiles' tokens
// interchangeable (type, provider, client, scopes, audience, resources,
// flow, federation grant), so different configurations never collide and
// members may name the profile as they like.
func SharedNamespace(p *Profile) string {
	if p.Shared != nil && p.Shared.Namespace != "" {
		return p.Shared.Namespace
	}
	parts := []string{"tok/shared/v1", string(p.Type)}
	if o := p.OAuth; o != nil {
		scopes := slices.Clone(o.Scopes)
		slices.Sort(scopes)
		resources := slices.Clone(o.Resources)
		slices.Sort(resources)
		parts = append(parts, o.Issuer, o.Endpoints.TokenURL, o.ClientID,
			strings.Join(scopes, " "), o.Audience, strings.Join(resources, " "), string(o.Flow))
	}
	if f := p.Federation; f != nil {
		parts = append(parts, string(f.Grant), f.SubjectTokenType, f.RequestedTokenType)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:10])
}

// sharedState is what the shared cache holds for a namespace, sealed as
// one value under the shared data key.
type sharedState struct {
	TokenType string    `json:"token_type,omitempty"`
	Access    string    `json:"access"`
	Refresh   string    `json:"refresh,omitempty"`
	ID        string    `json:"id,omitempty"`
	Expiry    time.Time `json:"expiry,omitzero"`
	IDExpiry  time.Time `json:"id_expiry,omitzero"`
	Obtained  time.Time `json:"obtained,omitzero"`
	Scope     string    `json:"scope,omitempty"`
}

// probe is a State with the same shape as st, for Evaluate, which looks
// only at which tokens are present and at the times.
func (st *sharedState) probe() record.State {
	present := func(v string) []byte {
		if v == "" {
			return nil
		}
		return []byte{1}
	}
	return record.State{Access: present(st.Access), Refresh: present(st.Refresh), ID: present(st.ID),
		Expiry: st.Expiry, IDExpiry: st.IDExpiry, Obtained: st.Obtained}
}

func (st *sharedState) token() oauth.Token {
	return oauth.Token{AccessToken: st.Access, RefreshToken: st.Refresh, IDToken: st.ID,
		TokenType: st.TokenType, Expiry: st.Expiry, IDTokenExpiry: st.IDExpiry, Scope: st.Scope}
}

// ttl is how long the shared cache keeps st: the token's life, or the
// refresh token's when there is one.
func (st *sharedState) ttl(p *Profile, now time.Time) time.Duration {
	if st.Refresh != "" {
		return sharedRefreshTTL
	}
	if st.Expiry.IsZero() {
		return p.Policy().MaxAge()
	}
	return st.Expiry.Sub(now)
}

const sharedCheckPlain = "tok shared cache key check"

func sharedCheckAD() []byte          { return seal.AD("shared", "check") }
func sharedStateAD(ns string) []byte { return seal.AD("shared/"+ns, "state") }

// errSharedUnavailable marks a shared cache that did not answer.
var errSharedUnavailable = errors.New("shared cache unavailable")

// sharedRecord is one read of a namespace.
type sharedRecord struct {
	gen   uint64
	state *sharedState // nil when nothing is stored
}

// sharedSession is one operation's view of a profile's shared cache.
type sharedSession struct {
	cache SharedCache
	sl    *seal.Sealer
	ns    string
	p     *Profile
}

func (s *Service) openShared(ctx context.Context, p *Profile) (*sharedSession, error) {
	if s.Shared == nil {
		return nil, fmt.Errorf("profile %q uses a shared cache, which this tok cannot reach", p.Name)
	}
	cache, key, err := s.Shared(ctx, *p.Shared)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	sl, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	return &sharedSession{cache: cache, sl: sl, ns: SharedNamespace(p), p: p}, nil
}

// read fetches and opens the namespace's state. A value that fails to
// open is never overwritten: the caller stops with the error.
func (ss *sharedSession) read(ctx context.Context) (sharedRecord, error) {
	gen, value, check, err := ss.cache.Get(ctx, ss.ns)
	if err != nil {
		return sharedRecord{}, fmt.Errorf("%w: %w", errSharedUnavailable, err)
	}
	if gen == 0 {
		return sharedRecord{}, nil
	}
	name := ss.p.Name
	if _, err := ss.sl.Open(check, sharedCheckAD()); err != nil || len(check) == 0 {
		return sharedRecord{}, fmt.Errorf("the data key does not match the shared cache of profile %q (namespace %s): every member needs the same TOK_SHARED_CACHE_KEY or shared cache key file; tok changed nothing there", name, ss.ns)
	}
	plain, err := ss.sl.Open(value, sharedStateAD(ss.ns))
	var st sharedState
	if err == nil {
		err = json.Unmarshal(plain, &st)
	}
	if err != nil || st.Access == "" {
		return sharedRecord{}, fmt.Errorf("the shared cache entry of profile %q (key %s) failed authentication: it was altered or sealed for another namespace; tok left it untouched; delete that key to start over", name, "tok:{"+ss.ns+"}:state")
	}
	return sharedRecord{gen: gen, state: &st}, nil
}

// write stores st if the namespace is still at gen.
func (ss *sharedSession) write(ctx context.Context, gen uint64, st *sharedState, now time.Time) (bool, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	value, err := ss.sl.Seal(plain, sharedStateAD(ss.ns))
	if err != nil {
		return false, err
	}
	check, err := ss.sl.Seal([]byte(sharedCheckPlain), sharedCheckAD())
	if err != nil {
		return false, err
	}
	ok, err := ss.cache.CompareAndSwap(ctx, ss.ns, gen, value, check, st.ttl(ss.p, now))
	if err != nil {
		return false, fmt.Errorf("%w: %w", errSharedUnavailable, err)
	}
	return ok, nil
}

// usable reports whether rec holds a token this member can hand out now.
// renewed says another member stored it while this one waited: then a
// token already inside its margin is taken too (the rule of the local
// refresh lock), since asking again would make every waiter a request.
func (rec sharedRecord) usable(p *Profile, use record.K8sToken, now time.Time, renewed bool) bool {
	if rec.state == nil {
		return false
	}
	probe := rec.state.probe()
	switch record.Evaluate(p.Policy(), &probe, use, now) {
	case record.StatusValid:
		return true
	case record.StatusStale:
		return renewed
	}
	return false
}

func (s *Service) sharedLease() time.Duration {
	if s.SharedLease > 0 {
		return s.SharedLease
	}
	return DefaultSharedLease
}

// refreshShared renews cur's token through the shared cache; the caller
// holds the local refresh lock, so one process per member gets here. It
// adopts a token another member stored; otherwise it takes the shared
// lock (polling with a short backoff while another member holds it, and
// re-reading each time), asks the provider once, and writes the result
// with compare-and-swap before anyone else reads it.
func (s *Service) refreshShared(ctx context.Context, cur snapshot, use record.K8sToken, force bool) (record.Credential, error) {
	p := &cur.profile
	ss, err := s.openShared(ctx, p)
	if err != nil {
		return record.Credential{}, err
	}
	deadline := time.Now().Add(s.lockTimeout())
	var seenGen uint64
	first := true
	var unlock func()
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, 100*time.Millisecond) {
		rec, err := ss.read(ctx)
		if err != nil {
			return s.sharedFailed(ctx, cur, use, err, force)
		}
		renewed := !first && rec.gen != seenGen
		if first {
			seenGen, first = rec.gen, false
		}
		if rec.usable(p, use, s.now(), renewed) && (!force || renewed) {
			s.log().Debug("token from the shared cache", "profile", p.Name, "gen", rec.gen)
			return s.adoptShared(ctx, cur, rec.state, use)
		}
		if unlock, err = ss.cache.TryLock(ctx, ss.ns, s.sharedLease()); err != nil {
			return s.sharedFailed(ctx, cur, use, fmt.Errorf("%w: %w", errSharedUnavailable, err), force)
		}
		if unlock != nil {
			break
		}
		if time.Now().After(deadline) {
			return record.Credential{}, fmt.Errorf("%w: another member of the shared cache held the refresh lock of profile %q for over %s; retry, or set TOK_LOCK_TIMEOUT", ErrBusy, p.Name, s.lockTimeout())
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return record.Credential{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	defer unlock()

	rec, err := ss.read(ctx)
	if err != nil {
		return s.sharedFailed(ctx, cur, use, err, force)
	}
	now := s.now()
	if renewed := rec.gen != seenGen; rec.usable(p, use, now, renewed) && (!force || renewed) {
		return s.adoptShared(ctx, cur, rec.state, use)
	}
	cfg, err := s.oauthConfig(ctx, cur)
	if err != nil {
		return record.Credential{}, err
	}
	// The shared refresh token is the newest one; a local one is only
	// used when the cache lost the state (a flushed or restarted Redis).
	prev := rec.state
	if prev == nil {
		if prev, err = s.localShared(ctx, cur); err != nil {
			return record.Credential{}, err
		}
	}
	tok, err := s.grant(ctx, cur, cfg, prev.Refresh)
	if err != nil {
		if oauth.IsInvalidGrant(err) {
			if latest, rerr := ss.read(ctx); rerr == nil && latest.gen != rec.gen && latest.usable(p, use, s.now(), true) {
				return s.adoptShared(ctx, cur, latest.state, use)
			}
			if prev.Refresh != "" {
				// The grant is dead for every member: drop the refresh
				// token from the shared state and record the refusal
				// here, so nobody presents it again.
				if rec.state != nil {
					dead := *rec.state
					dead.Refresh = ""
					if _, werr := ss.write(ctx, rec.gen, &dead, s.now()); werr != nil {
						s.log().Debug("could not drop the refused refresh token from the shared cache", "profile", p.Name, "err", werr)
					}
				}
				if rerr := s.recordRefusal(cur, err); rerr != nil {
					s.log().Debug("could not record the refused refresh", "profile", p.Name, "err", rerr)
				}
				return record.Credential{}, fmt.Errorf("%w: the server refused the refresh of profile %q (%v): refresh token expired or revoked; run: tok login -p %s", ErrLoginRequired, p.Name, err, p.Name)
			}
		}
		if prev.Access != "" {
			exp := prev.Expiry
			if use == record.K8sIDToken {
				exp = prev.IDExpiry
			}
			if exp.IsZero() || s.now().Before(exp) {
				s.warn(ctx, "warning: could not renew the token of profile %q (%v); using the current token, valid until %s", p.Name, err, when.Format(exp, s.now()))
				return s.adoptShared(ctx, cur, prev, use)
			}
		}
		return record.Credential{}, err
	}
	if tok.IDTokenRejected != nil {
		s.warn(ctx, "warning: the ID token the provider returned for profile %q failed verification and was not stored: %v", p.Name, tok.IDTokenRejected)
	}
	next := &sharedState{TokenType: tok.TokenType, Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: tok.IDToken,
		Expiry: s.onClock(tok.Expiry, now), IDExpiry: tok.IDTokenExpiry.UTC(), Obtained: now.UTC(), Scope: tok.Scope}
	if next.Refresh == "" && p.Type == record.OAuth {
		next.Refresh = prev.Refresh // the server did not rotate it
	}
	if next.ID == "" {
		next.ID, next.IDExpiry = prev.ID, prev.IDExpiry
	}
	ok, err := ss.write(ctx, rec.gen, next, now)
	for attempt := 1; err != nil && attempt < 3; attempt++ {
		// The provider has answered: losing this write costs the fleet a
		// request, or with a rotated refresh token the grant, so a
		// passing hiccup gets two more tries.
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		ok, err = ss.write(ctx, rec.gen, next, now)
	}
	switch {
	case err != nil && next.Refresh != "":
		s.warn(ctx, "warning: could not store the new tokens of profile %q in the shared cache (%v); other members still hold the previous refresh token, which the provider may refuse; if they fail, run tok login -p %s on one member", p.Name, err, p.Name)
	case err != nil:
		s.warn(ctx, "warning: could not store the new token of profile %q in the shared cache (%v); other members will fetch their own", p.Name, err)
	case !ok:
		// Our lease ran out and another member wrote first: theirs is
		// what everyone else now reads.
		if latest, rerr := ss.read(ctx); rerr == nil && latest.usable(p, use, s.now(), true) {
			return s.adoptShared(ctx, cur, latest.state, use)
		}
	}
	cred, err := s.adoptShared(ctx, cur, next, use)
	if err != nil {
		return record.Credential{}, err
	}
	if use == record.K8sIDToken && tok.IDToken == "" && !cred.Expiry.After(s.now()) {
		return record.Credential{}, loginRequired(p.Name, fmt.Sprintf("the provider of profile %q returned no new ID token on refresh", p.Name))
	}
	return cred, nil
}

// grant asks the provider for a new token: a federated profile trades a
// fresh subject token, an OAuth profile uses refreshToken, else the
// client credentials grant.
func (s *Service) grant(ctx context.Context, cur snapshot, cfg oauth.Config, refreshToken string) (oauth.Token, error) {
	p := &cur.profile
	switch {
	case p.Type == record.Federated:
		if err := p.Federation.Validate(); err != nil {
			return oauth.Token{}, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		if s.Subjects == nil {
			return oauth.Token{}, errors.New("no subject token fetcher configured")
		}
		tok, err := s.exchange(ctx, p, cfg)
		tok.RefreshToken = ""
		return tok, err
	case refreshToken != "":
		s.log().Debug("refreshing", "profile", p.Name, "token_url", cfg.TokenURL, "shared", true)
		return oauth.Refresh(ctx, cfg, refreshToken)
	case p.OAuth.Flow == record.FlowClientCredentials:
		s.log().Debug("client credentials grant", "profile", p.Name, "token_url", cfg.TokenURL, "shared", true)
		return oauth.ClientCredentials(ctx, cfg)
	}
	return oauth.Token{}, loginRequired(p.Name, fmt.Sprintf("the token of profile %q expired, there is no refresh token here and none in the shared cache", p.Name))
}

// localShared is cur's local state in the shared form.
func (s *Service) localShared(ctx context.Context, cur snapshot) (*sharedState, error) {
	st := &sharedState{TokenType: cur.state.TokenType, Expiry: cur.state.Expiry, IDExpiry: cur.state.IDExpiry,
		Obtained: cur.state.Obtained, Scope: cur.state.Scope}
	if !cur.state.HasToken() && len(cur.state.Refresh) == 0 {
		return st, nil
	}
	sl, err := s.sealerFor(ctx, &cur)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		sealed []byte
		field  string
		into   *string
	}{{cur.state.Access, "access", &st.Access}, {cur.state.Refresh, "refresh", &st.Refresh}, {cur.state.ID, "id", &st.ID}} {
		plain, err := sl.Open(f.sealed, seal.AD(cur.profile.Name, f.field))
		if err != nil {
			return nil, fmt.Errorf("could not unseal the %s token of profile %q: %w", f.field, cur.profile.Name, err)
		}
		*f.into = string(plain)
	}
	return st, nil
}

// adoptShared stores st locally (so this member's next call is served by
// the small tok without the network) and hands it out.
func (s *Service) adoptShared(ctx context.Context, cur snapshot, st *sharedState, use record.K8sToken) (record.Credential, error) {
	next := pendingState{tok: st.token(), now: st.Obtained, exact: true}
	if next.now.IsZero() {
		next.now = s.now()
	}
	return s.commit(ctx, cur, next, use)
}

// sharedFailed decides what a shared cache that failed means. An
// unreachable cache is survivable for grants that need no refresh token
// (client credentials, federation): fetch locally with one warning. A
// refresh-token grant must not refresh alone: a second holder of the
// chain presenting an older refresh token gets the whole grant revoked.
func (s *Service) sharedFailed(ctx context.Context, cur snapshot, use record.K8sToken, cause error, force bool) (record.Credential, error) {
	if !errors.Is(cause, errSharedUnavailable) {
		return record.Credential{}, cause
	}
	p := &cur.profile
	if p.Type == record.OAuth && (len(cur.state.Refresh) > 0 || p.OAuth.Flow != record.FlowClientCredentials) {
		exp := cur.state.ExpiryFor(use)
		if cur.state.HasToken() && (exp.IsZero() || s.now().Before(exp)) {
			s.warn(ctx, "warning: the shared cache of profile %q is unreachable (%v); using the current token, valid until %s", p.Name, cause, when.Format(exp, s.now()))
			return s.credential(ctx, cur, use)
		}
		return record.Credential{}, fmt.Errorf("the shared cache of profile %q is unreachable (%v); tok does not refresh a shared refresh token alone, since the provider would revoke the grant for every member; retry when the cache is back", p.Name, cause)
	}
	s.warn(ctx, "warning: the shared cache of profile %q is unreachable (%v); fetching a token for this host alone", p.Name, cause)
	return s.renewLocked(ctx, cur, use, s.now(), force)
}

// publishShared stores a token obtained by a login in the shared cache, so
// the other members use it (and its refresh token) instead of asking for
// their own.
func (s *Service) publishShared(ctx context.Context, p *Profile, tok oauth.Token, now time.Time) {
	ss, err := s.openShared(ctx, p)
	if err != nil {
		s.warn(ctx, "warning: %v", err)
		return
	}
	st := &sharedState{TokenType: tok.TokenType, Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: tok.IDToken,
		Expiry: s.onClock(tok.Expiry, now), IDExpiry: tok.IDTokenExpiry.UTC(), Obtained: now.UTC(), Scope: tok.Scope}
	for attempt := 0; attempt < 3; attempt++ {
		gen, _, _, err := ss.cache.Get(ctx, ss.ns)
		if err == nil {
			var ok bool
			if ok, err = ss.write(ctx, gen, st, now); ok {
				return
			}
		}
		if err != nil {
			s.warn(ctx, "warning: could not store the new token of profile %q in the shared cache (%v); the other members keep theirs", p.Name, err)
			return
		}
	}
	s.warn(ctx, "warning: the shared cache of profile %q kept changing; the new token was stored on this host only", p.Name)
}

// forgetShared removes a profile's state from the shared cache after its
// tokens were revoked at the provider, so no member adopts them.
func (s *Service) forgetShared(ctx context.Context, p *Profile) {
	ss, err := s.openShared(ctx, p)
	if err == nil {
		err = ss.cache.Delete(ctx, ss.ns)
	}
	if err != nil {
		s.warn(ctx, "warning: the tokens of profile %q were revoked, but could not be removed from the shared cache (%v); members may hand out the revoked access token until it expires", p.Name, err)
	}
}
