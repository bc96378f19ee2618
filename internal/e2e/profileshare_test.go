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

// shareSource is a TOK_HOME holding one profile of each kind, with a
// confidential client whose secret the server knows. Profiles are added in
// name order so that the first, the default, is the one an import into an
// empty database makes the default too.
func shareSource(t *testing.T, env Env, srv *authserver.Server, secret string) []string {
	t.Helper()
	RunOK(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer(), "--client-id", "tok-cli", "--flow", "browser",
		"--scopes", "openid,profile", "--auth-param", "prompt=login", "--refresh-margin", "2m", "--env", "API_TOKEN", "--description", "Team API")
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin",
		"--flow", "client-credentials", "--scopes", "profile", "--k8s-token", "access-token")
	RunOK(t, env, "", "profile", "add", "fed", "--type", "federated", "--token-url", srv.TokenURL(), "--subject-token-env", "CI_JOB_JWT",
		"--grant", "jwt-bearer", "--max-age", "30m")
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN", "--description", "GitHub")
	return []string{"api", "ci", "fed", "gh"}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProfileShareRoundTrip: export, then import into an empty TOK_HOME,
// gives profiles that tok profile show cannot tell apart, and the
// confidential client works with the secret given at import.
func TestProfileShareRoundTrip(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	src, dst := KeyringEnv(t), KeyringEnv(t)
	names := shareSource(t, src, srv, secret)

	file := filepath.Join(t.TempDir(), "team.yaml")
	r := Run(t, src, "", "profile", "export", "-o", file)
	WantCode(t, r, 0)
	WantStderr(t, r, "Exported 4 profiles to "+file, `Profile "ci" has a client secret, which is not in the file`)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("exported file has mode %v, want 0600", info.Mode().Perm())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("client_secret:")) {
		t.Fatalf("the exported file holds a secret:\n%s", data)
	}
	if !bytes.Contains(data, []byte("client_secret_required: true")) {
		t.Errorf("the confidential client is not marked:\n%s", data)
	}
	if r := Run(t, src, "", "profile", "export", "-o", file); r.Code != 1 || !strings.Contains(r.Stderr, "already exists") {
		t.Errorf("export overwrote a file without --force: %s", r)
	}
	RunOK(t, src, "", "profile", "export", "-o", file, "--force")

	r = Run(t, dst, secret+"\n", "profile", "import", file, "--client-secret-stdin")
	WantCode(t, r, 0)
	WantStderr(t, r,
		`Imported oauth profile "api" (now the default). Next: tok login -p api`,
		`Imported oauth profile "ci". Next: tok login -p ci`,
		`Imported federated profile "fed". Next: tok token -p fed`,
		`Imported static profile "gh". Next: tok login -p gh --with-token < FILE`,
		"  tok exec puts its token in: API_TOKEN\n",
		"  tok exec puts its token in: GH_TOKEN\n")
	if strings.Contains(r.Stderr, secret) {
		t.Fatal("import printed the client secret")
	}

	for _, name := range names {
		want := RunOK(t, src, "", "profile", "show", name)
		if got := RunOK(t, dst, "", "profile", "show", name); got != want {
			t.Errorf("profile %s differs after export and import:\n--- source:\n%s--- imported:\n%s", name, want, got)
		}
	}
	if got, want := RunOK(t, dst, "", "profile", "list"), RunOK(t, src, "", "profile", "list"); got != want {
		t.Errorf("profile list differs:\n--- source:\n%s--- imported:\n%s", want, got)
	}
	// The secret given at import is the client's: the server hands out a token.
	if tok := SingleLine(t, "tok token", RunOK(t, dst, "", "token", "-p", "ci")); !srv.Introspect(tok) {
		t.Error("the token of the imported confidential client is not active at the server")
	}
}

