//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestExecHidesToksSecrets: the child of tok exec inherits neither the
// data key (TOK_KEY) nor an ephemeral profile's client secret
// (TOK_CLIENT_SECRET), and --mask hides their values when the child gets
// them some other way. Both binaries run children: the small tok for a
// stored profile, tok-full for an ephemeral one.
func TestExecHidesToksSecrets(t *testing.T) {
	t.Parallel()
	const show = `printf 'key=[%s] secret=[%s] leak=[%s]\n' "$TOK_KEY" "$TOK_CLIENT_SECRET" "$E2E_LEAK"`

	t.Run("TOK_KEY from the small tok", func(t *testing.T) {
		t.Parallel()
		key := newDataKey(t)
		env := NewEnv(t).With("TOK_KEY_SOURCE=env", "TOK_KEY="+key)
		addStatic(t, env, "ci", NewSecret(t))
		r := Run(t, env, "", "exec", "-p", "ci", "--", "sh", "-c", show)
		WantCode(t, r, 0)
		if r.Stdout != "key=[] secret=[] leak=[]\n" {
			t.Errorf("child saw %q, want no TOK_KEY", r.Stdout)
		}
		r = Run(t, env.With("E2E_LEAK="+key), "", "exec", "-p", "ci", "--mask", "--", "sh", "-c", show)
		WantCode(t, r, 0)
		if r.Stdout != "key=[] secret=[] leak=[***]\n" {
			t.Errorf("with --mask the child printed %q, want the key masked", r.Stdout)
		}
	})

	t.Run("TOK_CLIENT_SECRET from tok-full", func(t *testing.T) {
		t.Parallel()
		srv := authserver.New(t, authserver.Options{})
		secret := NewSecret(t)
		srv.AddClient(authserver.Client{ID: "ci", Secret: secret})
		env := ciEnv(t).With("TOK_CLIENT_SECRET="+secret, "E2E_LEAK="+secret)
		r := Run(t, env, "", "exec", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile", "--mask", "--", "sh", "-c", show)
		WantCode(t, r, 0)
		if r.Stdout != "key=[] secret=[] leak=[***]\n" {
			t.Errorf("child printed %q, want no TOK_CLIENT_SECRET and the leaked copy masked", r.Stdout)
		}
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Error("the client secret reached the output")
		}
	})
}

// TestDangerousEnvNamesRefused: profile add, set, import and tok exec
// refuse variables like BASH_ENV that would let a token (chosen by an
// identity provider) decide what the child runs; import names the
// variables each profile sets.
func TestDangerousEnvNamesRefused(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)

	r := Run(t, env, "", "profile", "add", "evil", "--type", "static", "--env", "BASH_ENV")
	WantCode(t, r, 2)
	WantStderr(t, r, `"BASH_ENV" is refused`)

	file := writeFile(t, "version: 1\nprofiles:\n  - name: evil\n    type: static\n    env: [GH_TOKEN, LD_PRELOAD]\n")
	r = Run(t, env, "", "profile", "import", file)
	WantCode(t, r, 1)
	WantStderr(t, r, `"LD_PRELOAD" is refused`, "nothing was imported")

	file = writeFile(t, "version: 1\nprofiles:\n  - name: fine\n    type: static\n    env: [GH_TOKEN, NPM_TOKEN]\n")
	r = Run(t, env, "", "profile", "import", file)
	WantCode(t, r, 0)
	WantStderr(t, r, "tok exec puts its token in: GH_TOKEN, NPM_TOKEN")

	addStatic(t, env, "gh", NewSecret(t))
	r = Run(t, env, "", "exec", "-p", "gh", "--env", "PATH", "--", "true")
	WantCode(t, r, 2)
	WantStderr(t, r, `"PATH" is refused`)

	r = Run(t, env, "", "profile", "set", "gh", "--env", "NODE_OPTIONS")
	WantCode(t, r, 2)
	WantStderr(t, r, `"NODE_OPTIONS" is refused`)
}

