//go:build unix

package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noKeyring points tok at a session bus that does not exist, to prove
// that a step does not need the OS keyring.
const noKeyring = "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"

// newDataKey returns a random data key in TOK_KEY's format.
func newDataKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// exportKey runs tok config key export and returns the key.
func exportKey(t *testing.T, env Env) string {
	t.Helper()
	key := strings.TrimSpace(RunOK(t, env, "", "config", "key", "export"))
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 32 {
		t.Fatalf("config key export printed %q, not a base64 256-bit key (%v)", key, err)
	}
	return key
}

// copyDatabase copies env's tok.db into a fresh TOK_HOME, as a CI job that
// receives the database would get it, and returns that environment.
func copyDatabase(t *testing.T, env Env) Env {
	t.Helper()
	b, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	ci := NewEnv(t)
	if err := os.MkdirAll(ci.Home(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ci.DB(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return ci
}

// keyringHolds reports whether the Secret Service holds an item of service
// "tok" whose secret is key.
func keyringHolds(t *testing.T, env Env, key string) bool {
	t.Helper()
	RequireCommand(t, "secret-tool")
	r := RunProgram(t, env, "", "secret-tool", "search", "--all", "service", "tok")
	// Other tests add and delete items of service tok concurrently; one
	// deleted while secret-tool reads the list makes it fail.
	for try := 0; try < 10 && r.Code != 0 && strings.Contains(r.Stderr, "No such secret item"); try++ {
		r = RunProgram(t, env, "", "secret-tool", "search", "--all", "service", "tok")
	}
	WantCode(t, r, 0)
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.TrimSpace(line) == "secret = "+key {
			return true
		}
	}
	return false
}

// TestKeyringKeySource: with the default key source the data key is an
// item of service "tok" in the Secret Service, and tok config key export
// hands it to a CI job that uses TOK_KEY without any keyring.
func TestKeyringKeySource(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "ci", secret)

	if out := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); out != "keyring" {
		t.Errorf("config get key-source = %q, want keyring", out)
	}
	key := exportKey(t, env)
	if !keyringHolds(t, env, key) {
		t.Errorf("no item of service tok in the Secret Service holds the exported data key")
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); !os.IsNotExist(err) {
		t.Errorf("a key file exists beside the database with the keyring source (%v)", err)
	}

	ci := copyDatabase(t, env).With(noKeyring, "TOK_KEY_SOURCE=env", "TOK_KEY="+key)
	if out := RunOK(t, ci, "", "token", "-p", "ci"); out != secret+"\n" {
		t.Errorf("in a fresh process with TOK_KEY, token = %q", out)
	}
	r := Run(t, ci, "", "exec", "-p", "ci", "--", "sh", "-c", `printf %s "$TOK_TOKEN"`)
	WantCode(t, r, 0)
	if r.Stdout != secret {
		t.Errorf("exec with TOK_KEY gave the child %q", r.Stdout)
	}
}

// TestFileKeySource covers both ways of choosing the file key source; the
// key file is 0600 beside the database and no keyring is needed.
func TestFileKeySource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) Env
	}{
		{"tok config set key-source file", func(t *testing.T) Env {
			env := NewEnv(t).With(noKeyring)
			r := Run(t, env, "", "config", "set", "key-source", "file")
			WantCode(t, r, 0)
			WantStderr(t, r, "Key source is now file")
			return env
		}},
		{"TOK_KEY_SOURCE=file", func(t *testing.T) Env {
			return NewEnv(t).With(noKeyring, "TOK_KEY_SOURCE=file")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.setup(t)
			secret := NewSecret(t)
			addStatic(t, env, "gh", secret)
			if out := RunOK(t, env, "", "token", "-p", "gh"); out != secret+"\n" {
				t.Errorf("token = %q", out)
			}
			keyFile := filepath.Join(env.Home(), "key")
			info, err := os.Stat(keyFile)
			if err != nil {
				t.Fatalf("no key file beside the database: %v", err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("key file mode = %04o, want 0600", info.Mode().Perm())
			}
			b, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			if key := exportKey(t, env); strings.TrimSpace(string(b)) != key {
				t.Errorf("config key export does not print the key in the key file")
			}

			ci := copyDatabase(t, env).With("TOK_KEY_SOURCE=env", "TOK_KEY="+strings.TrimSpace(string(b)))
			if out := RunOK(t, ci, "", "token", "-p", "gh"); out != secret+"\n" {
				t.Errorf("with TOK_KEY from the key file, token = %q", out)
			}

			// Without its key file the database cannot be unsealed.
			if err := os.Rename(keyFile, keyFile+".moved"); err != nil {
				t.Fatal(err)
			}
			r := Run(t, env, "", "token", "-p", "gh")
			WantCode(t, r, 1)
			WantStderr(t, r, keyFile, "does not exist")
		})
	}
}

// TestEnvKeySource: TOK_KEY_SOURCE=env seals under TOK_KEY from the first
// secret on; nothing is written to a key file or the keyring.
func TestEnvKeySource(t *testing.T) {
	t.Parallel()
	key := newDataKey(t)
	env := NewEnv(t).With(noKeyring, "TOK_KEY_SOURCE=env", "TOK_KEY="+key)
	secret := NewSecret(t)
	addStatic(t, env, "ci", secret)
	if out := RunOK(t, env, "", "token", "-p", "ci"); out != secret+"\n" {
		t.Errorf("token = %q", out)
	}
	if got := exportKey(t, env); got != key {
		t.Errorf("config key export = %q, want TOK_KEY", got)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); !os.IsNotExist(err) {
		t.Errorf("the env key source wrote a key file (%v)", err)
	}
	// A different encoding of the same key (URL-safe, unpadded) works too.
	raw, _ := base64.StdEncoding.DecodeString(key)
	urlEnv := env.With("TOK_KEY=" + base64.RawURLEncoding.EncodeToString(raw))
	if out := RunOK(t, urlEnv, "", "token", "-p", "ci"); out != secret+"\n" {
		t.Errorf("with TOK_KEY in unpadded base64url, token = %q", out)
	}
}

// TestKeySourceMigration moves the data key from the keyring to a file and
// back; tokens stay readable and the old copy is removed each time.
func TestKeySourceMigration(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "gh", secret)
	key := exportKey(t, env)
	keyFile := filepath.Join(env.Home(), "key")

	RunOK(t, env, "", "config", "set", "key-source", "file")
	if keyringHolds(t, env, key) {
		t.Errorf("after moving to the file source, the keyring still holds the data key")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil || strings.TrimSpace(string(b)) != key {
		t.Fatalf("after moving to the file source, the key file holds %q (%v)", b, err)
	}
	if out := RunOK(t, env.With(noKeyring), "", "token", "-p", "gh"); out != secret+"\n" {
		t.Errorf("with the file source and no keyring, token = %q", out)
	}

	RunOK(t, env, "", "config", "set", "key-source", "keyring")
	if !keyringHolds(t, env, key) {
		t.Errorf("after moving back to the keyring, it does not hold the data key")
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("after moving back to the keyring, the key file is still there (%v)", err)
	}
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != secret+"\n" {
		t.Errorf("back on the keyring source, token = %q", out)
	}
}
