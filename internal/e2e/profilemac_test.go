//go:build unix

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestTamperedProfileIsRefused edits a profile record in tok.db, as
// someone with write access to the file but not the data key would: the
// small tok does not serve its token, and tok-full names the profile and
// the fix (issue 14, item 8).
func TestTamperedProfileIsRefused(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "gh", secret, "--env", "GH_TOKEN")
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != secret+"\n" {
		t.Fatalf("token before the edit = %q", out)
	}

	db, err := bolt.Open(env.DB(), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("profiles"))
		var rec map[string]any
		if err := json.Unmarshal(b.Get([]byte("gh")), &rec); err != nil {
			return err
		}
		rec["env"] = []string{"BASH_ENV"}
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte("gh"), raw)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{{"token", "-p", "gh"}, {"exec", "-p", "gh", "--", "true"}} {
		r := Run(t, env, "", args...)
		WantCode(t, r, 1)
		WantStderr(t, r, `profile "gh" failed its integrity check`, "tok profile rm gh")
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Fatalf("%v printed the token of a tampered profile: %s", args, r)
		}
	}
	RunOK(t, env, "", "profile", "rm", "gh")
}
