//go:build unix

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// dockerHelperPath is docker-credential-tok beside the tok under test.
func dockerHelperPath() string { return filepath.Join(filepath.Dir(tokPath), "docker-credential-tok") }

// authRegistry is go-containerregistry's in-process registry behind a
// Basic authentication check the test chooses.
type authRegistry struct {
	Host string // 127.0.0.1:PORT

	mu       sync.Mutex
	accept   func(user, secret string) bool
	accepted int
}

func newAuthRegistry(t testing.TB, accept func(user, secret string) bool) *authRegistry {
	t.Helper()
	ar := &authRegistry{accept: accept}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, secret, ok := basicAuth(r)
		ar.mu.Lock()
		pass := ok && ar.accept(user, secret)
		if pass {
			ar.accepted++
		}
		ar.mu.Unlock()
		if !pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="tok-e2e"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ar.Host = strings.TrimPrefix(srv.URL, "http://")
	return ar
}

func basicAuth(r *http.Request) (user, secret string, ok bool) {
	b64, found := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

func (ar *authRegistry) Accepted() int {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.accepted
}

// pushRandom pushes a random image as repo:latest with auth and returns it.
func pushRandom(t testing.TB, host, repo string, auth authn.Authenticator) (name.Reference, v1.Hash) {
	t.Helper()
	ref, err := name.ParseReference(host+"/"+repo+":latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("pushing the test image: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref, d
}

// helperKeychain is a go-containerregistry keychain that asks
// docker-credential-tok through the docker-credential-helpers client,
// the library the docker CLI uses.
type helperKeychain struct{ prog client.ProgramFunc }

func (h helperKeychain) Get(serverURL string) (string, string, error) {
	c, err := client.Get(h.prog, serverURL)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Secret, nil
}

// helperProgram runs docker-credential-tok in env.
func helperProgram(env Env) client.ProgramFunc {
	m := map[string]string(env.With())
	return client.NewShellProgramFuncWithEnv(dockerHelperPath(), &m)
}

// TestDockerDefaultKeychainPullsWithOAuthToken: `tok docker configure`
// points ~/.docker/config.json at tok, and go-containerregistry's default
// keychain (what crane and ko use) pulls from a registry that accepts
// only tokens the authorization server issued.
func TestDockerDefaultKeychainPullsWithOAuthToken(t *testing.T) {
	srv := newAuthServer(t, authserver.Options{})
	ar := newAuthRegistry(t, func(user, secret string) bool { return user == "oauth2" && srv.Introspect(secret) })
	env := FileKeyEnv(t)
	addOAuth(t, env, "harbor", srv, "--registry", ar.Host)
	loginOK(t, env, "harbor", srv)
	token := ReadStoredTokens(t, env, "harbor").Access
	ref, digest := pushRandom(t, ar.Host, "team/app", &authn.Basic{Username: "oauth2", Password: token})

	dockerDir := filepath.Join(env["HOME"], ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dockerDir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"auths":{"other.example.com":{}},"psFormat":"table {{.ID}}","credHelpers":{"gcr.io":"gcloud"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run(t, env, "", "docker", "configure", "--registry", ar.Host)
	WantCode(t, r, 0)
	var conf map[string]any
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatalf("config.json after tok docker configure: %v\n%s", err, b)
	}
	helpers, _ := conf["credHelpers"].(map[string]any)
	if helpers[ar.Host] != "tok" || helpers["gcr.io"] != "gcloud" || conf["psFormat"] != "table {{.ID}}" || conf["auths"] == nil {
		t.Errorf("config.json after tok docker configure lost or lacks settings:\n%s", b)
	}
	if info, err := os.Stat(cfg); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config.json mode after configure: %v %v, want 0600", info.Mode(), err)
	}

	// The default keychain reads DOCKER_CONFIG and runs
	// docker-credential-tok from PATH in this process's environment.
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("DOCKER_CONFIG", dockerDir)
	before := ar.Accepted()
	img, err := remote.Image(ref, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		t.Fatalf("pulling through the default keychain: %v", err)
	}
	got, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != digest || ar.Accepted() == before {
		t.Errorf("pulled %s (authenticated requests %d → %d), want %s through tok's credentials", got, before, ar.Accepted(), digest)
	}

	c, err := client.Get(helperProgram(env), "https://"+ar.Host+"/")
	if err != nil {
		t.Fatalf("docker-credential-helpers client Get: %v", err)
	}
	if c.Username != "oauth2" || c.Secret != token || c.ServerURL != "https://"+ar.Host+"/" {
		t.Errorf("client Get = %q / (%d bytes) for %q, want oauth2 and the access token", c.Username, len(c.Secret), c.ServerURL)
	}
	list, err := client.List(helperProgram(env))
	if err != nil || list[ar.Host] != "oauth2" {
		t.Errorf("client List = %v, %v; want %s → oauth2", list, err, ar.Host)
	}
	// docker login for a registry an OAuth profile serves changes nothing.
	if err := client.Store(helperProgram(env), &credentials.Credentials{ServerURL: ar.Host, Username: "x", Secret: "y"}); err != nil {
		t.Fatalf("client Store: %v", err)
	}
	if again, err := client.Get(helperProgram(env), ar.Host); err != nil || again.Secret != token {
		t.Errorf("after docker login for an OAuth registry, Get = %v, %v; want the OAuth token still", again, err)
	}
}

// TestDockerStoreGetEraseWithHelperClient: what docker login, pulls and
// docker logout do through the docker-credential-helpers client: the
// password is stored sealed, pulls authenticate with it, an identity
// token is stored the same way, erase removes it, then "not found".
func TestDockerStoreGetEraseWithHelperClient(t *testing.T) {
	t.Parallel()
	password := NewSecret(t)
	ar := newAuthRegistry(t, func(user, secret string) bool { return user == "bob" && secret == password })
	ref, digest := pushRandom(t, ar.Host, "lib/x", &authn.Basic{Username: "bob", Password: password})
	env := FileKeyEnv(t)
	prog := helperProgram(env)

	if _, err := client.Get(prog, ar.Host); !credentials.IsErrCredentialsNotFound(err) {
		t.Fatalf("Get before any store = %v, want the not-found error", err)
	}
	if err := client.Store(prog, &credentials.Credentials{ServerURL: ar.Host, Username: "bob", Secret: password}); err != nil {
		t.Fatalf("Store: %v", err)
	}
	db, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(password)) {
		t.Fatal("the database holds the registry password in plaintext")
	}
	profile := strings.ReplaceAll(ar.Host, ":", "-")
	if st := ReadStoredTokens(t, env, profile); st.Access != password {
		t.Fatalf("profile %q does not hold the stored password", profile)
	}
	img, err := remote.Image(ref, remote.WithAuthFromKeychain(authn.NewKeychainFromHelper(helperKeychain{prog})))
	if err != nil {
		t.Fatalf("pull with the stored password: %v", err)
	}
	if d, _ := img.Digest(); d != digest {
		t.Errorf("pulled %s, want %s", d, digest)
	}

	idToken := NewSecret(t)
	if err := client.Store(prog, &credentials.Credentials{ServerURL: "https://ids.example.com", Username: "<token>", Secret: idToken}); err != nil {
		t.Fatalf("Store of an identity token: %v", err)
	}
	if c, err := client.Get(prog, "ids.example.com"); err != nil || c.Username != "<token>" || c.Secret != idToken {
		t.Errorf("Get of the identity token = %+v, %v", c, err)
	}
	list, err := client.List(prog)
	if err != nil || list[ar.Host] != "bob" || list["https://ids.example.com"] != "<token>" {
		t.Errorf("List = %v, %v", list, err)
	}

	if err := client.Erase(prog, ar.Host); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if _, err := client.Get(prog, ar.Host); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("Get after Erase = %v, want not found", err)
	}
	if st := ReadStoredTokens(t, env, profile); st.HasState {
		t.Errorf("profile %q still holds the password after erase", profile)
	}
}

