package oauth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrWrongState means an authorization response carried a state other than
// the one tok sent: it answers some other request (or was forged to plant
// an attacker's code) and must be ignored, not acted upon. The loopback
// listener logs it and keeps waiting for the real response.
var ErrWrongState = errors.New("the sign-in response does not belong to this login (wrong state)")

// ErrIssuerMismatch means an authorization response named another issuer
// in iss, or named none although the provider promised to (RFC 9207). Such
// a response may come from a different provider the person also uses (a
// mix-up attack); the login is refused.
var ErrIssuerMismatch = errors.New("the sign-in response did not come from the expected provider")

// AuthResponseCheck is what an authorization response must match: values
// of the authorization request it answers and of the provider it was sent
// to.
type AuthResponseCheck struct {
	// State is the state parameter of the request. Compared in constant time.
	State string
	// Issuer is the provider's issuer identifier; "" when the profile has
	// explicit endpoints and no issuer, so iss cannot be checked.
	Issuer string
	// RequireIssuer is discovery's
	// authorization_response_iss_parameter_supported: a response without
	// iss is then refused.
	RequireIssuer bool
	// AuthURL names the authorization endpoint in error messages.
	AuthURL string
}

// CheckAuthResponse checks an authorization response (RFC 6749 section
// 4.1.2) given as its query parameters against the request it answers and
// returns the authorization code. In order:
//
//   - a wrong or missing state gives ErrWrongState: the response is not
//     ours, and nothing else in it may be trusted or acted on;
//   - RFC 9207: iss, when present, must equal the issuer, and must be
//     present when the provider says it sends it; otherwise an error
//     wrapping ErrIssuerMismatch;
//   - an error response gives an *Error with the provider's code,
//     description and URI;
//   - a response without a code is an *Error as well.
//
// The loopback listener and a pasted redirect address (CheckRedirectURL)
// go through this one function.
func CheckAuthResponse(q url.Values, want AuthResponseCheck) (code string, err error) {
	if want.State == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(want.State)) != 1 {
		return "", ErrWrongState
	}
	if err := checkResponseIssuer(q, want); err != nil {
		return "", err
	}
	op := "authorization at " + want.AuthURL
	if e := q.Get("error"); e != "" {
		return "", &Error{Op: op, Code: e, Description: q.Get("error_description"), URI: q.Get("error_uri")}
	}
	code = q.Get("code")
	if code == "" {
		return "", &Error{Op: op, Err: errors.New("the response has neither code nor error")}
	}
	return code, nil
}

func checkResponseIssuer(q url.Values, want AuthResponseCheck) error {
	if want.Issuer == "" {
		return nil
	}
	iss, sent := q["iss"]
	switch {
	case !sent && want.RequireIssuer:
		return fmt.Errorf("%w: %s promises to name itself in every sign-in response (RFC 9207) but this one has no iss; the login was refused, try again", ErrIssuerMismatch, want.Issuer)
	case !sent:
		return nil
	case len(iss) != 1 || iss[0] != want.Issuer:
		return fmt.Errorf("%w: the response names issuer %q, not %s; the login was refused", ErrIssuerMismatch, strings.Join(iss, " "), want.Issuer)
	}
	return nil
}

// CheckRedirectURL checks the address the provider redirected the browser
// to (a person may paste it when the browser runs on another machine) with
// CheckAuthResponse and returns the authorization code. redirectURI is the
// redirect_uri of the request; the pasted address must have its scheme,
// host and path, so a response meant for another client is not taken.
func CheckRedirectURL(raw, redirectURI string, want AuthResponseCheck) (string, error) {
	got, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", configErrorf("the pasted address is not a URL; paste the whole address from the browser's address bar")
	}
	if redirectURI != "" {
		exp, err := url.Parse(redirectURI)
		if err != nil {
			return "", configErrorf("the redirect URI %q is not a URL", redirectURI)
		}
		if !strings.EqualFold(got.Scheme, exp.Scheme) || !strings.EqualFold(got.Host, exp.Host) || got.Path != exp.Path {
			return "", configErrorf("the pasted address does not start with the redirect URI %s; paste the address the browser ended on after signing in", exp.Scheme+"://"+exp.Host+exp.Path)
		}
	}
	return CheckAuthResponse(got.Query(), want)
}
