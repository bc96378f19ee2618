package tokens

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// recoverable reports whether the raw bytes of e's database hold a value
// sealed under e's key that opens, for profile and field, to secret: what
// someone with the file and the key could recover. Records are JSON, so
// sealed values appear base64-encoded.
func recoverable(t *testing.T, e *env, profile, field, secret string) bool {
	t.Helper()
	raw, err := os.ReadFile(store.New(e.home).Path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParseKey(e.key)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := seal.New(k)
	if err != nil {
		t.Fatal(err)
	}
	n := base64.StdEncoding.EncodedLen(1 + 12 + len(secret) + 16)
	ad := seal.AD(profile, field)
	for i := 0; i+n <= len(raw); i++ {
		b, err := base64.StdEncoding.DecodeString(string(raw[i : i+n]))
		if err != nil {
			continue
		}
		if pt, err := sl.Open(b, ad); err == nil && bytes.Equal(pt, []byte(secret)) {
			return true
		}
	}
	return false
}

// TestRemovedSecretsAreNotRecoverable: after tok profile rm, a replaced
// static token, a revoke (--local) and a refresh-token rotation, the old
// sealed values are gone from the database file, not only from its live
// records. The scan first checks that it finds a live secret.
func TestRemovedSecretsAreNotRecoverable(t *testing.T) {
	ctx := context.Background()

	t.Run("profile rm and a replaced static token", func(t *testing.T) {
		e := newEnv(t)
		svc := e.service()
		if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "gh", Type: record.Static}}, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetStaticToken(ctx, "gh", "ghp_first_secret_value", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if !recoverable(t, e, "gh", "access", "ghp_first_secret_value") {
			t.Fatal("the scan does not find a live secret; it could not find a dead one either")
		}
		if err := svc.SetStaticToken(ctx, "gh", "ghp_second_secret_value", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if recoverable(t, e, "gh", "access", "ghp_first_secret_value") {
			t.Error("the replaced static token can still be recovered from the database file")
		}
		if err := svc.RemoveProfile("gh"); err != nil {
			t.Fatal(err)
		}
		if recoverable(t, e, "gh", "access", "ghp_second_secret_value") {
			t.Error("the removed profile's token can still be recovered from the database file")
		}
	})

	t.Run("refresh-token rotation and revoke", func(t *testing.T) {
		e, _ := oauthEnv(t, authserver.Options{})
		first := unseal(t, e, "api", "refresh", readState(t, e, "api").Refresh)
		if !recoverable(t, e, "api", "refresh", first) {
			t.Fatal("the scan does not find the live refresh token")
		}
		start := time.Now()
		if _, err := e.service().Refresh(ctx, "api"); err != nil {
			t.Fatal(err)
		}
		t.Logf("refresh with rotation and scrub took %s", time.Since(start))
		second := unseal(t, e, "api", "refresh", readState(t, e, "api").Refresh)
		if second == first {
			t.Fatal("the test server did not rotate the refresh token")
		}
		if recoverable(t, e, "api", "refresh", first) {
			t.Error("the rotated-out refresh token can still be recovered from the database file")
		}
		if err := e.service().Forget("api"); err != nil {
			t.Fatal(err)
		}
		if recoverable(t, e, "api", "refresh", second) {
			t.Error("the forgotten refresh token can still be recovered from the database file")
		}
	})
}