// TestDockerCredentialBadInput: each bad request gets its one-line error
// on stdout and exit status 1, as the protocol specifies, and the store
// is unchanged.
func TestDockerCredentialBadInput(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	prog := helperProgram(env)
	if err := client.Store(prog, &credentials.Credentials{ServerURL: "reg.example.com", Username: "u", Secret: "s1"}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		stdin  string
		stdout string
	}{
		{[]string{"store"}, "not json at all", "not valid JSON"},
		{[]string{"store"}, `{"ServerURL":"reg.example.com","Username":"u","Secret":"s2"} {"x":1}`, "not valid JSON"},
		{[]string{"store"}, `{"Username":"u","Secret":"s"}`, "no credentials server URL"},
		{[]string{"store"}, `{"ServerURL":"new.example.com","Secret":"s"}`, "no credentials username"},
		{[]string{"store"}, `{"ServerURL":"new.example.com","Username":"u","Secret":"` + strings.Repeat("s", 70<<10) + `"}`, "too long"},
		{[]string{"get"}, "  \n", "no credentials server URL"},
		{[]string{"get"}, "unknown.example.com\n", "credentials not found in native keychain"},
		{[]string{"erase"}, "unknown.example.com", "credentials not found in native keychain"},
		{[]string{"frobnicate"}, "", "unknown credential action"},
		{nil, "", "usage: docker-credential-tok"},
	}
	for _, c := range cases {
		r := RunProgram(t, env, c.stdin, dockerHelperPath(), c.args...)
		WantCode(t, r, 1)
		if !strings.Contains(r.Stdout, c.stdout) || strings.Count(r.Stdout, "\n") != 1 {
			t.Errorf("%v with %.40q: stdout %q, want one line with %q", c.args, c.stdin, r.Stdout, c.stdout)
		}
		if strings.Contains(r.Stdout, "ssssssss") {
			t.Errorf("%v: the error repeats the input", c.args)
		}
	}
	after, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("bad requests changed the database")
	}
	r := RunProgram(t, env, "", dockerHelperPath(), "version")
	WantCode(t, r, 0)
	if !strings.HasPrefix(r.Stdout, "docker-credential-tok ") {
		t.Errorf("version printed %q", r.Stdout)
	}
}
