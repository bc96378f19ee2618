// Package output writes a credential in the formats of `tok token`. Both
// tok binaries use it, so a token printed from the cache and one printed
// after a refresh look the same byte for byte.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/record"
)

// Formats of `tok token --output`.
const (
	Raw            = "raw"
	Header         = "header"
	JSON           = "json"
	Env            = "env"
	ExecCredential = "exec-credential"
)

// Formats lists every format, in the order help shows them.
var Formats = []string{Raw, Header, JSON, Env, ExecCredential}

// Valid reports whether format is one of Formats.
func Valid(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}

// Write writes cred to w in format (any of Formats but ExecCredential,
// which needs kubectl's exec info: see WriteExecCredential).
func Write(w io.Writer, cred record.Credential, format string, now time.Time) error {
	var err error
	switch format {
	case Raw:
		_, err = io.WriteString(w, cred.Token+"\n")
	case Header:
		scheme := HeaderScheme(cred.TokenType)
		if !record.IsB64Token(cred.Token) || !record.IsTokenType(scheme) {
			return fmt.Errorf("the token of profile %q cannot go into an Authorization header: it holds characters RFC 6750 does not allow in a bearer token; print it with: tok token -p %s -o raw", cred.Profile, cred.Profile)
		}
		_, err = io.WriteString(w, "Authorization: "+scheme+" "+cred.Token+"\n")
	case Env:
		var b strings.Builder
		for _, name := range append([]string{"TOK_TOKEN"}, cred.Env...) {
			b.WriteString(name + "=" + ShellQuote(cred.Token) + "\n")
		}
		b.WriteString("TOK_PROFILE=" + ShellQuote(cred.Profile) + "\n")
		_, err = io.WriteString(w, b.String())
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(NewJSONCredential(cred, now))
	default:
		return fmt.Errorf("unknown output format %q; choose one of: %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("could not write the token: %w", err)
	}
	return nil
}

// JSONCredential is the document `tok token -o json` prints. tok exec's
// front reads it back from tok-full, so both sides use this one type.
type JSONCredential struct {
	Profile   string `json:"profile"`
	Token     string `json:"token"`
	TokenType string `json:"token_type"`
	// ExpiresAt and ExpiresIn (whole seconds from now) are null when the
	// token's expiry is unknown or it never expires.
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *int64     `json:"expires_in"`
}

// NewJSONCredential is cred as `tok token -o json` prints it at now.
func NewJSONCredential(cred record.Credential, now time.Time) JSONCredential {
	out := JSONCredential{Profile: cred.Profile, Token: cred.Token, TokenType: HeaderScheme(cred.TokenType)}
	if !cred.Expiry.IsZero() {
		exp := cred.Expiry.UTC()
		in := int64(cred.Expiry.Sub(now).Seconds())
		out.ExpiresAt, out.ExpiresIn = &exp, &in
	}
	return out
}

// WriteExecCredential writes cred as the ExecCredential kubectl asked for
// in info at now. Its expirationTimestamp is when the token is due for
// renewal (one effective refresh margin before it expires), so kubectl asks
// again while tok can still refresh in time, and not before. A token handed
// out inside its margin (its refresh failed and it is still valid) gets
// half its remaining life instead: a timestamp in the past would make
// kubectl run tok before every request.
func WriteExecCredential(w io.Writer, info execcred.Info, cred record.Credential, now time.Time) error {
	exp := cred.Expiry
	if !exp.IsZero() {
		exp = ExecCredentialExpiry(cred, now)
	}
	return execcred.Write(w, info, cred.Token, exp)
}

// ExecCredentialExpiry is the expirationTimestamp WriteExecCredential
// gives cred at now; cred.Expiry must be set.
func ExecCredentialExpiry(cred record.Credential, now time.Time) time.Time {
	due := cred.Expiry.Add(-cred.Margin)
	if due.After(now) || !cred.Expiry.After(now) {
		return due
	}
	return now.Add(cred.Expiry.Sub(now) / 2)
}

// HeaderScheme normalises a token type for the Authorization header: RFC
// 6750 says "Bearer", and some servers answer "bearer".
func HeaderScheme(tokenType string) string {
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		return "Bearer"
	}
	return tokenType
}

// ShellQuote quotes s for POSIX shells.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
