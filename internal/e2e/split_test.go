//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loneFront copies the tok binary under test, without tok-full, into a
// directory of its own and returns its path and an environment whose PATH
// cannot reach tok-full either.
func loneFront(t *testing.T, env Env) (string, Env) {
	t.Helper()
	b, err := os.ReadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	lone := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(lone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return lone, env.With("PATH=/usr/bin:/bin")
}

// TestFrontServesCachedTokensAlone proves that the small tok answers a
// cached token by itself, in every output and for exec: with tok-full
// nowhere to be found, these commands still work, so they never pay for
// loading the complete tok.
func TestFrontServesCachedTokensAlone(t *testing.T) {
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static", "--env", "API_TOKEN")
	RunOK(t, env, "front-secret-1\n", "login", "-p", "api", "--with-token")
	RunOK(t, env, "", "use", "api")
	lone, loneEnv := loneFront(t, env)

	for _, tc := range []struct {
		args []string
		env  Env
		want string
	}{
		{[]string{"token", "-p", "api"}, loneEnv, "front-secret-1\n"},
		{[]string{"token"}, loneEnv, "front-secret-1\n"},
		{[]string{"token"}, loneEnv.With("TOK_PROFILE=api"), "front-secret-1\n"},
		{[]string{"token", "-p", "api", "-o", "header"}, loneEnv, "Authorization: Bearer front-secret-1\n"},
		{[]string{"token", "-p", "api", "-o", "env"}, loneEnv, "TOK_TOKEN='front-secret-1'\nAPI_TOKEN='front-secret-1'\nTOK_PROFILE='api'\n"},
		{[]string{"kube", "-p", "api"}, loneEnv, `"token":"front-secret-1"`},
		// cobra's "=" spellings of short flags, once read as profile "=api"
		// and output "=json" by the front (issue 13).
		{[]string{"token", "-p=api", "-o=header"}, loneEnv, "Authorization: Bearer front-secret-1\n"},
		{[]string{"kube", "-p=api"}, loneEnv, `"token":"front-secret-1"`},
		{[]string{"token", "-p", "api", "-o", "exec-credential"}, loneEnv, `"token":"front-secret-1"`},
		{[]string{"exec", "-p", "api", "--", "sh", "-c", `printf '%s %s %s' "$TOK_TOKEN" "$API_TOKEN" "$(cat "$TOK_TOKEN_FILE")"`}, loneEnv, "front-secret-1 front-secret-1 front-secret-1"},
	} {
		r := RunProgram(t, tc.env, "", lone, tc.args...)
		if r.Code != 0 || !strings.Contains(r.Stdout, tc.want) || r.Stderr != "" {
			t.Errorf("tok %s without tok-full: want exit 0, %q on stdout and nothing on stderr; got %s", strings.Join(tc.args, " "), tc.want, r)
		}
	}

	// The same answers come from the pair as installed, byte for byte.
	for _, args := range [][]string{{"token", "-p", "api", "-o", "env"}, {"kube", "-p", "api"}} {
		alone := RunProgram(t, loneEnv, "", lone, args...)
		pair := Run(t, env, "", args...)
		if alone.Stdout != pair.Stdout {
			t.Errorf("tok %s: the front alone printed %q, the installed pair %q", strings.Join(args, " "), alone.Stdout, pair.Stdout)
		}
	}

	// The exit code of the child comes through the front as well.
	if r := RunProgram(t, loneEnv, "", lone, "exec", "-p", "api", "--", "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("exec of a child exiting 7: want exit 7, got %s", r)
	}
}

// TestFrontWithoutFullSaysWhatToInstall: everything the cache cannot
// answer needs tok-full, and a front installed alone says so and how to
// fix it, instead of failing obscurely.
func TestFrontWithoutFullSaysWhatToInstall(t *testing.T) {
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	lone, loneEnv := loneFront(t, env)
	for _, args := range [][]string{
		{"status"},
		{"token", "-p", "api"}, // no token stored: tok-full must explain
		{"token", "-p", "nope"},
		{"token", "--help"},
	} {
		r := RunProgram(t, loneEnv, "", lone, args...)
		if r.Code != 1 || !strings.Contains(r.Stderr, "tok-full") || !strings.Contains(r.Stderr, "go install") || r.Stdout != "" {
			t.Errorf("tok %s without tok-full: want exit 1 naming tok-full and how to install it; got %s", strings.Join(args, " "), r)
		}
	}
}

// TestHandOverKeepsTheCommandLine: what the front hands to tok-full is the
// command line as given, so errors, exit codes and output are tok-full's
// own, and never duplicated.
func TestHandOverKeepsTheCommandLine(t *testing.T) {
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	for _, tc := range []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"token", "-p", "api"}, 4, "tok login -p api"},
		{[]string{"token", "-p", "nope"}, 1, `profile not found: "nope"`},
		{[]string{"token", "-p", "api", "-o", "yaml"}, 2, `unknown output format "yaml"`},
		{[]string{"exec", "-p", "api", "--env", "1BAD", "--", "true"}, 2, "invalid environment variable name"},
	} {
		r := Run(t, env, "", tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.contains) || strings.Count(r.Stderr, "tok:") != 1 {
			t.Errorf("tok %s: want exit %d and one error line containing %q; got %s", strings.Join(tc.args, " "), tc.code, tc.contains, r)
		}
	}
}

// TestFrontReadsKeyringKeyFromKernelCache: with the data key in the OS
// keyring, the front alone serves a cached token once the key has been
// read in this session (it is in the kernel-keyring cache), without
// D-Bus and without tok-full.
func TestFrontReadsKeyringKeyFromKernelCache(t *testing.T) {
	env := KeyringEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	RunOK(t, env, "keyring-front-1\n", "login", "-p", "api", "--with-token")
	RunOK(t, env, "", "token", "-p", "api") // reads the key; fills the cache
	lone, loneEnv := loneFront(t, env)
	if r := RunProgram(t, loneEnv, "", lone, "token", "-p", "api"); r.Code != 0 || r.Stdout != "keyring-front-1\n" {
		t.Fatalf("the front alone with the key in the kernel-keyring cache: want the token, got %s", r)
	}
}
