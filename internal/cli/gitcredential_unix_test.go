//go:build unix

package cli

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
	"github.com/tok-cli/tok/internal/tokens"
)

// TestGitCredentialRunLoginOnTerminal: git owns stdin and stdout, so a
// profile that needs a login signs in on the controlling terminal (a pty
// here): the login talks there, git's stdout gets only the answer, and
// the Deps keeps its own streams.
func TestGitCredentialRunLoginOnTerminal(t *testing.T) {
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "cli"})
	d, _, in, out, errOut := testDeps(t, map[string]string{"DISPLAY": ":0"})
	d.openBrowser = func(url string) error {
		go func() {
			if resp, err := http.Get(url); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	p := tokens.Profile{
		Profile: record.Profile{Name: "forge", Type: record.OAuth, Remotes: &record.Remotes{Git: []string{"https://git.example.com/"}}},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowBrowser},
			Issuer:        srv.Issuer(),
			Endpoints:     oauth.Endpoints{Issuer: srv.Issuer(), AuthURL: srv.AuthURL(), TokenURL: srv.TokenURL(), JWKSURL: srv.JWKSURL()},
			ClientID:      "cli",
			Scopes:        []string{"openid"},
		}}
	if err := svc.AddProfile(t.Context(), p, ""); err != nil {
		t.Fatal(err)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var screen syncbuf.Buffer
	go io.Copy(&screen, ptmx) //nolint:errcheck // ends when the pty closes
	streams := d.io

	in.WriteString("protocol=https\nhost=git.example.com\npath=x.git\n\n")
	err = d.runGitCredential(t.Context(), &gitCredentialOptions{Action: "get", OpenTTY: func() (*os.File, error) { return tty, nil }})
	if err != nil {
		t.Fatalf("%v; terminal: %q", err, screen.String())
	}
	cred, err := svc.Token(t.Context(), "forge", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "protocol=https\nhost=git.example.com\nusername=oauth2\npassword="+cred.Token+"\n") {
		t.Errorf("git got %q", got)
	}
	if d.io != streams || errOut.Len() != 0 {
		t.Errorf("the login changed the Deps' streams or wrote to git's stderr: %q", errOut)
	}
	if err := awaitText(&screen, `Profile "forge" needs a login`); err != nil {
		t.Error(err)
	}
	d.lingering.Wait()
}
