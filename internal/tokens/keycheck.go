package tokens

import (
	"context"
	"fmt"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// The key check is written and checked only by tok-full: it tells a wrong
// data key from damaged data, and says whether every profile record must
// carry a MAC. The read path needs neither (AES-GCM authenticates each
// token, and any failure there hands over to tok-full), so these live here
// rather than in package record.

// keyCheckText is the value sealed into a database's key check. It also
// says that every profile record carries a MAC (see record.ProfileAuth):
// the key check is sealed, so nobody without the data key can turn it back
// into keyCheckTextV1 to make tok accept records without one.
const keyCheckText = "tok key check v2: profiles authenticated"

// keyCheckTextV1 is the key check of a database written before profile
// records had MACs; tok-full adds them and replaces the key check.
const keyCheckTextV1 = "tok key check"

// profilesAuthenticated reports whether the database of meta requires a
// MAC on every profile record (its key check is keyCheckText).
func profilesAuthenticated(sl *seal.Sealer, meta store.Meta) bool {
	plain, err := sl.Open(meta.KeyCheck, keyCheckAD())
	return err == nil && string(plain) == keyCheckText
}

// keyCheckAD is the associated data of the key check.
func keyCheckAD() []byte { return seal.AD("", "key-check") }

// verifiedSealer fetches the data key from src and checks it against the
// database, so that a wrong key is reported as such rather than as
// corrupted data.
func verifiedSealer(ctx context.Context, keys record.Keys, meta store.Meta, src keysource.Source) (seal.Key, *seal.Sealer, error) {
	key, err := keys.Get(ctx, src, meta.KeyID)
	if err != nil {
		return seal.Key{}, nil, fmt.Errorf("could not get the data key (key source %s): %w", src, err)
	}
	sl, err := seal.New(key)
	if err != nil {
		return seal.Key{}, nil, err
	}
	if len(meta.KeyCheck) > 0 {
		if _, err := sl.Open(meta.KeyCheck, keyCheckAD()); err != nil {
			return seal.Key{}, nil, fmt.Errorf("the data key from key source %s does not match this database; check TOK_KEY, the key file, or TOK_HOME", src)
		}
	}
	return key, sl, nil
}
