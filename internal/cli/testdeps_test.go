package cli

// The test Deps and the helpers that the command tests share.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

// testDeps is a Deps on a bbolt database in a temporary directory with a
// file key (no keyring, no D-Bus), off a terminal, and a clock the test
// moves with *now. Its environment is env (read live, so the test may
// change it), to which it adds TOK_HOME and TOK_KEY_SOURCE.
func testDeps(t *testing.T, env map[string]string) (d *Deps, now *time.Time, in, out, errOut *bytes.Buffer) {
	t.Helper()
	vars := env
	if vars == nil {
		vars = map[string]string{}
	}
	vars["TOK_HOME"], vars["TOK_KEY_SOURCE"] = t.TempDir(), "file"
	ios, in, out, errOut := iostreams.Test()
	d = newDeps(ios, func(k string) string { return vars[k] })
	clock := time.Now()
	d.now = func() time.Time { return clock }
	d.openBrowser = func(string) error {
		t.Error("a test opened a browser")
		return errors.New("no browser in tests")
	}
	return d, &clock, in, out, errOut
}

// parseCmd runs argv through cmd with the root's global flags, as
// Execute does; the constructor's runF receives what was parsed.
func parseCmd(d *Deps, cmd *cobra.Command, argv ...string) error {
	root := &cobra.Command{Use: "tok", SilenceErrors: true, SilenceUsage: true}
	d.addGlobalFlags(root)
	root.AddCommand(cmd)
	root.SetArgs(append([]string{cmd.Name()}, argv...))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	return root.Execute()
}

// parsed is the Options that argv parses to with the command newCmd
// builds; a parse error fails the test.
func parsed[O any](t *testing.T, d *Deps, newCmd func(*Deps, func(*O) error) *cobra.Command, argv ...string) *O {
	t.Helper()
	var got *O
	cmd := newCmd(d, func(o *O) error { got = o; return nil })
	if err := parseCmd(d, cmd, argv...); err != nil {
		t.Fatalf("tok %s %s: %v", cmd.Name(), strings.Join(argv, " "), err)
	}
	if got == nil {
		t.Fatalf("tok %s %s did not reach runF", cmd.Name(), strings.Join(argv, " "))
	}
	return got
}

// clientCredentialsProfile is profile name for srv's client svc with the
// client-credentials flow.
func clientCredentialsProfile(srv *authserver.Server, name string) tokens.Profile {
	return tokens.Profile{
		Profile: record.Profile{Name: name, Type: record.OAuth},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials},
			Issuer:        srv.Issuer(),
			Endpoints:     oauth.Endpoints{Issuer: srv.Issuer(), TokenURL: srv.TokenURL(), RevocationURL: srv.RevocationURL()},
			ClientID:      "svc"}}
}

// addClientCredentials stores profile name for srv's client svc (secret
// s3cret) with the client-credentials flow.
func addClientCredentials(t *testing.T, d *Deps, srv *authserver.Server, name string) {
	t.Helper()
	addProfile(t, d, clientCredentialsProfile(srv, name), "s3cret")
}

// addProfile stores p with its secret as tok profile add would.
func addProfile(t *testing.T, d *Deps, p tokens.Profile, secret string) {
	t.Helper()
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddProfile(t.Context(), p, secret); err != nil {
		t.Fatal(err)
	}
}

// svcServer is the in-process OAuth server with the confidential client
// svc (secret s3cret) that clientCredentialsProfile uses.
func svcServer(t *testing.T) *authserver.Server {
	t.Helper()
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "s3cret"})
	return srv
}

// wantLine fails unless out, trimmed, is exactly want.
func wantLine(t *testing.T, out, want string) {
	t.Helper()
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// storedStatus is what tok status reports about a profile.
func storedStatus(t *testing.T, d *Deps, name string) tokens.ProfileStatus {
	t.Helper()
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := svc.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// run runs one tok command line in process through the whole root and
// returns its exit code.
func (d *Deps) run(args ...string) int {
	d.ran = false
	root := NewRootCmd(d)
	root.SetArgs(args)
	return d.finish(root.ExecuteContext(context.Background()))
}
