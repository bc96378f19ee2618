//go:build unix

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encodings are the forms in which a leaked secret could show up.
func encodings(secret string) map[string][]byte {
	b := []byte(secret)
	return map[string][]byte{
		"plain":     b,
		"base64":    []byte(base64.StdEncoding.EncodeToString(b)),
		"base64url": []byte(base64.RawURLEncoding.EncodeToString(b)),
		"hex":       []byte(hex.EncodeToString(b)),
	}
}

// TestSecretNotInDatabase stores recognisable secrets with every key
// source and looks for them, in any common encoding, in tok.db.
func TestSecretNotInDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) Env
	}{
		{"keyring", func(t *testing.T) Env { return KeyringEnv(t) }},
		{"file", func(t *testing.T) Env { return FileKeyEnv(t) }},
		{"env", func(t *testing.T) Env { return NewEnv(t).With("TOK_KEY_SOURCE=env", "TOK_KEY="+newDataKey(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.env(t)
			first, second := NewSecret(t), NewSecret(t)
			addStatic(t, env, "gh", first, "--env", "GH_TOKEN")
			// Replace it: the old token must not linger in free pages either.
			RunOK(t, env, second+"\n", "login", "-p", "gh", "--with-token")
			if out := RunOK(t, env, "", "token", "-p", "gh"); out != second+"\n" {
				t.Fatalf("token = %q", out)
			}
			key := exportKey(t, env)

			db, err := os.ReadFile(env.DB())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(db, []byte("GH_TOKEN")) {
				t.Fatalf("tok.db does not contain the profile's configuration; is %s the right file?", env.DB())
			}
			leaks := map[string]string{"first token": first, "second token": second}
			if tc.name != "file" {
				// With the file source the key sits beside the database by design.
				raw, _ := base64.StdEncoding.DecodeString(key)
				leaks["data key"] = key
				leaks["raw data key"] = string(raw)
			}
			for what, secret := range leaks {
				for enc, b := range encodings(secret) {
					if bytes.Contains(db, b) {
						t.Errorf("tok.db contains the %s (%s)", what, enc)
					}
				}
			}
		})
	}
}

// TestFileModes: tok creates its home 0700 and its files 0600 even under a
// umask that would let everyone read them.
func TestFileModes(t *testing.T) {
	t.Parallel()
	for _, source := range []string{"keyring", "file"} {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			var env Env
			if source == "keyring" {
				env = KeyringEnv(t)
			} else {
				env = FileKeyEnv(t)
			}
			script := `umask 000 && tok profile add gh --type static && echo "$1" | tok login -p gh --with-token`
			WantCode(t, RunProgram(t, env, "", "sh", "-c", script, "sh", NewSecret(t)), 0)

			want := map[string]os.FileMode{env.Home(): 0o700 | os.ModeDir, env.DB(): 0o600}
			if source == "file" {
				want[filepath.Join(env.Home(), "key")] = 0o600
			}
			for path, mode := range want {
				info, err := os.Stat(path)
				if err != nil {
					t.Errorf("%v", err)
					continue
				}
				if got := info.Mode() & (os.ModeDir | os.ModePerm); got != mode {
					t.Errorf("%s has mode %v, want %v", path, got, mode)
				}
			}
			entries, err := os.ReadDir(env.Home())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				info, err := e.Info()
				if err == nil && info.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s in tok's home has mode %v", e.Name(), info.Mode())
				}
			}
		})
	}
}

// TestNoSecretInLogsOrErrors runs tok with --debug / TOK_DEBUG=1 through
// successful and failing commands and checks that the secret appears on
// stdout only where it is the requested output, and never on stderr.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	secret := NewSecret(t)
	RunOK(t, env, "", "--debug", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN")
	debug := env.With("TOK_DEBUG=1")
	// A home whose data key is in no cache, on a bus without a keyring.
	unreachable := NewEnv(t).With(noKeyring, "TOK_DEBUG=1")
	RunOK(t, unreachable, "", "profile", "add", "other", "--type", "static")

	for _, tc := range []struct {
		name        string
		env         Env
		stdin       string
		args        []string
		code        int
		tokenOnOut  bool // stdout is the token by design
		wantsDebugs bool // the run gets far enough to log
	}{
		{"login", env, secret + "\n", []string{"--debug", "login", "-p", "gh", "--with-token"}, 0, false, false},
		{"token", env, "", []string{"--debug", "token", "-p", "gh"}, 0, true, true},
		{"token json via TOK_DEBUG", debug, "", []string{"token", "-p", "gh", "-o", "json"}, 0, true, true},
		{"exec", env, "", []string{"--debug", "exec", "-p", "gh", "--", "true"}, 0, false, true},
		{"status", debug, "", []string{"status"}, 0, false, false},
		{"profile show", debug, "", []string{"profile", "show", "gh", "--json"}, 0, false, false},
		{"inspect of an opaque token", debug, "", []string{"inspect", "-p", "gh"}, 1, false, true},
		{"inspect of an opaque token from stdin", debug, secret + "\n", []string{"inspect", "-"}, 1, false, false},
		{"unknown output format", debug, "", []string{"token", "-p", "gh", "-o", "xml"}, 2, false, false},
		{"nested exec", debug.With("TOK_EXEC=gh"), "", []string{"exec", "-p", "gh", "--", "true"}, 1, false, true},
		{"exec of a missing command", debug, "", []string{"exec", "-p", "gh", "--", "tok-e2e-missing"}, 127, false, true},
		{"bad expiry on login", debug, secret + "\n", []string{"login", "-p", "gh", "--with-token", "--expires-at", "soon"}, 2, false, false},
		{"login to a missing profile", debug, secret + "\n", []string{"login", "-p", "missing", "--with-token"}, 1, false, false},
		{"wrong TOK_KEY", debug.With("TOK_KEY_SOURCE=env", "TOK_KEY="+newDataKey(t)), "", []string{"token", "-p", "gh"}, 1, false, false},
		{"keyring unreachable", unreachable, secret + "\n", []string{"login", "-p", "other", "--with-token"}, 1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(t, tc.env, tc.stdin, tc.args...)
			WantCode(t, r, tc.code)
			if tc.wantsDebugs && !strings.Contains(r.Stderr, "level=DEBUG") {
				t.Errorf("debug logging is off, so this case proves nothing: %s", r)
			}
			for enc, b := range encodings(secret) {
				if bytes.Contains([]byte(r.Stderr), b) {
					t.Errorf("stderr contains the secret (%s): %s", enc, r)
				}
				if !tc.tokenOnOut && bytes.Contains([]byte(r.Stdout), b) {
					t.Errorf("stdout contains the secret (%s): %s", enc, r)
				}
			}
		})
	}
}
