//go:build unix

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addStatic adds a static profile and stores token as its secret.
func addStatic(t *testing.T, env Env, name, token string, addArgs ...string) {
	t.Helper()
	RunOK(t, env, "", append([]string{"profile", "add", name, "--type", "static"}, addArgs...)...)
	RunOK(t, env, token+"\n", "login", "-p", name, "--with-token")
}

// TestStaticTokenLifecycle walks the path of a new user with the default
// key source, the OS keyring: add a profile, store a token, read it back
// in every output format.
func TestStaticTokenLifecycle(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	secret := NewSecret(t)

	r := Run(t, env, "", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN", "--description", "GitHub PAT")
	WantCode(t, r, 0)
	WantStderr(t, r, `Added static profile "gh"`, "tok login -p gh")

	r = Run(t, env, secret+"\n", "login", "-p", "gh", "--with-token")
	WantCode(t, r, 0)
	WantStderr(t, r, `Stored the token of profile "gh"`)
	if r.Stdout != "" {
		t.Errorf("login wrote to stdout: %s", r)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"raw", []string{"token", "-p", "gh"}, secret + "\n"},
		{"raw from the default profile", []string{"token"}, secret + "\n"},
		{"header", []string{"token", "-p", "gh", "-o", "header"}, "Authorization: Bearer " + secret + "\n"},
		{"env", []string{"token", "-p", "gh", "--output", "env"}, "TOK_TOKEN='" + secret + "'\nGH_TOKEN='" + secret + "'\nTOK_PROFILE='gh'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(t, env, "", tc.args...)
			WantCode(t, r, 0)
			if r.Stdout != tc.want {
				t.Errorf("stdout = %q, want %q", r.Stdout, tc.want)
			}
			if r.Stderr != "" {
				t.Errorf("token wrote to stderr: %s", r)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out := RunOK(t, env, "", "token", "-p", "gh", "-o", "json")
		var got struct {
			Profile   string  `json:"profile"`
			Token     string  `json:"token"`
			TokenType string  `json:"token_type"`
			ExpiresAt *string `json:"expires_at"`
			ExpiresIn *int64  `json:"expires_in"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("token -o json printed %q: %v", out, err)
		}
		if got.Profile != "gh" || got.Token != secret || got.TokenType != "Bearer" || got.ExpiresAt != nil || got.ExpiresIn != nil {
			t.Errorf("token -o json = %+v", got)
		}
	})

	t.Run("unknown format", func(t *testing.T) {
		r := Run(t, env, "", "token", "-p", "gh", "-o", "yaml")
		WantCode(t, r, 2)
		WantStderr(t, r, "raw, header, json, env")
	})

	t.Run("login replaces the token", func(t *testing.T) {
		newer := NewSecret(t)
		RunOK(t, env, newer+"\n", "login", "-p", "gh", "--with-token")
		if out := RunOK(t, env, "", "token", "-p", "gh"); out != newer+"\n" {
			t.Errorf("after a second login, token = %q, want the new one", out)
		}
	})
}

// TestTokenShellRoundTrip checks that tokens with shell metacharacters
// come back byte for byte, raw and through eval of -o env.
func TestTokenShellRoundTrip(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	token := `it's a "token" with $HOME, ` + "`backticks`, \\ and spaces"
	addStatic(t, env, "odd", token, "--env", "ODD_TOKEN")

	if out := RunOK(t, env, "", "token", "-p", "odd"); out != token+"\n" {
		t.Errorf("raw token = %q, want %q", out, token)
	}
	r := RunProgram(t, env, "", "sh", "-c", `eval "$(tok token -p odd -o env)" && printf '%s\n%s\n%s' "$TOK_TOKEN" "$ODD_TOKEN" "$TOK_PROFILE"`)
	WantCode(t, r, 0)
	if want := token + "\n" + token + "\nodd"; r.Stdout != want {
		t.Errorf("eval of -o env gave %q, want %q", r.Stdout, want)
	}
}

// TestExpiredStaticToken: an expired static token is exit 4 with the
// command to run, unless --allow-expired.
func TestExpiredStaticToken(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "old", "--type", "static")
	RunOK(t, env, "old-token\n", "login", "-p", "old", "--with-token", "--expires-at", "2020-01-01T00:00:00Z")
	RunOK(t, env, "", "profile", "add", "fresh", "--type", "static")
	RunOK(t, env, "fresh-token\n", "login", "-p", "fresh", "--with-token", "--expires-at", time.Now().Add(48*time.Hour).Format(time.RFC3339))

	r := Run(t, env, "", "token", "-p", "old")
	WantCode(t, r, 4)
	WantStderr(t, r, "expired", "tok login -p old", "--allow-expired")
	if r.Stdout != "" {
		t.Errorf("an expired token reached stdout: %s", r)
	}

	r = Run(t, env, "", "exec", "-p", "old", "--", "sh", "-c", "echo child ran")
	WantCode(t, r, 4)
	if strings.Contains(r.Stdout, "child ran") {
		t.Errorf("exec ran the child with an expired token: %s", r)
	}

	if out := RunOK(t, env, "", "token", "-p", "old", "--allow-expired"); out != "old-token\n" {
		t.Errorf("token --allow-expired = %q", out)
	}

	var got struct {
		ExpiresAt string `json:"expires_at"`
		ExpiresIn int64  `json:"expires_in"`
	}
	out := RunOK(t, env, "", "token", "-p", "old", "--allow-expired", "-o", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("token -o json printed %q: %v", out, err)
	}
	if got.ExpiresAt != "2020-01-01T00:00:00Z" || got.ExpiresIn >= 0 {
		t.Errorf("expired token's json: expires_at %q, expires_in %d", got.ExpiresAt, got.ExpiresIn)
	}

	out = RunOK(t, env, "", "token", "-p", "fresh", "-o", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("token -o json printed %q: %v", out, err)
	}
	if got.ExpiresIn < 47*3600 || got.ExpiresIn > 48*3600 {
		t.Errorf("a token valid for 48h has expires_in %d", got.ExpiresIn)
	}

	status := RunOK(t, env, "", "status")
	for _, want := range []string{"old", "expired", "fresh", "valid for"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
}

// TestStaticProfileWithoutToken: a profile that never got a token is a
// login-required error (exit 4) that names the command to run.
func TestStaticProfileWithoutToken(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "empty", "--type", "static")
	r := Run(t, env, "", "token", "-p", "empty")
	WantCode(t, r, 4)
	WantStderr(t, r, "tok login -p empty")

	r = Run(t, env, "", "login", "-p", "empty")
	WantCode(t, r, 2)
	WantStderr(t, r, "--with-token")
}

// TestProfileSelection checks the precedence -p > TOK_PROFILE > default.
func TestProfileSelection(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	for _, name := range []string{"a", "b", "c"} {
		addStatic(t, env, name, "token-"+name)
	}
	if out := RunOK(t, env, "", "token"); out != "token-a\n" {
		t.Fatalf("the first profile added should be the default; token = %q", out)
	}
	r := Run(t, env, "", "use", "b")
	WantCode(t, r, 0)
	WantStderr(t, r, `"b"`)

	for _, tc := range []struct {
		name string
		env  Env
		args []string
		want string
	}{
		{"default from tok use", env, nil, "token-b"},
		{"TOK_PROFILE over the default", env.With("TOK_PROFILE=c"), nil, "token-c"},
		{"-p over TOK_PROFILE", env.With("TOK_PROFILE=c"), []string{"-p", "a"}, "token-a"},
		{"--profile over the default", env, []string{"--profile", "c"}, "token-c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := RunOK(t, tc.env, "", append([]string{"token"}, tc.args...)...)
			if out != tc.want+"\n" {
				t.Errorf("token = %q, want %q", out, tc.want)
			}
			r := Run(t, tc.env, "", append(tc.args, "exec", "--", "sh", "-c", `printf %s "$TOK_EXEC"`)...)
			WantCode(t, r, 0)
			if want := strings.TrimPrefix(tc.want, "token-"); r.Stdout != want {
				t.Errorf("exec ran profile %q, want %q", r.Stdout, want)
			}
		})
	}

	t.Run("TOK_PROFILE naming a missing profile", func(t *testing.T) {
		r := Run(t, env.With("TOK_PROFILE=missing"), "", "token")
		WantCode(t, r, 1)
		WantStderr(t, r, `"missing"`)
		if r.Stdout != "" {
			t.Errorf("fell back to another profile: %s", r)
		}
	})
}

// TestNoProfileSelected: with no -p, no TOK_PROFILE and no default, tok
// says how to pick a profile and exits 2.
func TestNoProfileSelected(t *testing.T) {
	t.Parallel()
	t.Run("no profiles at all", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		for _, args := range [][]string{{"token"}, {"exec", "--", "true"}, {"login", "--with-token"}} {
			r := Run(t, env, "x\n", args...)
			WantCode(t, r, 2)
			WantStderr(t, r, "-p", "TOK_PROFILE")
		}
	})
	t.Run("profiles but no default", func(t *testing.T) {
		t.Parallel()
		env := FileKeyEnv(t)
		addStatic(t, env, "first", "token-first")
		addStatic(t, env, "second", "token-second")
		RunOK(t, env, "", "profile", "rm", "first") // it was the default
		r := Run(t, env, "", "token")
		WantCode(t, r, 2)
		WantStderr(t, r, "-p", "TOK_PROFILE", "tok use")
		if out := RunOK(t, env, "", "token", "-p", "second"); out != "token-second\n" {
			t.Errorf("token -p second = %q", out)
		}
	})
}

// TestProfileManagement covers list, show, rename and rm.
func TestProfileManagement(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)

	r := Run(t, env, "", "profile", "list")
	WantCode(t, r, 0)
	WantStderr(t, r, "No profiles yet", "tok profile add")

	secret := NewSecret(t)
	addStatic(t, env, "gh", secret, "--env", "GH_TOKEN", "--description", "GitHub PAT")
	addStatic(t, env, "other", "other-token")

	list := RunOK(t, env, "", "profile", "list")
	for _, want := range []string{"NAME", "gh *", "other", "static", "valid", "GitHub PAT"} {
		if !strings.Contains(list, want) {
			t.Errorf("profile list lacks %q:\n%s", want, list)
		}
	}

	type listed struct {
		Name        string   `json:"name"`
		Type        string   `json:"type"`
		Default     bool     `json:"default"`
		Description string   `json:"description"`
		Env         []string `json:"env"`
		Status      string   `json:"status"`
	}
	listJSON := func() []listed {
		t.Helper()
		out := RunOK(t, env, "", "profile", "list", "--json")
		var got []listed
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("profile list --json printed %q: %v", out, err)
		}
		return got
	}
	got := listJSON()
	if len(got) != 2 || got[0].Name != "gh" || got[1].Name != "other" {
		t.Fatalf("profile list --json = %+v, want gh and other", got)
	}
	if g := got[0]; g.Type != "static" || !g.Default || g.Description != "GitHub PAT" || len(g.Env) != 1 || g.Env[0] != "GH_TOKEN" || g.Status != "valid" {
		t.Errorf("profile list --json entry for gh = %+v", g)
	}
	if got[1].Default {
		t.Errorf("other is marked default: %+v", got[1])
	}

	show := RunOK(t, env, "", "profile", "show", "gh")
	for _, want := range []string{"Name:", "gh", "Type:", "static", "Default:", "GH_TOKEN", "GitHub PAT", "valid"} {
		if !strings.Contains(show, want) {
			t.Errorf("profile show lacks %q:\n%s", want, show)
		}
	}
	for _, out := range []string{list, show, RunOK(t, env, "", "profile", "show", "gh", "--json"), RunOK(t, env, "", "status")} {
		if strings.Contains(out, secret) {
			t.Errorf("the secret appears in profile output:\n%s", out)
		}
	}

	r = Run(t, env, "", "profile", "rename", "gh", "github")
	WantCode(t, r, 0)
	WantStderr(t, r, `"gh"`, `"github"`)
	if out := RunOK(t, env, "", "token", "-p", "github"); out != secret+"\n" {
		t.Errorf("after rename, token -p github = %q", out)
	}
	if out := RunOK(t, env, "", "token"); out != secret+"\n" {
		t.Errorf("the default should follow the rename; token = %q", out)
	}
	r = Run(t, env, "", "token", "-p", "gh")
	WantCode(t, r, 1)
	WantStderr(t, r, `"gh"`, "tok profile list")

	r = Run(t, env, "", "profile", "rename", "github", "other")
	WantCode(t, r, 1)
	WantStderr(t, r, `"other"`, "already exists")
	if out := RunOK(t, env, "", "token", "-p", "other"); out != "other-token\n" {
		t.Errorf("a refused rename changed profile other: token = %q", out)
	}

	r = Run(t, env, "", "profile", "add", "other", "--type", "static")
	WantCode(t, r, 1)
	WantStderr(t, r, "already exists", "tok profile set other --flag value")

	r = Run(t, env, "", "profile", "rm", "github")
	WantCode(t, r, 0)
	WantStderr(t, r, `Removed profile "github"`)
	if got := listJSON(); len(got) != 1 || got[0].Name != "other" {
		t.Errorf("after rm, profile list --json = %+v", got)
	}
	r = Run(t, env, "", "token", "-p", "github")
	WantCode(t, r, 1)
	r = Run(t, env, "", "profile", "rm", "github")
	WantCode(t, r, 1)
	WantStderr(t, r, "tok profile list")
}

// TestHomeSelection: --home wins over TOK_HOME, and each home is its own
// set of profiles.
func TestHomeSelection(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	other := FileKeyEnv(t).Home()
	addStatic(t, env, "gh", "token-from-TOK_HOME")
	RunOK(t, env, "", "--home", other, "profile", "add", "gh", "--type", "static")
	RunOK(t, env, "token-from-home-flag\n", "--home", other, "login", "-p", "gh", "--with-token")

	if out := RunOK(t, env, "", "token", "-p", "gh"); out != "token-from-TOK_HOME\n" {
		t.Errorf("with TOK_HOME, token = %q", out)
	}
	if out := RunOK(t, env, "", "--home", other, "token", "-p", "gh"); out != "token-from-home-flag\n" {
		t.Errorf("with --home over TOK_HOME, token = %q", out)
	}
	if _, err := os.Stat(filepath.Join(other, "tok.db")); err != nil {
		t.Errorf("--home did not put the database there: %v", err)
	}
}
