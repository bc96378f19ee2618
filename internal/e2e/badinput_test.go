//go:build unix

package e2e

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUnknownProfile(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	addStatic(t, env, "real", "real-token")

	for _, args := range [][]string{
		{"token", "-p", "nope"},
		{"exec", "-p", "nope", "--", "sh", "-c", "echo child ran"},
		{"login", "-p", "nope", "--with-token"},
		{"inspect", "-p", "nope"},
		{"status", "-p", "nope"},
		{"profile", "show", "nope"},
		{"profile", "rename", "nope", "other"},
		{"profile", "rm", "nope"},
		{"use", "nope"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := Run(t, env, "some-token\n", args...)
			WantCode(t, r, 1)
			WantStderr(t, r, `"nope"`, "tok profile list")
			if r.Stdout != "" {
				t.Errorf("stdout is not empty: %s", r)
			}
		})
	}
	if out := RunOK(t, env, "", "token"); out != "real-token\n" {
		t.Errorf("the failed commands changed the default profile: token = %q", out)
	}
}

func TestMalformedProfileName(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	for _, name := range []string{"bad name", "", "a/b", "../escape", ".hidden", "_under", "tab\there", "new\nline", "naïve", strings.Repeat("a", 65)} {
		t.Run(name, func(t *testing.T) {
			r := Run(t, env, "", "profile", "add", name, "--type", "static")
			WantCode(t, r, 2)
			WantStderr(t, r, "invalid profile name", "letters, digits")
		})
	}
	if _, err := os.Stat(env.Home()); !os.IsNotExist(err) {
		t.Errorf("refused profile adds created tok's home %s (%v)", env.Home(), err)
	}

	addStatic(t, env, "ok", "ok-token")
	r := Run(t, env, "", "profile", "rename", "ok", "not ok")
	WantCode(t, r, 2)
	WantStderr(t, r, "invalid profile name")
	if out := RunOK(t, env, "", "token", "-p", "ok"); out != "ok-token\n" {
		t.Errorf("after a refused rename, token -p ok = %q", out)
	}
	// The longest valid name still works.
	long := strings.Repeat("b", 64)
	addStatic(t, env, long, "long-token")
	if out := RunOK(t, env, "", "token", "-p", long); out != "long-token\n" {
		t.Errorf("token -p %s = %q", long, out)
	}
}

// realDatabase returns the bytes of a database with several profiles and
// tokens, so big that they cannot fit in one page.
func realDatabase(t *testing.T) []byte {
	t.Helper()
	env := FileKeyEnv(t)
	desc := strings.Repeat("d", 1000)
	for _, name := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "gh"} {
		addStatic(t, env, name, "token-"+name, "--description", desc)
	}
	b, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorruptDatabase: a damaged tok.db gives an error that names the file
// and what to do, exit 1, no crash, and tok leaves the file as it is.
func TestCorruptDatabase(t *testing.T) {
	t.Parallel()
	real := realDatabase(t)
	garbage := make([]byte, 64<<10)
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"random bytes", garbage},
		{"text", []byte("this is not a bbolt database\n")},
		// bbolt keeps two meta pages first; the profiles need several more.
		{"truncated to the meta pages", real[:8192]},
		{"truncated to three pages", real[:12288]},
		{"data pages zeroed", append(bytes.Clone(real[:8192]), make([]byte, len(real)-8192)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := FileKeyEnv(t)
			if err := os.MkdirAll(env.Home(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(env.DB(), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"token", "-p", "gh"},
				{"token"},
				{"profile", "list"},
				{"status"},
				{"profile", "add", "new", "--type", "static"},
				{"login", "-p", "gh", "--with-token"},
				{"profile", "rm", "gh"},
			} {
				r := Run(t, env, "new-token\n", args...)
				WantCode(t, r, 1)
				WantStderr(t, r, env.DB(), "corrupted", "mv ")
			}
			got, err := os.ReadFile(env.DB())
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("tok changed the corrupted database (%v)", err)
			}
		})
	}
}

