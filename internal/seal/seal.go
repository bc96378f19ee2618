// Package seal encrypts tok's secrets with AES-256-GCM under the data key.
//
// A sealed value is: version byte (1) || 12-byte random nonce || ciphertext+tag.
// The associated data binds a ciphertext to where it belongs (profile name and
// field), so a value copied into another profile or field fails to open
// instead of silently authenticating someone else's token.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length of a data key in bytes (AES-256).
const KeySize = 32

const (
	version   = 1
	nonceSize = 12
)

// ErrOpen means a sealed value could not be authenticated: wrong key, wrong
// profile/field binding, or tampered bytes. It never carries plaintext.
var ErrOpen = errors.New("sealed value failed authentication (wrong data key or tampered data)")

// Key is a 256-bit data key.
type Key [KeySize]byte

// NewKey returns a fresh random data key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("could not generate data key: %w", err)
	}
	return k, nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) data key.
func ParseKey(s string) (Key, error) {
	var k Key
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			if len(b) != KeySize {
				return Key{}, fmt.Errorf("data key is %d bytes, want %d", len(b), KeySize)
			}
			copy(k[:], b)
			return k, nil
		}
	}
	return Key{}, errors.New("data key is not valid base64")
}

// String encodes the key as standard base64. Only key sources call it.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// Sealer seals and opens values under one key.
type Sealer struct{ aead cipher.AEAD }

// New returns a Sealer for key.
func New(key Key) (*Sealer, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("could not create cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("could not create AEAD: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// AD builds the associated data for a profile's field.
func AD(profile, field string) []byte {
	return []byte("tok/v1\x00" + profile + "\x00" + field)
}

// Seal encrypts plaintext bound to ad. An empty plaintext seals to nil so
// that "no secret" stays distinguishable without spending a nonce.
func (s *Sealer) Seal(plaintext, ad []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("could not generate nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, ad), nil
}

// Open decrypts a value produced by Seal with the same ad.
func (s *Sealer) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if len(sealed) < 1+nonceSize+s.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
