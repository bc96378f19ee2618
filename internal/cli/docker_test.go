package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
)

func TestNewCmdDocker(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	got := parsed(t, d, newCmdDocker, "configure", "--registry", "a.example", "--registry", "b.example")
	if got == nil || !reflect.DeepEqual(got.Registries, []string{"a.example", "b.example"}) {
		t.Errorf("parsed %+v", got)
	}
	cred := parsed(t, d, newCmdDockerCredential, "get")
	if cred == nil || cred.Action != "get" || cred.OpenTTY == nil {
		t.Errorf("parsed %+v", cred)
	}
}

// TestDockerCredentialRunOAuth: a registry an OAuth profile serves gets
// its access token with the profile's registry username.
func TestDockerCredentialRunOAuth(t *testing.T) {
	srv := svcServer(t)
	d, _, in, out, errOut := testDeps(t, nil)
	p := clientCredentialsProfile(srv, "harbor")
	p.Remotes = &record.Remotes{Registries: []string{"harbor.example.com"}, RegistryUsername: "robot"}
	addProfile(t, d, p, "s3cret")
	in.WriteString("https://harbor.example.com\n")
	if err := d.runDockerCredential(t.Context(), &dockerCredentialOptions{Action: "get"}); err != nil {
		t.Fatal(err)
	}
	var c struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal(out.Bytes(), &c); err != nil || c.Username != "robot" || c.Secret == "" || !srv.Introspect(c.Secret) {
		t.Errorf("get answered %s (%v)", out, err)
	}
	out.Reset()
	if err := d.runDockerCredential(t.Context(), &dockerCredentialOptions{Action: "list"}); err != nil || out.String() != `{"harbor.example.com":"robot"}`+"\n" {
		t.Errorf("list: %v %q", err, out)
	}
	// docker logout does not remove a profile the person made.
	in.WriteString("https://harbor.example.com\n")
	if err := d.runDockerCredential(t.Context(), &dockerCredentialOptions{Action: "erase"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `tok: profile "harbor" serves this registry and stays; to end its grant run: tok revoke -p harbor`)
	if ps := storedStatus(t, d, "harbor"); ps.Profile.Remotes == nil || ps.Obtained.IsZero() {
		t.Errorf("erase changed the OAuth profile: %+v", ps)
	}
}

// TestDockerConfigureRun: without --registry tok becomes docker's
// credential store, with --registry the helper of those registries (each
// HOST[:PORT] checked, sorted); a second run says nothing changed, and the
// other settings in config.json stay.
func TestDockerConfigureRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(`{"auths":{"old.example":{}},"psFormat":"table"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, _, _, errOut := testDeps(t, map[string]string{"DOCKER_CONFIG": dir})
	read := func() map[string]any {
		t.Helper()
		var m map[string]any
		b, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(b, &m) != nil {
			t.Fatalf("config.json: %s %v", b, err)
		}
		return m
	}
	if err := d.runDockerConfigure(&dockerConfigureOptions{Registries: []string{"b.example:5000", "a.example"}}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Docker clients now ask tok (docker-credential-tok) for [a.example b.example:5000] ("+path+").")
	m := read()
	if !reflect.DeepEqual(m["credHelpers"], map[string]any{"a.example": "tok", "b.example:5000": "tok"}) || m["credsStore"] != nil || m["psFormat"] != "table" || m["auths"] == nil {
		t.Errorf("config.json after --registry: %v", m)
	}
	errOut.Reset()
	if err := d.runDockerConfigure(&dockerConfigureOptions{Registries: []string{"a.example", "b.example:5000"}}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), path+" already uses tok for [a.example b.example:5000].")
	errOut.Reset()
	if err := d.runDockerConfigure(&dockerConfigureOptions{}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Docker clients now ask tok (docker-credential-tok) for every registry ("+path+").")
	if m := read(); m["credsStore"] != "tok" || m["psFormat"] != "table" {
		t.Errorf("config.json after configure: %v", m)
	}
	errOut.Reset()
	before := read()
	if err := d.runDockerConfigure(&dockerConfigureOptions{Registries: []string{"bad host"}}); exitCode(err) != ExitUsage || errOut.Len() != 0 {
		t.Errorf("a bad registry: %v, said %q", err, errOut)
	}
	if after := read(); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused configure changed config.json: %v -> %v", before, after)
	}
}

// TestDockerCredentialInProcess runs the docker helper through the whole
// tree: get, store, get, and docker configure.
func TestDockerCredentialInProcess(t *testing.T) {
	dir := t.TempDir()
	d, _, in, out, errOut := testDeps(t, map[string]string{"DOCKER_CONFIG": dir})
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
	// docker logout removes what docker login stored.
	out.Reset()
	in.WriteString("https://reg.example.com/v2/\n")
	if code := d.run("docker-credential", "erase"); code != 0 || out.Len() != 0 {
		t.Fatalf("erase: %d %q %s", code, out, errOut)
	}
	in.WriteString("https://reg.example.com/v2/\n")
	if code := d.run("docker-credential", "get"); code != 1 || out.String() != "credentials not found in native keychain\n" {
		t.Errorf("get after erase: %d stdout %q stderr %q", code, out, errOut)
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