// TestEmptyDatabaseFile: a zero-byte tok.db (a crash before the first
// write finished) behaves like no database, and the next write sets it up.
func TestEmptyDatabaseFile(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	if err := os.MkdirAll(env.Home(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env.DB(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := Run(t, env, "", "profile", "list")
	WantCode(t, r, 0)
	WantStderr(t, r, "No profiles yet")
	addStatic(t, env, "a", "token-a")
	if out := RunOK(t, env, "", "token"); out != "token-a\n" {
		t.Errorf("token = %q", out)
	}
}

// TestLockedDatabase holds an exclusive lock on tok.db, as a writer that
// hangs would, and expects a quick, clear error instead of a hang.
func TestLockedDatabase(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t).With("TOK_DB_TIMEOUT=300ms")
	addStatic(t, env, "gh", "gh-token")

	f, err := os.OpenFile(env.DB(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatalf("could not lock %s: %v", env.DB(), err)
	}
	for _, args := range [][]string{
		{"token", "-p", "gh"},
		{"profile", "list"},
		{"profile", "add", "new", "--type", "static"},
		{"login", "-p", "gh", "--with-token"},
	} {
		r := Run(t, env, "new-token\n", args...)
		WantCode(t, r, 1)
		WantStderr(t, r, "locked", env.DB())
		if r.Elapsed > 5*time.Second {
			t.Errorf("tok took %s to give up on a locked database (TOK_DB_TIMEOUT=300ms)", r.Elapsed)
		}
	}

	if err := unix.Flock(int(f.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != "gh-token\n" {
		t.Errorf("after the lock was released, token = %q", out)
	}
}

// TestInsecureDatabaseMode: a database other users can read is refused
// with the chmod that fixes it.
func TestInsecureDatabaseMode(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	addStatic(t, env, "gh", "gh-token")
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(env.DB(), mode); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"token", "-p", "gh"}, {"profile", "add", "new", "--type", "static"}} {
			r := Run(t, env, "", args...)
			WantCode(t, r, 1)
			WantStderr(t, r, "chmod 600 "+env.DB(), "other users")
			if r.Stdout != "" {
				t.Errorf("mode %04o: stdout is not empty: %s", mode, r)
			}
		}
	}
	if err := os.Chmod(env.DB(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != "gh-token\n" {
		t.Errorf("after chmod 600, token = %q", out)
	}
}

// TestKeyringUnreachable: with no Secret Service, storing a secret fails
// fast with an error that names the file key source, and tok does not
// switch to it on its own.
func TestKeyringUnreachable(t *testing.T) {
	t.Parallel()
	env := NewEnv(t).With("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
	secret := NewSecret(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")
	r := Run(t, env, secret+"\n", "login", "-p", "gh", "--with-token")
	WantCode(t, r, 1)
	WantStderr(t, r, "no OS keyring here; run: tok config set key-source passphrase", "file")
	if r.Elapsed > 3*time.Second {
		t.Errorf("tok took %s to give up on an unreachable keyring; the keyring timeout is 3s", r.Elapsed)
	}
	if strings.Contains(r.Stderr, secret) {
		t.Errorf("the error shows the secret: %s", r)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); !os.IsNotExist(err) {
		t.Errorf("tok fell back to a key file on its own (%v)", err)
	}
	r = Run(t, env, "", "token", "-p", "gh")
	WantCode(t, r, 4)

	// The ways out the message names work without a keyring (the
	// passphrase source is tested in passphrase_test.go).
	RunOK(t, env, "", "config", "set", "key-source", "file")
	RunOK(t, env, secret+"\n", "login", "-p", "gh", "--with-token")
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != secret+"\n" {
		t.Errorf("with key-source file, token = %q", out)
	}
}

// TestWrongEnvKey: a database sealed under one TOK_KEY refuses another
// key with a message that says so, rather than calling it corrupted.
func TestWrongEnvKey(t *testing.T) {
	t.Parallel()
	key, other := newDataKey(t), newDataKey(t)
	env := NewEnv(t).With("TOK_KEY_SOURCE=env", "TOK_KEY="+key)
	secret := NewSecret(t)
	addStatic(t, env, "ci", secret)
	if out := RunOK(t, env, "", "token", "-p", "ci"); out != secret+"\n" {
		t.Fatalf("token with the right TOK_KEY = %q", out)
	}

	for _, tc := range []struct {
		name string
		env  Env
		want []string
	}{
		{"another key", env.With("TOK_KEY=" + other), []string{"does not match this database", "TOK_KEY"}},
		{"no key", env.Without("TOK_KEY"), []string{"TOK_KEY is not set", "tok config key export"}},
		{"not base64", env.With("TOK_KEY=not*a*key"), []string{"TOK_KEY", "base64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{{"token", "-p", "ci"}, {"exec", "-p", "ci", "--", "true"}} {
				r := Run(t, tc.env, "", args...)
				WantCode(t, r, 1)
				WantStderr(t, r, tc.want...)
				if strings.Contains(r.Stderr, "corrupted") {
					t.Errorf("a wrong key is reported as corruption: %s", r)
				}
				if tc.env["TOK_KEY"] != "" && strings.Contains(r.Stderr, tc.env["TOK_KEY"]) {
					t.Errorf("the error shows TOK_KEY: %s", r)
				}
			}
		})
	}
}
