package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"golang.org/x/oauth2"

	"github.com/tok-cli/tok/internal/termtext"
)

// Error is a failed exchange with a provider endpoint. Either the server
// answered with an error (Code and/or Status are set) or no usable answer
// arrived (Err says why). Its message never contains a token, code, password
// or client secret, and never the raw response body.
type Error struct {
	// Op says what tok was doing, e.g. "refresh at https://idp/token".
	Op string
	// Code is the RFC 6749 (or RFC 8628, RFC 7009) error code, e.g.
	// invalid_grant; empty when the server sent none.
	Code        string
	Description string
	URI         string
	// Status is the HTTP status of the answer; 0 when none arrived.
	Status int
	// Err is the underlying cause: a network or parse error, or the
	// *oauth2.RetrieveError the other fields were taken from.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Code != "":
		// Code and description are the provider's words: cleaned, they
		// cannot act on the terminal this message is printed on.
		fmt.Fprintf(&b, "server returned %s", termtext.Clean(e.Code))
		if e.Description != "" {
			fmt.Fprintf(&b, ": %s", termtext.Clean(e.Description))
		}
		if e.Status != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", e.Status)
		}
	case e.Status != 0:
		fmt.Fprintf(&b, "server returned HTTP %d %s", e.Status, http.StatusText(e.Status))
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsInvalidGrant reports whether the server refused a grant for good: the
// refresh token (or authorization code, or device code) is expired, revoked
// or was already used. Logging in again is the only way forward.
// GitHub's bad_refresh_token counts as invalid_grant.
func IsInvalidGrant(err error) bool {
	code := ErrorCode(err)
	return code == "invalid_grant" || code == "bad_refresh_token"
}

// IsGrantNotAllowed reports whether the server refused a grant because
// this client may not use it: unauthorized_client (RFC 6749, Keycloak's
// "Client is not allowed to initiate OAuth 2.0 Device Authorization
// Grant"), or an invalid_request that says the grant "is not allowed for
// this client" (node oidc-provider).
func IsGrantNotAllowed(err error) bool {
	switch ErrorCode(err) {
	case "unauthorized_client":
		return true
	case "invalid_request":
		var e *Error
		return errors.As(err, &e) && strings.Contains(strings.ToLower(e.Description), "not allowed for this client")
	}
	return false
}

// ErrorCode returns the OAuth error code the server answered with, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// IsTransient reports whether err means the provider could not give a usable
// answer right now: it was unreachable, timed out, answered 5xx or 429, said
// server_error or temporarily_unavailable, or sent a body that could not be
// read or parsed. Such a failure says nothing about the token, so a caller may
// keep using a still valid access token. A definitive rejection (any other
// OAuth error code or 4xx) and a cancelled context are not transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Status >= 500 || e.Status == http.StatusTooManyRequests:
			return true
		case e.Code == "server_error" || e.Code == "temporarily_unavailable":
			return true
		case e.Code != "" || e.Status != 0:
			return false
		}
		// No answer from the server: everything but a local mistake is transient.
		return !errors.Is(e.Err, errLocal)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// errLocal marks failures of tok's own configuration (a missing endpoint, a
// bad URL) that retrying cannot fix.
var errLocal = errors.New("configuration error")

// configError is a local configuration mistake, detectable with
// errors.Is(err, errLocal) but printed without that prefix.
type configError struct{ msg string }

func (e configError) Error() string        { return e.msg }
func (e configError) Is(target error) bool { return target == errLocal }

func configErrorf(format string, args ...any) error {
	return configError{msg: fmt.Sprintf(format, args...)}
}

// wrapError turns an error from x/oauth2 or the network into *Error with the
// given operation, removing every secret in secrets from what it says.
func wrapError(op string, err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: op, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e.Code = redact(re.ErrorCode, secrets)
		e.Description = redact(re.ErrorDescription, secrets)
		e.URI = redact(re.ErrorURI, secrets)
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		// A 2xx with an error code happens (GitHub answers 200 with error=...);
		// the code is what matters, not the status.
		if e.Status >= 200 && e.Status < 300 {
			e.Status = 0
		}
		return e
	}
	if msg := err.Error(); redact(msg, secrets) != msg {
		// Keep the classification but drop the text that held a secret.
		e.Err = redactedError{msg: redact(msg, secrets), cause: classOf(err)}
	}
	return e
}

func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) >= 4 && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactedError stands for an error whose text held a secret; it keeps only
// the class of the original (timeout, cancellation) for errors.Is.
type redactedError struct {
	msg   string
	cause error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.cause }

func classOf(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, errLocal):
		return errLocal
	}
	return nil
}

// Reason says in a few plain words why a request to the provider failed,
// for a one-line message: "the connection to the provider was refused",
// "the provider answered HTTP 503 Service Unavailable". It never holds a
// secret (Error's fields are redacted) nor Go's wording of the cause.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Code != "" && e.Status != 0 && e.Description != "":
			return fmt.Sprintf("the provider answered HTTP %d with %s: %s", e.Status, e.Code, strings.TrimSuffix(e.Description, "."))
		case e.Code != "" && e.Status != 0:
			return fmt.Sprintf("the provider answered HTTP %d with %s", e.Status, e.Code)
		case e.Code != "" && e.Description != "":
			return fmt.Sprintf("the provider answered %s (%s)", e.Code, e.Description)
		case e.Code != "":
			return "the provider answered " + e.Code
		case e.Status != 0:
			return fmt.Sprintf("the provider answered HTTP %d %s", e.Status, http.StatusText(e.Status))
		}
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "the provider did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection to the provider was refused"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the provider's host name %s could not be resolved", dnsErr.Name)
	case errors.As(err, &opErr):
		return "the provider could not be reached"
	case errors.Is(err, errLocal):
		return err.Error()
	}
	return "the provider's answer was not a usable token response"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