// TestProfileShareExistingNames: an import that would overwrite a profile
// fails whole and changes nothing; --force replaces, keeping tokens only
// when provider, client and scopes stay the same.
func TestProfileShareExistingNames(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	env := KeyringEnv(t)
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin",
		"--flow", "client-credentials", "--scopes", "profile")
	first := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci"))
	file := writeFile(t, RunOK(t, env, "", "profile", "export", "ci")+
		"  - name: new\n    type: static\n")

	before, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	r := Run(t, env, "", "profile", "import", file)
	WantCode(t, r, 1)
	WantStderr(t, r, `profile "ci" already exists; nothing was imported`, "tok profile import --force "+file)
	after, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a refused import changed the database")
	}
	if out := RunOK(t, env, "", "profile", "list"); strings.Contains(out, "new") {
		t.Errorf("a refused import added a profile:\n%s", out)
	}

	t.Run("force with the same client keeps tokens and secret", func(t *testing.T) {
		r := Run(t, env, "", "profile", "import", "--force", file)
		WantCode(t, r, 0)
		WantStderr(t, r, `Replaced oauth profile "ci"; its tokens were kept (same provider, client and scopes); its client secret was kept.`,
			`Imported static profile "new"`)
		if got := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci")); got != first {
			t.Error("tok token fetched a new token after a replace that should keep the old one")
		}
	})
	t.Run("force with other scopes drops tokens", func(t *testing.T) {
		changed := writeFile(t, strings.Replace(RunOK(t, env, "", "profile", "export", "ci"), "scopes: [profile]", "scopes: [profile, email]", 1))
		r := Run(t, env, "", "profile", "import", "--force", changed)
		WantCode(t, r, 0)
		WantStderr(t, r, `Replaced oauth profile "ci"; its tokens were deleted`, "its client secret was kept", "Next: tok login -p ci")
		if st := StatusOf(t, env, "ci"); st.Refresh || st.ExpiresAt != nil {
			t.Errorf("the replaced profile still has tokens: %+v", st)
		}
		if got := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "ci")); got == first || !srv.Introspect(got) {
			t.Error("after the replace tok token did not get a new, active token with the kept secret")
		}
	})
}

// TestProfileShareBadFileImportsNothing: one bad profile, or one whose
// issuer cannot be discovered, and no profile is imported.
func TestProfileShareBadFileImportsNothing(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	good := "version: 1\nprofiles:\n  - {name: gh, type: static}\n  - {name: api, type: oauth, issuer: '" + srv.Issuer() + "', client_id: tok-cli}\n"
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"invalid value", good + "  - name: bad\n    type: oauth\n    client_id: x\n    issuer: http://id.example.com\n",
			[]string{"is not a usable profile file; nothing was imported", "line 8: profile \"bad\": issuer:", "uses http on a non-loopback host"}},
		{"unknown key", good + "  - name: bad\n    type: static\n    colour: red\n", []string{`line 7: profile "bad": unknown key "colour"`}},
		{"client secret", good + "  - name: bad\n    type: oauth\n    issuer: '" + srv.Issuer() + "'\n    client_id: x\n    client_secret: hunter2\n",
			[]string{`line 9: profile "bad": client_secret: a profile file never holds secrets, so tok does not import them`,
				"client_secret_required: true", "--client-secret (hidden prompt) or --client-secret-stdin"}},
		{"issuer not discoverable", good + "  - {name: bad, type: oauth, issuer: 'http://127.0.0.1:1', client_id: x}\n",
			[]string{`profile "bad": could not discover the endpoints of http://127.0.0.1:1`, "nothing was imported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := FileKeyEnv(t)
			r := Run(t, env, "", "profile", "import", writeFile(t, tt.file))
			WantCode(t, r, 1)
			WantStderr(t, r, tt.want...)
			if strings.Contains(r.Stderr, "hunter2") {
				t.Error("the error repeats the secret from the file")
			}
			if _, err := os.Stat(env.DB()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a failed import created the database (%v)", err)
			}
		})
	}
}

// TestProfileShareStdin: export piped into import, and the usage errors.
func TestProfileShareStdin(t *testing.T) {
	t.Parallel()
	src, dst := FileKeyEnv(t), FileKeyEnv(t)
	RunOK(t, src, "", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN", "--description", "GitHub")
	RunOK(t, src, "", "profile", "add", "other", "--type", "static")
	exported := RunOK(t, src, "", "profile", "export", "gh")
	if strings.Contains(exported, "other") {
		t.Fatalf("export gh wrote another profile:\n%s", exported)
	}
	r := Run(t, dst, exported, "profile", "import", "-")
	WantCode(t, r, 0)
	WantStderr(t, r, `Imported static profile "gh" (now the default).`)
	if got, want := RunOK(t, dst, "", "profile", "show", "gh"), RunOK(t, src, "", "profile", "show", "gh"); got != want {
		t.Errorf("profile gh differs after a pipe:\n--- source:\n%s--- imported:\n%s", want, got)
	}

	for _, args := range [][]string{
		{"profile", "import"},
		{"profile", "import", "-", "--client-secret-stdin"},
		{"profile", "import", "a.yaml", "--client-secret", "--client-secret-stdin"},
		{"profile", "export", "--force"},
	} {
		WantCode(t, Run(t, dst, "", args...), 2)
	}
	r = Run(t, src, "", "profile", "export", "nope")
	WantCode(t, r, 1)
	WantStderr(t, r, `"nope"`, "tok profile list")
}