// TestStaticTokenValues: tok login --with-token refuses control
// characters and input over 1 MiB (it used to store NUL bytes and cut
// large input silently), and -o header refuses a token that would break
// the header, from the small tok and from tok-full alike.
func TestStaticTokenValues(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")

	for name, input := range map[string]string{
		"NUL":         "abc\x00def\n",
		"CR LF":       "abc\r\nX-Injected: 1\n",
		"over 1 MiB":  strings.Repeat("a", 1<<20+1),
		"binary data": "\xff\xfe\xfd\n",
	} {
		r := Run(t, env, input, "login", "-p", "gh", "--with-token")
		WantCode(t, r, 1)
		WantStderr(t, r, "nothing")
		if st := Run(t, env, "", "token", "-p", "gh"); st.Code != 4 {
			t.Errorf("%s: after a refused login, tok token = %s; want no token stored", name, st)
		}
	}

	RunOK(t, env, "key with spaces\n", "login", "-p", "gh", "--with-token")
	if out := RunOK(t, env, "", "token", "-p", "gh"); out != "key with spaces\n" {
		t.Errorf("raw token = %q", out)
	}
	r := Run(t, env, "", "token", "-p", "gh", "-o", "header")
	WantCode(t, r, 1)
	WantStderr(t, r, "cannot go into an Authorization header", "-o raw")
	if r.Stdout != "" {
		t.Errorf("-o header wrote %q", r.Stdout)
	}
}

// TestKeyExportToFile: tok config key export -o FILE creates a 0600 file
// even under umask 000, never replaces an existing file or symlink, and
// the key it holds opens a copy of the database.
func TestKeyExportToFile(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "ci", secret)
	dir := t.TempDir()
	file := filepath.Join(dir, "key.b64")

	r := RunProgram(t, env, "", "sh", "-c", `umask 000; exec tok config key export -o "$1"`, "sh", file)
	WantCode(t, r, 0)
	WantStderr(t, r, "Wrote the data key to "+file)
	info, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
	}
	key, _ := os.ReadFile(file)
	ci := copyDatabase(t, env).With("TOK_KEY_SOURCE=env", "TOK_KEY="+strings.TrimSpace(string(key)))
	if out := RunOK(t, ci, "", "token", "-p", "ci"); out != secret+"\n" {
		t.Errorf("token with the exported key = %q", out)
	}

	r = Run(t, env, "", "config", "key", "export", "-o", file, "--force")
	WantCode(t, r, 1)
	WantStderr(t, r, "already exists")
	if again, _ := os.ReadFile(file); !bytes.Equal(again, key) {
		t.Error("a refused export changed the file")
	}

	planted := filepath.Join(dir, "planted")
	target := filepath.Join(dir, "target")
	if err := os.Symlink(target, planted); err != nil {
		t.Fatal(err)
	}
	r = Run(t, env, "", "config", "key", "export", "-o", planted)
	WantCode(t, r, 1)
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the export followed a symlink and created %s (%v)", target, err)
	}
}

// TestExecParentHasNoCoreDumps: the tok that waits for the child of tok
// exec (holding its token, and the data key while it read it) may not
// write a core file, while the child keeps the core limit it would have
// had without tok. Both binaries run children: the small tok for a stored
// profile, tok-full for an ephemeral one. (That the process is also not
// dumpable is checked in internal/procguard; from outside only root
// could tell, and root may read it anyway.)
func TestExecParentHasNoCoreDumps(t *testing.T) {
	t.Parallel()
	// tok lowers its limit again right after the child started: wait for
	// that (up to 5s), then show both limits.
	const show = `for i in $(seq 50); do grep -q "^Max core file size *0 " /proc/$PPID/limits && break; sleep 0.1; done
grep "Max core file size" /proc/$PPID/limits /proc/self/limits | tr -s " "`
	want := "/proc/PARENT/limits:Max core file size 0 unlimited bytes \n/proc/self/limits:Max core file size 2097152 unlimited bytes \n"
	check := func(t *testing.T, r Result) {
		t.Helper()
		WantCode(t, r, 0)
		lines := strings.SplitN(r.Stdout, ":", 2)
		got := r.Stdout
		if len(lines) == 2 && strings.HasPrefix(lines[0], "/proc/") {
			got = "/proc/PARENT/limits:" + lines[1]
		}
		if got != want {
			t.Errorf("core limits of tok exec and its child:\n%s\nwant\n%s", got, want)
		}
	}
	// sh sets a soft limit of 4096 blocks of 512 bytes under an unlimited
	// hard limit, then becomes tok.
	const run = `ulimit -H -c unlimited && ulimit -S -c 4096 && exec tok "$@"`

	t.Run("small tok", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		addStatic(t, env, "ci", NewSecret(t))
		check(t, RunProgram(t, env, "", "sh", "-c", run, "sh", "exec", "-p", "ci", "--", "sh", "-c", show))
	})
	t.Run("tok-full", func(t *testing.T) {
		t.Parallel()
		srv := authserver.New(t, authserver.Options{})
		secret := NewSecret(t)
		srv.AddClient(authserver.Client{ID: "ci", Secret: secret})
		env := ciEnv(t).With("TOK_CLIENT_SECRET=" + secret)
		check(t, RunProgram(t, env, "", "sh", "-c", run, "sh", "exec", "--issuer", srv.Issuer(), "--client-id", "ci", "--scopes", "profile", "--", "sh", "-c", show))
	})
}

