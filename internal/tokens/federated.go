package tokens

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/federation"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/when"
)

// Grant is how a federated profile trades its subject token.
type Grant string

// Federation grants.
const (
	// GrantTokenExchange is RFC 8693 token exchange.
	GrantTokenExchange Grant = "token-exchange"
	// GrantJWTBearer is the RFC 7523 JWT bearer authorization grant.
	GrantJWTBearer Grant = "jwt-bearer"
)

// ParseGrant validates a grant name ("" means token-exchange).
func ParseGrant(s string) (Grant, error) {
	switch Grant(s) {
	case GrantTokenExchange, GrantJWTBearer:
		return Grant(s), nil
	case "":
		return GrantTokenExchange, nil
	}
	return "", fmt.Errorf("unknown grant %q; choose token-exchange or jwt-bearer", s)
}

// Subject token types a federated profile may declare, by short name.
var subjectTokenTypes = map[string]string{
	"jwt":          oauth.TokenTypeJWT,
	"id_token":     oauth.TokenTypeIDToken,
	"access_token": oauth.TokenTypeAccessToken,
}

// ParseTokenType accepts a token type URN or its short name (jwt,
// id_token, access_token); "" stays "" (the default, jwt).
func ParseTokenType(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if urn, ok := subjectTokenTypes[s]; ok {
		return urn, nil
	}
	for _, urn := range subjectTokenTypes {
		if s == urn {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown token type %q; choose jwt, id_token, access_token or a urn:ietf:params:oauth:token-type: URN", s)
}

// FederationConfig is how a federated profile gets its tokens: where the
// subject token comes from and which grant trades it. The provider and
// client (token endpoint, optional client ID and secret, audience, scopes,
// resources) are in the profile's OAuthConfig.
type FederationConfig struct {
	Grant  Grant             `json:"grant"`
	Source federation.Source `json:"source"`
	// SubjectTokenType (token exchange only) defaults to the JWT type.
	SubjectTokenType   string `json:"subject_token_type,omitempty"`
	RequestedTokenType string `json:"requested_token_type,omitempty"`
}

// Validate checks a federation configuration.
func (c *FederationConfig) Validate() error {
	if c == nil {
		return errors.New("a federated profile needs a subject token source")
	}
	if _, err := ParseGrant(string(c.Grant)); err != nil {
		return err
	}
	if c.Grant == GrantJWTBearer && (c.SubjectTokenType != "" || c.RequestedTokenType != "") {
		return errors.New("token types only apply to the token-exchange grant")
	}
	return c.Source.Validate()
}

// SubjectTokens fetches subject tokens; federation.Fetcher implements it.
type SubjectTokens interface {
	SubjectToken(ctx context.Context, src federation.Source) (string, error)
}

// federate gets a new token for a federated profile, under the profile's
// refresh lock held by refresh: fetch a fresh subject token, trade it, and
// store the result like any refresh. When that fails while the current
// token is still valid, the current token is returned with a warning.
func (s *Service) federate(ctx context.Context, cur snapshot, cfg oauth.Config, use record.K8sToken, now time.Time, force bool) (record.Credential, error) {
	p := &cur.profile
	if err := p.Federation.Validate(); err != nil {
		return record.Credential{}, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if s.Subjects == nil {
		return record.Credential{}, errors.New("no subject token fetcher configured")
	}
	tok, err := s.exchange(ctx, p, cfg)
	if err != nil {
		exp := cur.state.ExpiryFor(use)
		if !force && cur.state.HasToken() && (exp.IsZero() || s.now().Before(exp)) {
			s.warn(ctx, "warning: could not renew the token of federated profile %q (%v); using the current token, valid until %s", p.Name, err, when.Format(exp, s.now()))
			return s.credential(ctx, cur, use)
		}
		return record.Credential{}, err
	}
	tok.RefreshToken = "" // a federated profile renews with a new subject token, never a refresh token
	return s.commit(ctx, cur, s.stateFrom(tok, record.State{}, now), use)
}

// exchangeRequest is the RFC 8693 request for subject, with tok's defaults
// for what the profile leaves unset:
//   - requested_token_type: an access token, always sent. Left out, the
//     server chooses, and some choose a refresh token and then refuse to
//     issue it (zitadel: "exchanging id_token to refresh_token is not
//     supported"); tok hands out access tokens.
//   - subject_token_type: id_token when the subject token is a JWT issued
//     by the profile's own issuer (an ID token it issued, which such
//     servers refuse to take as a plain jwt), else jwt, the type of a CI
//     platform's OIDC token at a security token service.
func exchangeRequest(subject string, fed *FederationConfig, issuer string) oauth.Exchange {
	ex := oauth.Exchange{SubjectToken: subject, SubjectTokenType: fed.SubjectTokenType, RequestedTokenType: fed.RequestedTokenType}
	if ex.RequestedTokenType == "" {
		ex.RequestedTokenType = oauth.TokenTypeAccessToken
	}
	if ex.SubjectTokenType == "" {
		ex.SubjectTokenType = oauth.TokenTypeJWT
		if iss := jwtIssuer(subject); iss != "" && issuer != "" && strings.TrimSuffix(iss, "/") == strings.TrimSuffix(issuer, "/") {
			ex.SubjectTokenType = oauth.TokenTypeIDToken
		}
	}
	return ex
}

// jwtIssuer is the iss claim of a JWT, read without verifying it (the
// server verifies the subject token); "" when token is not a JWT.
func jwtIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Iss
}

func (s *Service) exchange(ctx context.Context, p *Profile, cfg oauth.Config) (oauth.Token, error) {
	if cfg.TokenURL == "" && p.OAuth.Issuer != "" {
		eps, err := oauth.Discover(ctx, cfg.HTTPClient, p.OAuth.Issuer)
		if err != nil {
			return oauth.Token{}, fmt.Errorf("could not discover the endpoints of %s: %w", p.OAuth.Issuer, err)
		}
		cfg.Endpoints = eps
	}
	fed := p.Federation
	subject, err := s.Subjects.SubjectToken(ctx, fed.Source)
	if err != nil {
		return oauth.Token{}, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	s.log().Debug("federation", "profile", p.Name, "grant", string(fed.Grant), "source", fed.Source.String(), "token_url", cfg.TokenURL)
	var tok oauth.Token
	switch fed.Grant {
	case GrantJWTBearer:
		tok, err = oauth.JWTBearer(ctx, cfg, subject)
	default:
		tok, err = oauth.TokenExchange(ctx, cfg, exchangeRequest(subject, fed, p.OAuth.Issuer))
	}
	if err != nil {
		if oauth.IsInvalidGrant(err) {
			return oauth.Token{}, fmt.Errorf("the server refused the subject token of profile %q (%w); check that it trusts the token's issuer, subject and audience", p.Name, err)
		}
		return oauth.Token{}, fmt.Errorf("could not get a token for federated profile %q: %w", p.Name, err)
	}
	return tok, nil
}
