package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// errUnverifiable means the configuration lacks the issuer or JWKS URL needed
// to verify an ID token.
var errUnverifiable = errors.New("no issuer or jwks_uri to verify the id token against")

// isVerifiableAlg reports whether go-oidc can verify signatures made with alg.
// Anything else a provider advertises (notably "none") is ignored.
func isVerifiableAlg(alg string) bool {
	switch alg {
	case oidc.RS256, oidc.RS384, oidc.RS512,
		oidc.ES256, oidc.ES384, oidc.ES512,
		oidc.PS256, oidc.PS384, oidc.PS512,
		oidc.EdDSA:
		return true
	}
	return false
}

// idTokenCheck says what an ID token must satisfy beyond signature, iss, aud
// and exp.
type idTokenCheck struct {
	// nonce is the value sent in the authorization request; empty skips the
	// check (refresh, device and direct grants carry none).
	nonce string
	// keepTokensOnFailure returns the other tokens when only the ID token
	// fails (see Token.IDTokenRejected).
	keepTokensOnFailure bool
}

// verifyIDToken checks raw against the provider's JWKS, the issuer, the
// client ID as audience (and azp when present), the expiry, the nonce when
// asked and at_hash when present. It returns the token's expiry and who
// signed in.
func verifyIDToken(ctx context.Context, cfg Config, hc *http.Client, raw, accessToken string, check idTokenCheck) (time.Time, Identity, error) {
	exp, tok, err := verifyIDTokenClaims(ctx, cfg, hc, raw, accessToken, check)
	if err != nil {
		return time.Time{}, Identity{}, err
	}
	return exp, identityOf(tok), nil
}

func verifyIDTokenClaims(ctx context.Context, cfg Config, hc *http.Client, raw, accessToken string, check idTokenCheck) (time.Time, *oidc.IDToken, error) {
	if cfg.Issuer == "" || cfg.JWKSURL == "" {
		return time.Time{}, nil, errUnverifiable
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(ctx, hc), cfg.JWKSURL)
	var algs []string
	for _, alg := range cfg.IDTokenSigningAlgs {
		if isVerifiableAlg(alg) {
			algs = append(algs, alg)
		}
	}
	verifier := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
		ClientID:             cfg.ClientID,
		SupportedSigningAlgs: algs, // empty means RS256
	})
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("id token rejected: %w", err)
	}
	var claims struct {
		AuthorizedParty string `json:"azp"`
	}
	if err := tok.Claims(&claims); err != nil {
		return time.Time{}, nil, fmt.Errorf("id token rejected: %w", err)
	}
	if claims.AuthorizedParty != "" && claims.AuthorizedParty != cfg.ClientID {
		return time.Time{}, nil, fmt.Errorf("id token rejected: it was issued to client %q (azp), not %q", claims.AuthorizedParty, cfg.ClientID)
	}
	if check.nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(check.nonce)) != 1 {
		return time.Time{}, nil, errors.New("id token rejected: its nonce does not match the login request; the response may have been replayed, try logging in again")
	}
	if tok.AccessTokenHash != "" {
		if err := tok.VerifyAccessToken(accessToken); err != nil {
			return time.Time{}, nil, fmt.Errorf("id token rejected: its at_hash does not match the access token: %w", err)
		}
	}
	return tok.Expiry, tok, nil
}
