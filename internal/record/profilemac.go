package record

import (
	"crypto/hmac"
	"crypto/sha256"

	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// Profile records hold no secret but decide where secrets go (the token
// endpoint receives the client secret and refresh token), so each record
// carries a MAC under a key derived from the data key, bound to the
// profile's name: an edit to the file by anyone without the data key is
// refused instead of obeyed. See docs/storage-and-security.md.

// profileMACLabel separates the MAC key from every other use of the data key.
const profileMACLabel = "tok/v1 profile-mac"

// ProfileAuth returns the store.ProfileAuth of data key key; required
// says the database requires a MAC on every record (tok-full reads that
// from the key check it writes).
func ProfileAuth(key seal.Key, required bool) *store.ProfileAuth {
	d := hmac.New(sha256.New, key[:])
	d.Write([]byte(profileMACLabel))
	macKey := d.Sum(nil)
	return &store.ProfileAuth{Required: required, Sum: func(name string, record []byte) []byte {
		m := hmac.New(sha256.New, macKey)
		m.Write([]byte(name))
		m.Write([]byte{0})
		m.Write(record)
		return m.Sum(nil)
	}}
}
