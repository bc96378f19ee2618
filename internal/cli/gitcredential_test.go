package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
)

func TestNewCmdGitCredential(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	got := parsed(t, d, newCmdGitCredential, "get")
	if got == nil || got.Action != "get" || got.OpenTTY == nil {
		t.Errorf("parsed %+v", got)
	}
	if err := parseCmd(d, newCmdGitCredential(d, func(*gitCredentialOptions) error { t.Error("runF called"); return nil })); exitCode(err) != ExitUsage ||
		!strings.Contains(err.Error(), "tok git-credential takes the action git gives it (get, store or erase) (got 0 argument(s))") {
		t.Errorf("no action: %v", err)
	}
}

// TestGitCredentialRun answers git from an OAuth profile whose --git-url
// matches, and with nothing for other hosts; off a terminal a profile
// that needs a login fails naming the command (no terminal to open).
func TestGitCredentialRun(t *testing.T) {
	srv := svcServer(t)
	d, _, in, out, _ := testDeps(t, nil)
	p := clientCredentialsProfile(srv, "forge")
	p.Remotes = &record.Remotes{Git: []string{"https://git.example.com/team"}}
	addProfile(t, d, p, "s3cret")

	in.WriteString("protocol=https\nhost=git.example.com\npath=team/repo.git\n\n")
	if err := d.runGitCredential(t.Context(), &gitCredentialOptions{Action: "get"}); err != nil {
		t.Fatal(err)
	}
	cred, err := d.svc.Token(t.Context(), "forge", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "protocol=https\nhost=git.example.com\nusername=oauth2\npassword="+cred.Token+"\n") {
		t.Errorf("get answered %q", got)
	}

	out.Reset()
	in.WriteString("protocol=https\nhost=elsewhere.example.com\n\n")
	if err := d.runGitCredential(t.Context(), &gitCredentialOptions{Action: "get"}); err != nil || out.Len() != 0 {
		t.Errorf("another host: %v, %q", err, out)
	}
	out.Reset()
	if err := d.runGitCredential(t.Context(), &gitCredentialOptions{Action: "capability"}); err != nil || !strings.Contains(out.String(), "capability") {
		t.Errorf("capability: %v, %q", err, out)
	}
}

// TestGitCredentialInProcess runs the git helper through the whole tree:
// a static profile answers get; store and erase keep and drop a password.
func TestGitCredentialInProcess(t *testing.T) {
	d, _, in, out, errOut := testDeps(t, nil)
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	if code := d.run("profile", "add", "pat", "--type", "static", "--git-url", "https://git.example.com/team", "--git-username", "bob"); code != 0 {
		t.Fatalf("profile add: %d %s", code, errOut)
	}
	if err := svc.SetStaticToken(context.Background(), "pat", "s3cret", d.now().AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	in.WriteString("protocol=https\nhost=git.example.com\npath=team/repo.git\ncapability[]=authtype\n\n")
	if code := d.run("git-credential", "get"); code != 0 {
		t.Fatalf("get: %d %s", code, errOut)
	}
	// A static profile never answers with authtype: its token is a password.
	if got := out.String(); !strings.HasPrefix(got, "protocol=https\nhost=git.example.com\nusername=bob\npassword=s3cret\npassword_expiry_utc=") {
		t.Errorf("get answered %q", got)
	}

	// store for another host creates a profile; erase with its password removes it.
	out.Reset()
	in.WriteString("protocol=https\nhost=gitea.example.com\nusername=alice\npassword=pw\n\n")
	if code := d.run("git-credential", "store"); code != 0 || out.Len() != 0 {
		t.Fatalf("store: %d %q %s", code, out, errOut)
	}
	if p, err := svc.Profile("gitea.example.com"); err != nil || p.Remotes == nil || p.Remotes.StoredBy != "git" {
		t.Fatalf("store made %+v, %v", p, err)
	}
	in.WriteString("protocol=https\nhost=gitea.example.com\nusername=alice\npassword=pw\n\n")
	if code := d.run("git-credential", "erase"); code != 0 {
		t.Fatalf("erase: %d %s", code, errOut)
	}
	if _, err := svc.Profile("gitea.example.com"); err == nil {
		t.Error("erase left the stored profile")
	}
	// Unknown actions are ignored without reading anything.
	if code := d.run("git-credential", "frobnicate"); code != 0 || out.Len() != 0 {
		t.Errorf("unknown action: %d %q", code, out)
	}
}
