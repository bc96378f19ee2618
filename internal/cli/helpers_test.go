package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/store"
)

// helperApp is an app on an in-memory database whose streams the test
// reads, with env as its environment.
func helperApp(t *testing.T, env map[string]string) (d *Deps, in, out, errOut *bytes.Buffer) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	d = newDeps(ios, func(k string) string { return env[k] })
	svc, err := d.newService(store.NewMemory(), &keysource.Memory{}, "")
	if err != nil {
		t.Fatal(err)
	}
	d.svc = svc
	return d, in, out, errOut
}

func TestGitCredentialInProcess(t *testing.T) {
	d, in, out, errOut := helperApp(t, nil)
	if code := d.run("profile", "add", "pat", "--type", "static", "--git-url", "https://git.example.com/team", "--git-username", "bob"); code != 0 {
		t.Fatalf("profile add: %d %s", code, errOut)
	}
	if err := d.svc.SetStaticToken(context.Background(), "pat", "s3cret", d.now().AddDate(1, 0, 0)); err != nil {
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
	if p, err := d.svc.Profile("gitea.example.com"); err != nil || p.Remotes == nil || p.Remotes.StoredBy != "git" {
		t.Fatalf("store made %+v, %v", p, err)
	}
	in.WriteString("protocol=https\nhost=gitea.example.com\nusername=alice\npassword=pw\n\n")
	if code := d.run("git-credential", "erase"); code != 0 {
		t.Fatalf("erase: %d %s", code, errOut)
	}
	if _, err := d.svc.Profile("gitea.example.com"); err == nil {
		t.Error("erase left the stored profile")
	}
	// Unknown actions are ignored without reading anything.
	if code := d.run("git-credential", "frobnicate"); code != 0 || out.Len() != 0 {
		t.Errorf("unknown action: %d %q", code, out)
	}
}

func TestDockerCredentialInProcess(t *testing.T) {
	dir := t.TempDir()
	d, in, out, errOut := helperApp(t, map[string]string{"DOCKER_CONFIG": dir})
	in.WriteString("reg.example.com")
	if code := d.run("docker-credential", "get"); code != 1 || out.String() != "credentials not found in native keychain\n" || errOut.Len() != 0 {
		t.Fatalf("get of an unknown registry: %d stdout %q stderr %q", code, out, errOut)
	}
	out.Reset()
	in.WriteString(`{"ServerURL":"reg.example.com","Username":"u","Secret":"pw"}`)
	if code := d.run("docker-credential", "store"); code != 0 {
		t.Fatalf("store: %d %q %s", code, out, errOut)
	}
	in.WriteString("https://reg.example.com/v2/\n")
	if code := d.run("docker-credential", "get"); code != 0 || out.String() != `{"ServerURL":"https://reg.example.com/v2/","Username":"u","Secret":"pw"}`+"\n" {
		t.Fatalf("get: %d %q %s", code, out, errOut)
	}
	if code := d.run("docker", "configure"); code != 0 {
		t.Fatalf("docker configure: %d %s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || !strings.Contains(string(b), `"credsStore": "tok"`) {
		t.Errorf("config.json after configure: %s %v", b, err)
	}
	if code := d.run("docker", "configure", "--registry", "bad host"); code != 2 {
		t.Errorf("configure with a bad registry: exit %d, want 2", code)
	}
}
