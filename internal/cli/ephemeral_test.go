package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestEphemeralProfileFromEnvironment: the TOK_* variables describe a
// profile spec that tokens.BuildProfile builds as it builds tok profile
// add's: discovered, its problems named by the flags that override the
// variables, and never stored.
func TestEphemeralProfileFromEnvironment(t *testing.T) {
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "s3cret", Audience: []string{"https://api.example.com"}})
	vars := map[string]string{
		"TOK_ISSUER": srv.Issuer(), "TOK_CLIENT_ID": "svc", "TOK_CLIENT_SECRET": "s3cret",
		"TOK_SCOPES": "profile email", "TOK_AUDIENCE": "https://api.example.com",
	}
	d, _, _, _, _ := testDeps(t, vars)
	defaults := ephemeralOptions{refreshMargin: record.DefaultRefreshMargin}
	svc, err := d.ephemeralService(t.Context(), "", defaults)
	if err != nil || svc == nil {
		t.Fatalf("ephemeral service: %v", err)
	}
	p, err := svc.Profile(ephemeralProfile)
	if err != nil {
		t.Fatal(err)
	}
	c := p.OAuth
	if p.Type != record.OAuth || c.Flow != record.FlowClientCredentials || c.ClientID != "svc" || c.Audience != "https://api.example.com" ||
		!slices.Equal(c.Scopes, []string{"profile", "email"}) || c.Endpoints.TokenURL != srv.TokenURL() || c.K8sToken != record.K8sAccessToken ||
		len(c.ClientSecret) == 0 {
		t.Errorf("ephemeral profile: %+v %+v", p, c)
	}
	if cred, err := svc.Token(t.Context(), ephemeralProfile, record.Options{}); err != nil || !srv.Introspect(cred.Token) {
		t.Errorf("ephemeral token: %v", err)
	}
	stored, _ := d.service()
	if names, _ := stored.ProfileNames(); len(names) != 0 {
		t.Errorf("the ephemeral profile reached the database: %q", names)
	}

	// Federated: a subject token source makes it federated, access-token.
	fed := defaults
	fed.issuer, fed.fed.subjectEnv = srv.Issuer(), "CI_TOKEN"
	svc, err = d.ephemeralService(t.Context(), "", fed)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Profile(ephemeralProfile); p.Type != record.Federated || p.Federation.Source.Env != "CI_TOKEN" || p.OAuth.K8sToken != record.K8sAccessToken {
		t.Errorf("federated ephemeral profile: %+v", p)
	}

	// --client-secret-file gives the secret instead of TOK_CLIENT_SECRET;
	// a file that cannot be read is a usage error naming the flag.
	vars["TOK_CLIENT_SECRET"] = "wrong"
	fromFile := defaults
	fromFile.issuer, fromFile.clientSecretFile = srv.Issuer(), filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(fromFile.clientSecretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if svc, err = d.ephemeralService(t.Context(), "", fromFile); err != nil {
		t.Fatal(err)
	}
	if cred, err := svc.Token(t.Context(), ephemeralProfile, record.Options{}); err != nil || !srv.Introspect(cred.Token) {
		t.Errorf("token with the secret from --client-secret-file: %v", err)
	}
	fromFile.clientSecretFile += ".missing"
	if _, err := d.ephemeralService(t.Context(), "", fromFile); exitCode(err) != ExitUsage || !strings.HasPrefix(err.Error(), "--client-secret-file: open "+fromFile.clientSecretFile) {
		t.Errorf("a missing --client-secret-file: %v", err)
	}
	vars["TOK_CLIENT_SECRET"] = "s3cret"

	// Problems are usage errors that name the flag.
	vars["TOK_ISSUER"] = "http://id.example.com"
	if _, err := d.ephemeralService(t.Context(), "", defaults); exitCode(err) != ExitUsage || !strings.HasPrefix(err.Error(), "--issuer: ") {
		t.Errorf("an http issuer: %v", err)
	}
	vars["TOK_ISSUER"] = "http://127.0.0.1:1"
	if _, err := d.ephemeralService(t.Context(), "", defaults); exitCode(err) != ExitError || !strings.Contains(err.Error(), "could not discover the endpoints of http://127.0.0.1:1") {
		t.Errorf("an unreachable issuer: %v", err)
	}
}
