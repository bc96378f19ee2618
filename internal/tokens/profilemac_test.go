package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

// editDB changes tok.db in home directly, as someone with write access to
// the file but without the data key would.
func editDB(t *testing.T, home string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(home, store.FileName), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// editRecord rewrites profile name's stored JSON through edit.
func editRecord(t *testing.T, home, name string, edit func(rec map[string]any)) {
	t.Helper()
	editDB(t, home, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("profiles"))
		var rec map[string]any
		if err := json.Unmarshal(b.Get([]byte(name)), &rec); err != nil {
			return err
		}
		edit(rec)
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), raw)
	})
}

// Issue 14 item 8: editing token_endpoint in tok.db made tok send the
// client secret to the new address.
func TestTamperedTokenEndpointIsRefused(t *testing.T) {
	ctx := context.Background()
	e, srv := postOnlyEnv(t, record.FlowClientCredentials, oauth.ClientAuthPost)
	var stolen atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"evil","token_type":"Bearer","expires_in":3600}`))
	}))
	defer attacker.Close()
	editRecord(t, e.home, "api", func(rec map[string]any) {
		rec["oauth"].(map[string]any)["endpoints"].(map[string]any)["token_endpoint"] = attacker.URL + "/token"
	})

	_, err := e.service().Token(ctx, "api", record.Options{})
	if !errors.Is(err, store.ErrTampered) || !strings.Contains(err.Error(), `profile "api"`) || !strings.Contains(err.Error(), "run: tok profile rm api") {
		t.Fatalf("token of a tampered profile: err = %v, want the integrity error naming the profile and the fix", err)
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("%d requests reached the edited token endpoint, want 0", n)
	}
	if n := srv.Counts().TokenRequests(); n != 0 {
		t.Fatalf("%d token requests at the real server, want 0", n)
	}
	// A change through tok must not launder the edit either.
	if err := e.service().RenameProfile(ctx, "api", "api2"); !errors.Is(err, store.ErrTampered) {
		t.Fatalf("rename of a tampered profile: err = %v, want ErrTampered", err)
	}
	// Nor can profile set (an import that replaces the record).
	p := Profile{
		Profile: record.Profile{Name: "api", Type: record.OAuth},
		OAuth: &OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials},
			ClientID:      "conf",
			Endpoints:     oauth.Endpoints{TokenURL: srv.Issuer() + "/token"}}}
	if _, err := e.service().ImportProfiles(ctx, []ImportItem{{Profile: p}}, true); !errors.Is(err, store.ErrTampered) {
		t.Fatalf("profile set on a tampered profile: err = %v, want ErrTampered", err)
	}
	// The fix the error names works.
	if err := e.service().RemoveProfile("api"); err != nil {
		t.Fatalf("profile rm of a tampered profile: %v", err)
	}
}

// setupV1 turns e's database into one written before records had MACs:
// no MAC bucket and the old key check.
func setupV1(t *testing.T, e *env) {
	t.Helper()
	key, err := seal.ParseKey(e.key)
	if err != nil {
		t.Fatal(err)
	}
	sl, _ := seal.New(key)
	check, err := sl.Seal([]byte(keyCheckTextV1), keyCheckAD())
	if err != nil {
		t.Fatal(err)
	}
	editDB(t, e.home, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("profile_mac")); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("key_check"), check)
	})
}

func keyCheckPlain(t *testing.T, e *env) string {
	t.Helper()
	defer func() {
		if meta := readMeta(t, e); meta.Schema != store.SchemaVersion {
			t.Errorf("schema = %d, want %d", meta.Schema, store.SchemaVersion)
		}
	}()
	key, _ := seal.ParseKey(e.key)
	sl, _ := seal.New(key)
	meta := readMeta(t, e)
	plain, err := sl.Open(meta.KeyCheck, keyCheckAD())
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

func TestProfileMACMigration(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	for _, name := range []string{"a", "b"} {
		if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: name, Type: record.Static, Env: []string{"TOKEN_" + strings.ToUpper(name)}}}, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetStaticToken(ctx, name, "secret-"+name, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	setupV1(t, e)
	reader := &record.Reader{Store: store.New(e.home), Keys: svc.Keys, KeySource: string(keysource.Env), Now: e.clock.Now}

	// Before the migration the front hands every profile to tok-full.
	if res, err := reader.Lookup(ctx, "a", record.Options{}); err != nil || res.Served {
		t.Fatalf("front on a database without MACs: served=%v err=%v, want a hand-over", res.Served, err)
	}
	// tok-full serves it and migrates the whole database once.
	cred, err := e.service().Token(ctx, "a", record.Options{})
	if err != nil || cred.Token != "secret-a" {
		t.Fatalf("tok-full on a database without MACs: %q, %v", cred.Token, err)
	}
	if got := keyCheckPlain(t, e); got != keyCheckText {
		t.Fatalf("key check after migration = %q, want %q", got, keyCheckText)
	}
	for _, name := range []string{"a", "b"} {
		if res, err := reader.Lookup(ctx, name, record.Options{}); err != nil || !res.Served {
			t.Fatalf("front on %s after migration: served=%v err=%v, want served", name, res.Served, err)
		}
	}

	// A record and its MAC copied under another name fail: the MAC binds
	// the name.
	editDB(t, e.home, func(tx *bolt.Tx) error {
		for _, b := range []string{"profiles", "state"} {
			if err := tx.Bucket([]byte(b)).Put([]byte("c"), tx.Bucket([]byte(b)).Get([]byte("a"))); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("profile_mac")).Put([]byte("c"), tx.Bucket([]byte("profile_mac")).Get([]byte("a")))
	})
	if _, err := e.service().Token(ctx, "c", record.Options{}); !errors.Is(err, store.ErrTampered) {
		t.Fatalf("tok-full on a record copied to another name: err = %v, want ErrTampered", err)
	}

	// A stripped MAC after the migration is refused, not migrated again.
	editDB(t, e.home, func(tx *bolt.Tx) error { return tx.Bucket([]byte("profile_mac")).Delete([]byte("b")) })
	if res, err := reader.Lookup(ctx, "b", record.Options{}); err != nil || res.Served {
		t.Fatalf("front on a stripped MAC: served=%v err=%v, want a hand-over", res.Served, err)
	}
	if _, err := e.service().Token(ctx, "b", record.Options{}); !errors.Is(err, store.ErrTampered) {
		t.Fatalf("tok-full on a stripped MAC: err = %v, want ErrTampered", err)
	}
	// So is an edited record (env names go to tok exec's children).
	editRecord(t, e.home, "a", func(rec map[string]any) { rec["env"] = []string{"BASH_ENV"} })
	if res, err := reader.Lookup(ctx, "a", record.Options{}); err != nil || res.Served {
		t.Fatalf("front on an edited record: served=%v err=%v, want a hand-over", res.Served, err)
	}
	if _, err := e.service().Token(ctx, "a", record.Options{}); !errors.Is(err, store.ErrTampered) {
		t.Fatalf("tok-full on an edited record: err = %v, want ErrTampered", err)
	}
}

// Profiles written before the database had a data key get their MAC
// when it is created; writes through tok keep records valid.
func TestProfileMACAcrossWrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "early", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "later", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetStaticToken(ctx, "later", "t-later", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.service().SetStaticToken(ctx, "early", "t-early", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.service().RenameProfile(ctx, "early", "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := e.service().AddProfile(ctx, Profile{Profile: record.Profile{Name: "third", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.service().SetStaticToken(ctx, "third", "t-third", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"renamed": "t-early", "later": "t-later", "third": "t-third"} {
		if cred, err := e.service().Token(ctx, name, record.Options{}); err != nil || cred.Token != want {
			t.Fatalf("token of %s: %q, %v", name, cred.Token, err)
		}
	}
	// A writer without the key is refused rather than storing a record
	// tok would later reject.
	err := store.New(e.home).Update(func(tx *store.Tx) error {
		return tx.Put(store.Profiles, "x", Profile{Profile: record.Profile{Name: "x", Type: record.Static}})
	})
	if !errors.Is(err, store.ErrUnauthenticatedWrite) {
		t.Fatalf("profile write without the key: err = %v, want ErrUnauthenticatedWrite", err)
	}
}

func readMeta(t *testing.T, e *env) store.Meta {
	t.Helper()
	var meta store.Meta
	if err := store.New(e.home).View(func(tx *store.Tx) error { meta = tx.Meta(); return nil }); err != nil {
		t.Fatal(err)
	}
	return meta
}
