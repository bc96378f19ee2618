package jwt

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestDecode(t *testing.T) {
	tok := enc(`{"alg":"RS256","kid":"k1"}`) + "." + enc(`{"sub":"alice","exp":1767225600,"iat":1767222000.5,"aud":["a","b"]}`) + "." + enc("sig-bytes")
	d, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if d.Header["alg"] != "RS256" || d.Claims["sub"] != "alice" || d.SignatureBytes != 9 {
		t.Fatalf("decoded %+v", d)
	}
	exp, ok := d.Time("exp")
	if !ok || !exp.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("exp = %v, %v", exp, ok)
	}
	iat, ok := d.Time("iat")
	if !ok || iat.Nanosecond() != 5e8 {
		t.Fatalf("iat = %v, %v", iat, ok)
	}
	if _, ok := d.Time("sub"); ok {
		t.Fatal("a string claim read as a time")
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, in := range map[string]string{
		"opaque":        "ghp_abcdef0123456789",
		"two parts":     enc(`{}`) + "." + enc(`{}`),
		"jwe":           "a.b.c.d.e",
		"bad base64":    "!!!." + enc(`{}`) + ".x",
		"header array":  enc(`[1]`) + "." + enc(`{}`) + ".",
		"claims null":   enc(`{}`) + "." + enc(`null`) + ".",
		"claims not js": enc(`{}`) + "." + enc(`nope`) + ".",
	} {
		if _, err := Decode(in); !errors.Is(err, ErrNotJWT) {
			t.Errorf("%s: err = %v, want ErrNotJWT", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(enc(`{"alg":"none"}`) + "." + enc(`{"exp":1}`) + ".")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Decode(s)
		if err == nil && (d.Header == nil || d.Claims == nil) {
			t.Fatalf("Decode(%q) succeeded with nil maps", s)
		}
		if err == nil {
			_, _ = d.Time("exp")
		}
	})
}
