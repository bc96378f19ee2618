package oauth

import "context"

// Grant types and token type identifiers of RFC 8693 (token exchange) and
// RFC 7523 (JWT bearer assertion grants).
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	GrantTypeJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"

	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// Exchange is an RFC 8693 token exchange request: the subject token (for
// workload identity federation, the CI platform's OIDC token) and what it
// is.
type Exchange struct {
	SubjectToken string
	// SubjectTokenType defaults to TokenTypeJWT.
	SubjectTokenType string
	// RequestedTokenType is sent when set; servers default to an access token.
	RequestedTokenType string
}

// TokenExchange trades a subject token for an access token at the token
// endpoint (RFC 8693 section 2), with the configured audience, resources
// and scopes. The client authenticates when it has a secret and sends its
// client_id when it has one; many security token services need neither.
func TokenExchange(ctx context.Context, cfg Config, ex Exchange) (Token, error) {
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	if ex.SubjectToken == "" {
		return Token{}, configErrorf("no subject token to exchange")
	}
	v := cfg.audienceValues()
	v.Set("grant_type", GrantTypeTokenExchange)
	v.Set("subject_token", ex.SubjectToken)
	typ := ex.SubjectTokenType
	if typ == "" {
		typ = TokenTypeJWT
	}
	v.Set("subject_token_type", typ)
	if ex.RequestedTokenType != "" {
		v.Set("requested_token_type", ex.RequestedTokenType)
	}
	return cfg.directGrant(ctx, "token exchange", v, cfg.ClientSecret, ex.SubjectToken)
}

// JWTBearer presents a signed JWT as an authorization grant (RFC 7523
// section 2.1) and returns the access token the server issues for it.
func JWTBearer(ctx context.Context, cfg Config, assertion string) (Token, error) {
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	if assertion == "" {
		return Token{}, configErrorf("no assertion to present")
	}
	v := cfg.audienceValues()
	v.Set("grant_type", GrantTypeJWTBearer)
	v.Set("assertion", assertion)
	return cfg.directGrant(ctx, "JWT bearer grant", v, cfg.ClientSecret, assertion)
}
