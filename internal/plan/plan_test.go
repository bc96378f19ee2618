package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestProfilePrecedence(t *testing.T) {
	for _, tc := range []struct {
		flag, cluster string
		getenv        func(string) string
		want          string
	}{
		{"api", "prod", env("TOK_PROFILE", "envp"), "api"},
		{"", "prod", env("TOK_PROFILE", "envp"), "prod"},
		{"", "", env("TOK_PROFILE", "envp"), "envp"},
		{"", "", env(), ""},
	} {
		if got := Profile(tc.flag, tc.cluster, tc.getenv); got != tc.want {
			t.Errorf("Profile(%q, %q) = %q, want %q", tc.flag, tc.cluster, got, tc.want)
		}
	}
}

func TestEphemeralOnlyWithoutANamedProfile(t *testing.T) {
	for _, tc := range []struct {
		profile string
		getenv  func(string) string
		want    bool
	}{
		// The stored default profile is not named: TOK_ISSUER wins over it.
		{"", env("TOK_ISSUER", "https://id.example.com"), true},
		{"", env("TOK_TOKEN_URL", "https://id.example.com/token"), true},
		{"api", env("TOK_ISSUER", "https://id.example.com"), false},
		{"", env(), false},
		{"", env("TOK_CLIENT_ID", "ci"), false},
	} {
		if got := Ephemeral(tc.profile, tc.getenv); got != tc.want {
			t.Errorf("Ephemeral(%q) = %v, want %v", tc.profile, got, tc.want)
		}
	}
	// TOK_PROFILE names a profile too, through Profile.
	getenv := env("TOK_PROFILE", "api", "TOK_ISSUER", "https://id.example.com")
	if Ephemeral(Profile("", "", getenv), getenv) {
		t.Error("TOK_ISSUER won over TOK_PROFILE")
	}
}

func TestDebug(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true, "yes": true} {
		if got := Debug(false, env("TOK_DEBUG", v)); got != want {
			t.Errorf("TOK_DEBUG=%q: %v, want %v", v, got, want)
		}
	}
	if !Debug(true, env("TOK_DEBUG", "0")) {
		t.Error("--debug lost to TOK_DEBUG=0")
	}
}

type coded struct{ code int }

func (c coded) Error() string { return fmt.Sprintf("code %d", c.code) }
func (c coded) ExitCode() int { return c.code }

func TestExitCode(t *testing.T) {
	login := errors.New("login required")
	classes := []Class{{Err: login, Code: ExitLoginRequired}}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{fmt.Errorf("token: %w", login), ExitLoginRequired},
		{coded{3}, 3},
		// A code the error carries wins over a class.
		{fmt.Errorf("%w: %w", coded{ExitCancelled}, login), ExitCancelled},
	} {
		if got := ExitCode(tc.err, classes...); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if got := ExitCode(fmt.Errorf("x: %w", login)); got != ExitError {
		t.Errorf("without classes: %d, want %d", got, ExitError)
	}
}

type quiet struct{ code int }

func (q quiet) Error() string { return fmt.Sprintf("exit status %d", q.code) }
func (q quiet) ExitCode() int { return q.code }
func (q quiet) Quiet() bool   { return true }

type failure struct{ msg, cause string }

func (f failure) Error() string     { return f.msg }
func (f failure) DebugCause() error { return errors.New(f.cause) }

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		err   error
		debug bool
		out   string
		code  int
	}{
		{nil, false, "", ExitOK},
		{errors.New("profile \"x\" does not exist"), false, "tok: profile \"x\" does not exist\n", ExitError},
		// The child's status alone: its own output said it all.
		{quiet{3}, false, "", 3},
		{failure{"could not refresh", "dial tcp: refused"}, false, "tok: could not refresh\n", ExitError},
		{fmt.Errorf("token: %w", failure{"could not refresh", "dial tcp: refused"}), true,
			"tok: token: could not refresh\ntok: debug: cause: dial tcp: refused\n", ExitError},
	} {
		var b strings.Builder
		if code := Report(&b, tc.err, tc.debug); code != tc.code || b.String() != tc.out {
			t.Errorf("Report(%v, debug=%v) printed %q and returned %d, want %q and %d", tc.err, tc.debug, b.String(), code, tc.out, tc.code)
		}
	}
}
