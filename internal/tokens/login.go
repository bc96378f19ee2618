package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
)

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
