//go:build unix

package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// TestProfileAsArgument: the commands that take no other argument take
// the profile name plainly, like -p; the small tok serves tok token NAME
// from the cache alone; a different -p beside it is a usage error.
func TestProfileAsArgument(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")
	RunOK(t, env, "", "profile", "add", "work", "--type", "static") // gh stays the default
	RunOK(t, env, "work-secret\n", "login", "work", "--with-token")

	if got := tokenOK(t, env, "work"); got != "work-secret" {
		t.Errorf("tok token -p work = %q", got)
	}
	lone, loneEnv := loneFront(t, env)
	if r := RunProgram(t, loneEnv, "", lone, "token", "work"); r.Code != 0 || r.Stdout != "work-secret\n" {
		t.Errorf("the small tok did not serve tok token work by itself: %s", r)
	}
	for _, args := range [][]string{{"status", "work"}, {"inspect", "work"}, {"token", "work", "-o", "json"}} {
		r := Run(t, env, "", args...)
		if strings.Contains(r.Stderr, "unknown command") || strings.Contains(r.Stdout+r.Stderr, `"gh"`) {
			t.Errorf("tok %s did not take work as the profile: %s", strings.Join(args, " "), r)
		}
	}
	if r := Run(t, env, "", "status", "work", "--json"); !strings.Contains(r.Stdout, `"name": "work"`) || strings.Contains(r.Stdout, `"name": "gh"`) {
		t.Errorf("tok status work lists other profiles: %s", r)
	}
	r := Run(t, env, "", "refresh", "work")
	WantCode(t, r, 1)
	WantStderr(t, r, `profile "work" is a static profile and cannot be refreshed`)

	for _, args := range [][]string{{"token", "work", "-p", "gh"}, {"login", "-p", "gh", "work"}, {"revoke", "work", "gh"}} {
		r := Run(t, env, "", args...)
		WantCode(t, r, 2)
		if r.Stdout != "" {
			t.Errorf("tok %s printed %q", strings.Join(args, " "), r.Stdout)
		}
	}
	r = Run(t, env, "", "token", "work", "-p", "gh")
	WantStderr(t, r, "-p gh and the argument work name different profiles")
	if got := tokenOK(t, env, "work"); got != "work-secret" {
		t.Error("a refused command changed the profile")
	}
	r = Run(t, env, "", "revoke", "work")
	WantCode(t, r, 0)
	WantStderr(t, r, `Forgot the token of profile "work" on this machine`)
}

// TestTypoSuggestions: a misspelt command or profile name gets a "did you
// mean" with the right one, one line, and the documented exit code.
func TestTypoSuggestions(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "work", "--type", "static")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tokn"}, 2, `tok: unknown command "tokn"; did you mean token?`},
		{[]string{"profile", "ad", "x"}, 2, `tok: unknown command "profile ad"; did you mean add`},
		{[]string{"token", "-p", "wrk"}, 1, `tok: profile not found: "wrk"; did you mean "work"? List profiles with: tok profile list`},
		{[]string{"login", "wrk"}, 1, `did you mean "work"?`},
		{[]string{"exec"}, 2, "tok: tok exec needs the command to run after the flags: tok exec -p NAME -- COMMAND [ARGS...]"},
		{[]string{"token", "--bogus"}, 2, "tok: unknown flag: --bogus; see: tok token --help"},
	} {
		r := Run(t, env, "", tc.args...)
		WantCode(t, r, tc.code)
		WantStderr(t, r, tc.want)
		if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n != 0 {
			t.Errorf("tok %s: %d lines on stderr, want one: %s", strings.Join(tc.args, " "), n+1, r)
		}
		if strings.Contains(r.Stderr, "arg(s)") {
			t.Errorf("tok %s: cobra's wording: %s", strings.Join(tc.args, " "), r)
		}
	}
	if out := RunOK(t, env, "", "--help"); !strings.Contains(out, "revoke") || !strings.Contains(out, "alias: logout") {
		t.Errorf("help does not list logout:\n%s", out)
	}
}

// TestDeviceLoginWaitsForTheCode: without --timeout a device login waits
// as long as the code is valid and then says the code expired, showing
// the expiry in the one time format; an explicit --timeout ends it sooner
// with one plain sentence and no Go wording.
func TestDeviceLoginWaitsForTheCode(t *testing.T) {
	t.Parallel()
	op := oidcprovider.Start(t, oidcprovider.Options{DeviceCodeTTL: 4 * time.Second, DeviceInterval: time.Second})
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "dev", "--issuer", op.Issuer, "--client-id", "tok", "--flow", "device")

	start := time.Now()
	r := Run(t, env, "", "login", "dev", "--timeout", "2s")
	WantCode(t, r, 1)
	WantStderr(t, r, `tok: login to profile "dev" did not finish within 2s (--timeout); try again, with more time if needed: tok login dev --timeout 4s`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("--timeout 2s took %s", took)
	}
	for _, internal := range []string{"context deadline exceeded", "context canceled"} {
		if strings.Contains(r.Stderr, internal) {
			t.Errorf("Go's wording in the message: %s", r)
		}
	}

	start = time.Now()
	r = Run(t, env, "", "login", "dev")
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("without --timeout the device login gave up after %s, before its 4s code expired: %s", took, r)
	}
	WantCode(t, r, 1)
	if !regexp.MustCompile(`the code expires at \d\d:\d\d \S+ \(in [34]s\)`).MatchString(r.Stderr) {
		t.Errorf("the expiry is not in the one time format: %s", r)
	}
	WantStderr(t, r, "expired")
}
