package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealRoundTripAndBinding(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("ghp_supersecretvalue")
	sealed, err := s.Seal(secret, AD("gh", "token"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := s.Open(sealed, AD("gh", "token"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want the secret", got, err)
	}

	other, _ := NewKey()
	s2, _ := New(other)
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, tc := range map[string]struct {
		s      *Sealer
		sealed []byte
		ad     []byte
	}{
		"other profile": {s, sealed, AD("api", "token")},
		"other field":   {s, sealed, AD("gh", "refresh_token")},
		"other key":     {s2, sealed, AD("gh", "token")},
		"tampered":      {s, tampered, AD("gh", "token")},
		"truncated":     {s, sealed[:5], AD("gh", "token")},
	} {
		if _, err := tc.s.Open(tc.sealed, tc.ad); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open error = %v, want ErrOpen", name, err)
		}
	}
}

func TestSealEmpty(t *testing.T) {
	key, _ := NewKey()
	s, _ := New(key)
	sealed, err := s.Seal(nil, AD("p", "f"))
	if err != nil || sealed != nil {
		t.Fatalf("Seal(nil) = %v, %v; want nil, nil", sealed, err)
	}
	pt, err := s.Open(nil, AD("p", "f"))
	if err != nil || pt != nil {
		t.Fatalf("Open(nil) = %v, %v; want nil, nil", pt, err)
	}
}

func TestParseKey(t *testing.T) {
	key, _ := NewKey()
	got, err := ParseKey(key.String())
	if err != nil || got != key {
		t.Fatalf("ParseKey(String()) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "not base64!!", "c2hvcnQ="} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) succeeded, want error", bad)
		}
	}
}