// TestHomeTrust: tok refuses a home that group or others can write, and
// never follows a symlink planted as its database, key file or lock file
// (it used to create files at the symlinks' targets).
func TestHomeTrust(t *testing.T) {
	t.Parallel()

	t.Run("world-writable home", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		addStatic(t, env, "gh", NewSecret(t))
		if err := os.Chmod(env.Home(), 0o777); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"token", "-p", "gh"}, {"profile", "add", "other", "--type", "static"}} {
			r := Run(t, env, "", args...)
			WantCode(t, r, 1)
			WantStderr(t, r, "can be written by group or others", "chmod 700 "+env.Home())
		}
		if err := os.Chmod(env.Home(), 0o700); err != nil {
			t.Fatal(err)
		}
		RunOK(t, env, "", "token", "-p", "gh")
	})

	plant := func(t *testing.T, link string) string {
		t.Helper()
		target := filepath.Join(t.TempDir(), "attacker-chose-this")
		if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		return target
	}
	wantNoTarget := func(t *testing.T, target string) {
		t.Helper()
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("tok followed a planted symlink and created %s (%v)", target, err)
		}
	}

	t.Run("symlinked database", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		if err := os.Mkdir(env.Home(), 0o700); err != nil {
			t.Fatal(err)
		}
		target := plant(t, env.DB())
		r := Run(t, env, "", "profile", "add", "gh", "--type", "static")
		WantCode(t, r, 1)
		WantStderr(t, r, "is a symlink", "rm "+env.DB())
		wantNoTarget(t, target)
	})

	t.Run("symlinked key file", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		addStatic(t, env, "gh", NewSecret(t))
		key := filepath.Join(env.Home(), "key")
		data, err := os.ReadFile(key)
		if err != nil {
			t.Fatal(err)
		}
		elsewhere := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(elsewhere, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(key); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, key); err != nil {
			t.Fatal(err)
		}
		r := Run(t, env, "", "token", "-p", "gh")
		WantCode(t, r, 1)
		WantStderr(t, r, "is a symlink")
	})

	t.Run("symlinked lock file", func(t *testing.T) {
		t.Parallel()
		srv := authserver.New(t, authserver.Options{})
		secret := NewSecret(t)
		srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
		env := FileKeyEnv(t)
		RunOK(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin",
			"--flow", "client-credentials", "--scopes", "profile")
		target := plant(t, filepath.Join(env.Home(), "locks", "ci.login"))
		r := Run(t, env, "", "login", "-p", "ci")
		WantCode(t, r, 1)
		WantStderr(t, r, "is a symlink")
		wantNoTarget(t, target)
	})
}

// TestSetuidRefused installs copies of both binaries setuid to another
// user, as a careless package might, and checks that each refuses to run
// before it does anything. Making a setuid binary of another user needs
// root; without it the test checks only that the copies run normally.
func TestSetuidRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tok", "tok-full"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(tokPath), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := FileKeyEnv(t)
	if os.Geteuid() != 0 {
		t.Log("not root: the setuid half of this test needs root to chown")
		r := RunProgram(t, env, "", filepath.Join(dir, "tok"), "version")
		WantCode(t, r, 0)
		return
	}
	for _, name := range []string{"tok", "tok-full"} {
		bin := filepath.Join(dir, name)
		if err := os.Chown(bin, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(bin, 0o755|os.ModeSetuid); err != nil {
			t.Fatal(err)
		}
		r := RunProgram(t, env, "", bin, "version")
		WantCode(t, r, 1)
		WantStderr(t, r, "refuses to run setuid")
		if r.Stdout != "" {
			t.Errorf("%s ran: %s", name, r)
		}
	}
}
