// Package jwt decodes JSON Web Tokens for display. It does NOT verify
// signatures: it is for people inspecting their own tokens, never for
// trusting one (ID tokens are verified by internal/oauth with go-oidc).
package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrNotJWT means the input is not a compact JWS (three base64url parts
// with JSON header and claims). Opaque access tokens are common.
var ErrNotJWT = errors.New("not a JWT (tokens from many providers are opaque strings; only JWTs can be decoded)")

// Decoded is a token's parts.
type Decoded struct {
	Header map[string]any
	Claims map[string]any
	// SignatureBytes is the length of the signature; 0 for unsecured JWTs.
	SignatureBytes int
}

// maxLen bounds what Decode will look at; real tokens are a few KB.
const maxLen = 64 << 10

// Decode splits and decodes a compact JWT without verifying it.
func Decode(token string) (Decoded, error) {
	token = strings.TrimSpace(token)
	if len(token) > maxLen {
		return Decoded{}, fmt.Errorf("%w: input is larger than %d bytes", ErrNotJWT, maxLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		if len(parts) == 5 {
			return Decoded{}, fmt.Errorf("%w: this is an encrypted JWT (JWE); its claims cannot be read without the key", ErrNotJWT)
		}
		return Decoded{}, ErrNotJWT
	}
	var d Decoded
	if err := decodePart(parts[0], &d.Header); err != nil {
		return Decoded{}, fmt.Errorf("%w: header: %v", ErrNotJWT, err)
	}
	if err := decodePart(parts[1], &d.Claims); err != nil {
		return Decoded{}, fmt.Errorf("%w: claims: %v", ErrNotJWT, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return Decoded{}, fmt.Errorf("%w: signature is not base64url", ErrNotJWT)
	}
	d.SignatureBytes = len(sig)
	return d, nil
}

func decodePart(s string, v *map[string]any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return errors.New("not base64url")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errors.New("not a JSON object")
	}
	if *v == nil {
		return errors.New("not a JSON object")
	}
	return nil
}

// Time reads a NumericDate claim (exp, iat, nbf).
func (d Decoded) Time(claim string) (time.Time, bool) {
	n, ok := d.Claims[claim].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}
