package plan

import (
	"errors"
	"fmt"
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
