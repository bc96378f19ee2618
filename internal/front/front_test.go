package front

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokens"
)

// These tests run the front in process (run with a deps of their own) on
// a real bbolt database in a temporary home, filled the way tok-full
// fills it: profiles, the default and static tokens through
// tokens.Service, OAuth token states sealed with the database's data key
// (a key file) and written through the store. handOff is recorded, not
// exec'd, so each test sees the front's decision: serve, or give the
// command line to tok-full untouched.

// testNow is the clock of the front and of the Service that wrote the
// database.
var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const (
	apiAccess  = "api-access-token"
	apiID      = "api-id-token"
	ghAccess   = "gh-access-token"
	staleToken = "stale-access-token"
	staticTok  = "static-token"

	margin = 2 * time.Minute // every OAuth profile's refresh margin
)

var (
	apiExpiry   = testNow.Add(time.Hour)
	apiIDExpiry = testNow.Add(30 * time.Minute)
)

// testHome is a tok home with these profiles:
//
//	api     OAuth, the default; access and ID token valid, kubectl gets the ID token
//	gh      OAuth, answers git for https://git.example.com/org; valid
//	stale   OAuth, answers git for https://git.example.com/stale;
//	        inside its refresh margin, so tok-full must refresh it
//	static  a static token without expiry
//	old     a static token that expired an hour ago
type testHome struct {
	dir string
	// put writes a token state for profile name as a login or refresh
	// in tok-full would.
	put func(name, access, id string, st record.State)
}

func newTestHome(t *testing.T) testHome {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tok")
	keys := &keysource.Resolver{Home: dir, Getenv: func(string) string { return "" }}
	svc := &tokens.Service{Store: store.New(dir), Keys: keys,
		Now: func() time.Time { return testNow }, HTTPTimeout: time.Second, LockTimeout: time.Second}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// As `tok config set key-source file` does before the first profile.
	must(svc.SetKeySource(ctx, keysource.File))

	eps := oauth.Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: "https://idp.example.com/token"}
	oauthProfile := func(name string, k8s record.K8sToken, git ...string) tokens.Profile {
		p := tokens.Profile{
			Profile: record.Profile{Name: name, Type: record.OAuth, Env: []string{"API_TOKEN"}},
			OAuth: &tokens.OAuthConfig{
				OAuthSettings: record.OAuthSettings{RefreshMargin: record.Duration(margin), K8sToken: k8s},
				Endpoints:     eps, ExplicitEndpoints: true, ClientID: "client", Scopes: []string{"openid"}}}
		if len(git) > 0 {
			p.Remotes = &record.Remotes{Git: git}
		}
		return p
	}
	must(svc.AddProfile(ctx, tokens.Profile{Profile: record.Profile{Name: "static", Type: record.Static}}, ""))
	must(svc.SetStaticToken(ctx, "static", staticTok, time.Time{}))
	must(svc.AddProfile(ctx, tokens.Profile{Profile: record.Profile{Name: "old", Type: record.Static}}, ""))
	must(svc.SetStaticToken(ctx, "old", "old-token", testNow.Add(-time.Hour)))
	must(svc.AddProfile(ctx, oauthProfile("api", record.K8sIDToken), ""))
	must(svc.AddProfile(ctx, oauthProfile("gh", "", "https://git.example.com/org"), ""))
	must(svc.AddProfile(ctx, oauthProfile("stale", "", "https://git.example.com/stale"), ""))
	must(svc.SetDefault("api"))

	// The token states a login would leave, sealed under the data key
	// with the associated data tokens uses (seal.AD(profile, field)).
	var meta store.Meta
	must(svc.Store.View(func(tx *store.Tx) error { meta = tx.Meta(); return nil }))
	key, err := keys.Get(ctx, keysource.File, meta.KeyID)
	must(err)
	sl, err := seal.New(key)
	must(err)
	sealed := func(profile, field, value string) []byte {
		t.Helper()
		if value == "" {
			return nil
		}
		b, err := sl.Seal([]byte(value), seal.AD(profile, field))
		must(err)
		return b
	}
	put := func(name, access, id string, st record.State) {
		t.Helper()
		st.TokenType, st.Obtained = "Bearer", testNow.Add(-5*time.Minute)
		st.Access, st.Refresh, st.ID = sealed(name, "access", access), sealed(name, "refresh", "rt-"+name), sealed(name, "id", id)
		must(svc.Store.Update(func(tx *store.Tx) error { return tx.Put(store.States, name, st) }))
	}
	put("api", apiAccess, apiID, record.State{Gen: 1, Expiry: apiExpiry, IDExpiry: apiIDExpiry})
	put("gh", ghAccess, "", record.State{Gen: 1, Expiry: testNow.Add(time.Hour)})
	put("stale", staleToken, "", record.State{Gen: 1, Expiry: testNow.Add(margin / 2)})
	return testHome{dir: dir, put: put}
}

// outcome is what one run of the front did.
type outcome struct {
	code           int
	stdout, stderr string
	handedOff      bool
	handOffArgs    []string
	handOffStdin   []byte // what tok-full was given to read; nil: exec
	handOffByExec  bool   // tok-full replaced the front (stdin nil)
	handOffCalls   int
}

// handOffCode is what the recorded handOff returns, so a test can tell
// the front returned tok-full's code.
const handOffCode = 42

// runFront runs the front on args with the environment env (nothing of
// the test process's) and stdin.
func runFront(t *testing.T, env map[string]string, stdin string, args ...string) outcome {
	t.Helper()
	var out outcome
	var stdout, stderr bytes.Buffer
	d := deps{
		getenv:  func(k string) string { return env[k] },
		environ: func() []string { return envList(env) },
		stdin:   strings.NewReader(stdin),
		stdout:  &stdout,
		stderr:  &stderr,
		now:     func() time.Time { return testNow },
		handOff: func(args []string, in io.Reader) int {
			out.handedOff = true
			out.handOffCalls++
			out.handOffArgs = slices.Clone(args)
			if in == nil {
				out.handOffByExec = true
			} else {
				b, err := io.ReadAll(in)
				if err != nil {
					t.Fatal(err)
				}
				out.handOffStdin = b
			}
			return handOffCode
		},
	}
	out.code = run(d, slices.Clone(args))
	out.stdout, out.stderr = stdout.String(), stderr.String()
	return out
}

func envList(env map[string]string) []string {
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}

// served fails the test unless the front answered args itself with exit 0
// and nothing on stderr.
func served(t *testing.T, o outcome) {
	t.Helper()
	if o.handedOff {
		t.Fatalf("handed over to tok-full with %q; want the front to serve it", o.handOffArgs)
	}
	if o.code != 0 || o.stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", o.code, o.stderr)
	}
}

// handedOver fails the test unless the front gave args, untouched, to
// tok-full by exec, having written nothing itself.
func handedOver(t *testing.T, o outcome, args []string) {
	t.Helper()
	if !o.handedOff || o.handOffCalls != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want one hand-over to tok-full", o.code, o.stdout, o.stderr)
	}
	if !slices.Equal(o.handOffArgs, args) {
		t.Errorf("tok-full got %q, want the same arguments %q", o.handOffArgs, args)
	}
	if !o.handOffByExec {
		t.Errorf("tok-full was started as a child with stdin %q; want it to take over the process", o.handOffStdin)
	}
	if o.stdout != "" || o.stderr != "" {
		t.Errorf("the front wrote stdout %q, stderr %q before handing over; tok-full must be the only voice", o.stdout, o.stderr)
	}
	if o.code != handOffCode {
		t.Errorf("exit %d, want tok-full's %d", o.code, handOffCode)
	}
}

func TestFrontServesValidToken(t *testing.T) {
	h := newTestHome(t)
	env := map[string]string{"TOK_HOME": h.dir}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"raw by -p", nil, []string{"token", "-p", "api"}, apiAccess + "\n"},
		{"raw by name argument", nil, []string{"token", "gh"}, ghAccess + "\n"},
		{"raw of the default profile", nil, []string{"token"}, apiAccess + "\n"},
		{"TOK_PROFILE", map[string]string{"TOK_PROFILE": "static"}, []string{"token"}, staticTok + "\n"},
		{"-p over TOK_PROFILE", map[string]string{"TOK_PROFILE": "static"}, []string{"token", "-p=gh"}, ghAccess + "\n"},
		{"header", nil, []string{"token", "-p", "api", "-o", "header"}, "Authorization: Bearer " + apiAccess + "\n"},
		{"header, --output=", nil, []string{"token", "--output=header", "--profile=static"}, "Authorization: Bearer " + staticTok + "\n"},
		{"expired static with --allow-expired", nil, []string{"token", "-p", "old", "--allow-expired"}, "old-token\n"},
		// An explicit profile is not the ephemeral one TOK_ISSUER builds.
		{"TOK_ISSUER with -p", map[string]string{"TOK_ISSUER": "https://idp.example.com"}, []string{"token", "-p", "api"}, apiAccess + "\n"},
		{"TOK_TOKEN_URL with TOK_PROFILE", map[string]string{"TOK_TOKEN_URL": "https://idp.example.com/token", "TOK_PROFILE": "gh"}, []string{"token"}, ghAccess + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tt.env {
				e[k] = v
			}
			o := runFront(t, e, "", tt.args...)
			served(t, o)
			if o.stdout != tt.want {
				t.Errorf("stdout %q, want %q", o.stdout, tt.want)
			}
		})
	}
}

// TestFrontServesJSON: -o json names the profile and the token's expiry.
func TestFrontServesJSON(t *testing.T) {
	h := newTestHome(t)
	// --home instead of TOK_HOME: the flag reaches the store as well.
	o := runFront(t, nil, "", "token", "-o", "json", "--home", h.dir, "-p", "api")
	served(t, o)
	var got struct {
		Profile   string    `json:"profile"`
		Token     string    `json:"token"`
		TokenType string    `json:"token_type"`
		ExpiresAt time.Time `json:"expires_at"`
		ExpiresIn int64     `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &got); err != nil {
		t.Fatalf("-o json printed %q: %v", o.stdout, err)
	}
	if got.Profile != "api" || got.Token != apiAccess || got.TokenType != "Bearer" ||
		!got.ExpiresAt.Equal(apiExpiry) || got.ExpiresIn != int64(time.Hour/time.Second) {
		t.Errorf("-o json = %+v; want profile api, its access token, Bearer, expiry %s in 3600s", got, apiExpiry)
	}
}

// TestFrontServesKube: tok kube and tok token -o exec-credential answer
// kubectl with the profile's kubectl token (api's ID token) and an expiry
// one refresh margin before the token's.
func TestFrontServesKube(t *testing.T) {
	h := newTestHome(t)
	const v1 = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
	clusterNamesGH := `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,` +
		`"cluster":{"server":"https://k8s.example.com","config":{"tok":{"profile":"gh"}}}}}`
	tests := []struct {
		name       string
		info       string
		args       []string
		apiVersion string
		token      string
		expiry     time.Time
	}{
		{"kube -p", v1, []string{"kube", "-p", "api"}, "client.authentication.k8s.io/v1", apiID, apiIDExpiry.Add(-margin)},
		{"kube, default profile, no exec info", "", []string{"kube"}, "client.authentication.k8s.io/v1beta1", apiID, apiIDExpiry.Add(-margin)},
		{"token -o exec-credential", v1, []string{"token", "-p", "api", "-o", "exec-credential"}, "client.authentication.k8s.io/v1", apiID, apiIDExpiry.Add(-margin)},
		{"profile from the cluster extension", clusterNamesGH, []string{"kube"}, "client.authentication.k8s.io/v1", ghAccess, testNow.Add(time.Hour - margin)},
		{"-p over the cluster extension", clusterNamesGH, []string{"kube", "-p", "api"}, "client.authentication.k8s.io/v1", apiID, apiIDExpiry.Add(-margin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TOK_HOME": h.dir}
			if tt.info != "" {
				env["KUBERNETES_EXEC_INFO"] = tt.info
			}
			o := runFront(t, env, "", tt.args...)
			served(t, o)
			var got struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Status     struct {
					Token               string    `json:"token"`
					ExpirationTimestamp time.Time `json:"expirationTimestamp"`
				} `json:"status"`
			}
			if err := json.Unmarshal([]byte(o.stdout), &got); err != nil {
				t.Fatalf("printed %q: %v", o.stdout, err)
			}
			if got.APIVersion != tt.apiVersion || got.Kind != "ExecCredential" {
				t.Errorf("apiVersion %q kind %q; want %q ExecCredential", got.APIVersion, got.Kind, tt.apiVersion)
			}
			if got.Status.Token != tt.token {
				t.Errorf("token %q, want %q", got.Status.Token, tt.token)
			}
			if !got.Status.ExpirationTimestamp.Equal(tt.expiry) {
				t.Errorf("expirationTimestamp %s, want %s (the token's expiry less the %s margin)", got.Status.ExpirationTimestamp, tt.expiry, margin)
			}
		})
	}
}

// TestFrontHandsOver: every command line the front cannot answer from the
// cache as it is goes to tok-full unchanged, with nothing printed first.
func TestFrontHandsOver(t *testing.T) {
	h := newTestHome(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"stale token", nil, []string{"token", "-p", "stale"}},
		{"expired static token", nil, []string{"token", "-p", "old"}},
		{"unknown profile", nil, []string{"token", "-p", "nope"}},
		{"unknown profile in TOK_PROFILE", map[string]string{"TOK_PROFILE": "nope"}, []string{"token"}},
		{"stale token for kube", nil, []string{"kube", "-p", "stale"}},
		{"stale token for exec", nil, []string{"exec", "-p", "stale", "--", "true"}},
		{"another command", nil, []string{"status"}},
		{"login", nil, []string{"login", "-p", "api"}},
		{"git-credential store", nil, []string{"git-credential", "store"}},
		{"git-credential get with more arguments", nil, []string{"git-credential", "get", "extra"}},
		{"docker-credential get", nil, []string{"docker-credential", "get"}},
		{"no arguments", nil, nil},
		{"help", nil, []string{"token", "--help"}},
		{"unknown flag", nil, []string{"token", "--bogus"}},
		{"flag without its value", nil, []string{"token", "-p"}},
		{"two profile names", nil, []string{"token", "api", "gh"}},
		{"-p and a different name", nil, []string{"token", "-p", "api", "gh"}},
		{"unknown output format", nil, []string{"token", "-p", "api", "-o", "yaml"}},
		{"kube takes no -o", nil, []string{"kube", "-o", "json"}},
		{"exec without a command", nil, []string{"exec", "-p", "api"}},
		{"--debug", nil, []string{"token", "-p", "api", "--debug"}},
		{"TOK_DEBUG", map[string]string{"TOK_DEBUG": "1"}, []string{"token", "-p", "api"}},
		{"TOK_DEBUG for kube", map[string]string{"TOK_DEBUG": "true"}, []string{"kube", "-p", "api"}},
		{"kubectl's exec info unreadable", map[string]string{"KUBERNETES_EXEC_INFO": "not json"}, []string{"kube", "-p", "api"}},
		// TOK_ISSUER/TOK_TOKEN_URL without a named profile mean the
		// ephemeral profile, which only tok-full builds, even with a
		// stored default that holds a valid token.
		{"TOK_ISSUER with a stored default", map[string]string{"TOK_ISSUER": "https://idp.example.com"}, []string{"token"}},
		{"TOK_TOKEN_URL with a stored default", map[string]string{"TOK_TOKEN_URL": "https://idp.example.com/token"}, []string{"token", "-o", "json"}},
		{"TOK_ISSUER for exec", map[string]string{"TOK_ISSUER": "https://idp.example.com"}, []string{"exec", "--", "true"}},
		{"TOK_KEY_SOURCE names a source without the key", map[string]string{"TOK_KEY_SOURCE": "env"}, []string{"token", "-p", "api"}},
		{"unknown TOK_KEY_SOURCE", map[string]string{"TOK_KEY_SOURCE": "vault"}, []string{"token", "-p", "api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TOK_HOME": h.dir}
			for k, v := range tt.env {
				env[k] = v
			}
			handedOver(t, runFront(t, env, "", tt.args...), tt.args)
		})
	}
}

// TestFrontHandsOverWithoutDatabase: a home without a database (before
// the first profile) is tok-full's to explain.
func TestFrontHandsOverWithoutDatabase(t *testing.T) {
	env := map[string]string{"TOK_HOME": filepath.Join(t.TempDir(), "tok")}
	for _, args := range [][]string{{"token"}, {"token", "-p", "api"}, {"kube"}, {"exec", "--", "true"}} {
		handedOver(t, runFront(t, env, "", args...), args)
	}
}

// TestFrontKubeIgnoresEphemeral: kube never uses the ephemeral profile, so
// TOK_ISSUER does not stop it serving the default.
func TestFrontKubeIgnoresEphemeral(t *testing.T) {
	h := newTestHome(t)
	o := runFront(t, map[string]string{"TOK_HOME": h.dir, "TOK_ISSUER": "https://idp.example.com"}, "", "kube")
	served(t, o)
	if !strings.Contains(o.stdout, `"token":"`+apiID+`"`) {
		t.Errorf("stdout %q, want the default profile's kubectl token", o.stdout)
	}
}

// TestFrontServesGitCredentialGet: git's `get` is answered from the cache
// by the profile whose --git-url matches; a remote no profile serves gets
// an empty answer (git asks its next helper); a stale token goes to
// tok-full as a child, with the request bytes the front already read.
func TestFrontServesGitCredentialGet(t *testing.T) {
	h := newTestHome(t)
	env := map[string]string{"TOK_HOME": h.dir}
	args := []string{"git-credential", "get"}

	t.Run("valid token", func(t *testing.T) {
		o := runFront(t, env, "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n", args...)
		served(t, o)
		want := "protocol=https\nhost=git.example.com\nusername=" + record.DefaultGitUsername + "\npassword=" + ghAccess +
			"\npassword_expiry_utc=" + strconv.FormatInt(testNow.Add(time.Hour-margin).Unix(), 10) + "\n"
		if o.stdout != want {
			t.Errorf("answer:\n%s\nwant:\n%s", o.stdout, want)
		}
	})
	t.Run("no profile serves the remote", func(t *testing.T) {
		o := runFront(t, env, "protocol=https\nhost=elsewhere.example.com\npath=x.git\n\n", args...)
		served(t, o)
		if o.stdout != "" {
			t.Errorf("answer %q, want none", o.stdout)
		}
	})
	t.Run("not http", func(t *testing.T) {
		o := runFront(t, env, "protocol=ssh\nhost=git.example.com\n\n", args...)
		served(t, o)
		if o.stdout != "" {
			t.Errorf("answer %q, want none", o.stdout)
		}
	})
	t.Run("no database yet", func(t *testing.T) {
		o := runFront(t, map[string]string{"TOK_HOME": filepath.Join(t.TempDir(), "tok")}, "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n", args...)
		served(t, o)
		if o.stdout != "" {
			t.Errorf("answer %q, want none", o.stdout)
		}
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		req  string
	}{
		{"stale token", nil, "protocol=https\nhost=git.example.com\npath=stale/repo.git\n\n"},
		{"TOK_DEBUG", map[string]string{"TOK_DEBUG": "1"}, "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n"},
		{"unreadable request", nil, "protocol=https\nhost\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{"TOK_HOME": h.dir}
			for k, v := range tc.env {
				e[k] = v
			}
			o := runFront(t, e, tc.req, args...)
			if !o.handedOff || o.handOffByExec {
				t.Fatalf("exit %d, stdout %q; want tok-full run as a child", o.code, o.stdout)
			}
			if !slices.Equal(o.handOffArgs, args) || string(o.handOffStdin) != tc.req {
				t.Errorf("tok-full got args %q and stdin %q; want %q and the request %q", o.handOffArgs, o.handOffStdin, args, tc.req)
			}
			if o.stdout != "" || o.stderr != "" || o.code != handOffCode {
				t.Errorf("exit %d, stdout %q, stderr %q; want tok-full's exit %d and nothing of the front's", o.code, o.stdout, o.stderr, handOffCode)
			}
		})
	}
}

// TestFrontServesExec: tok exec with a valid token runs the child itself,
// with the token in TOK_TOKEN and the profile's env names, and exits with
// the child's status.
func TestFrontServesExec(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHome(t)
	env := map[string]string{"TOK_HOME": h.dir, "PATH": os.Getenv("PATH")}
	o := runFront(t, env, "", "exec", "-p", "gh", "--", sh, "-c", `printf '%s %s' "$TOK_TOKEN" "$API_TOKEN"; exit 3`)
	if o.handedOff {
		t.Fatalf("handed over with %q; want the front to run the child", o.handOffArgs)
	}
	if want := ghAccess + " " + ghAccess; o.stdout != want {
		t.Errorf("child printed %q, want %q", o.stdout, want)
	}
	if o.code != 3 {
		t.Errorf("exit %d, want the child's 3 (stderr %q)", o.code, o.stderr)
	}
}

// TestFrontReportsFailedWrite: a token the front cannot write (stdout
// closed) is its own error to report, since tok-full would not see it.
func TestFrontReportsFailedWrite(t *testing.T) {
	h := newTestHome(t)
	var stderr bytes.Buffer
	handedOff := false
	d := deps{
		getenv:  func(k string) string { return map[string]string{"TOK_HOME": h.dir}[k] },
		environ: func() []string { return nil },
		stdin:   strings.NewReader(""),
		stdout:  failingWriter{},
		stderr:  &stderr,
		now:     func() time.Time { return testNow },
		handOff: func([]string, io.Reader) int { handedOff = true; return handOffCode },
	}
	code := run(d, []string{"token", "-p", "api"})
	if handedOff || code != 1 {
		t.Fatalf("exit %d (handed over: %v); want exit 1 from the front", code, handedOff)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "tok: could not write the token: ") || strings.Contains(got, apiAccess) {
		t.Errorf("stderr %q; want one line saying the write failed, without the token", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestHelperArgs(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
		want  []string
	}{
		{"/usr/bin/git-credential-tok", []string{"get"}, []string{"git-credential", "get"}},
		{"/opt/tok/git-credential-tok.exe", []string{"store"}, []string{"git-credential", "store"}},
		{"docker-credential-tok", []string{"list"}, []string{"docker-credential", "list"}},
		{"/usr/local/bin/tok", []string{"token", "-p", "api"}, []string{"token", "-p", "api"}},
		{"tok-git-credential-tok", []string{"get"}, []string{"get"}},
	}
	for _, tt := range tests {
		if got := helperArgs(tt.argv0, tt.args); !slices.Equal(got, tt.want) {
			t.Errorf("helperArgs(%q, %q) = %q, want %q", tt.argv0, tt.args, got, tt.want)
		}
	}
}

// TestSibling: tok-full is found next to tok only as a regular file.
func TestSibling(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "tok")
	if _, ok := Sibling(self, FullName); ok {
		t.Fatal("found a tok-full that does not exist")
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, ok := Sibling(self, "dir"); ok {
		t.Error("a directory counted as the sibling binary")
	}
	full := filepath.Join(dir, FullName)
	if err := os.WriteFile(full, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got, ok := Sibling(self, FullName); !ok || got != full {
		t.Errorf("Sibling = %q, %v; want %q", got, ok, full)
	}
}

// TestExecRefresherAsksFull: tok exec's refresher (fetchWithFull) hands
// out the cached token while it is valid and otherwise runs
// `tok-full token -p NAME -o json`, whose answer, as internal/output
// writes it, it reads back: from the cache when tok-full left it there
// (with the margin the cache knows), else from the JSON itself.
func TestExecRefresherAsksFull(t *testing.T) {
	h := newTestHome(t)
	ctx := context.Background()
	getenv := func(k string) string { return map[string]string{"TOK_HOME": h.dir}[k] }
	first := record.Credential{Profile: "stale", Token: staleToken, TokenType: "Bearer",
		Expiry: testNow.Add(margin / 2), Env: []string{"API_TOKEN"}, Margin: 90 * time.Second}
	newExpiry := testNow.Add(2 * time.Hour)

	// fetcher is the refresher of tok exec -p first.Profile --home home,
	// with tok-full answering by full.
	type call struct{ args []string }
	fetcher := func(home string, full func(args []string) ([]byte, string, error)) (execrun.Fetch, *[]call) {
		var calls []call
		d := deps{getenv: getenv, now: func() time.Time { return testNow },
			fullOutput: func(_ context.Context, args []string) ([]byte, string, error) {
				calls = append(calls, call{slices.Clone(args)})
				return full(args)
			}}
		reader, err := newReader(d, "")
		if err != nil {
			t.Fatal(err)
		}
		return fetchWithFull(d, reader, first, home), &calls
	}
	jsonOf := func(cred record.Credential) []byte {
		var b bytes.Buffer
		if err := output.Write(&b, cred, output.JSON, testNow); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}

	t.Run("valid cache: no tok-full", func(t *testing.T) {
		f := record.Credential{Profile: "gh", Margin: margin}
		d := deps{getenv: getenv, now: func() time.Time { return testNow },
			fullOutput: func(context.Context, []string) ([]byte, string, error) {
				t.Fatal("tok-full asked for a token the cache holds")
				return nil, "", nil
			}}
		reader, err := newReader(d, "")
		if err != nil {
			t.Fatal(err)
		}
		cred, warning, err := fetchWithFull(d, reader, f, "")(ctx)
		if err != nil || warning != "" || cred.Token != ghAccess {
			t.Fatalf("fetch = %q, %q, %v; want gh's cached token", cred.Token, warning, err)
		}
	})

	t.Run("answer from the JSON", func(t *testing.T) {
		fetch, calls := fetcher(h.dir, func([]string) ([]byte, string, error) {
			return jsonOf(record.Credential{Profile: "stale", Token: "from-json", TokenType: "bearer", Expiry: newExpiry}), "warning: the provider was slow", nil
		})
		cred, warning, err := fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"token", "-p", "stale", "-o", "json", "--home", h.dir}
		if len(*calls) != 1 || !slices.Equal((*calls)[0].args, want) {
			t.Errorf("tok-full runs %v, want one with %q", *calls, want)
		}
		if cred.Profile != "stale" || cred.Token != "from-json" || cred.TokenType != "Bearer" || !cred.Expiry.Equal(newExpiry) ||
			cred.Margin != first.Margin || !slices.Equal(cred.Env, first.Env) {
			t.Errorf("credential %+v; want tok-full's token and expiry with the first credential's env names and margin", cred)
		}
		if warning != "warning: the provider was slow" {
			t.Errorf("warning %q, want tok-full's", warning)
		}
	})

	t.Run("no expiry", func(t *testing.T) {
		fetch, _ := fetcher("", func(args []string) ([]byte, string, error) {
			if slices.Contains(args, "--home") {
				t.Errorf("tok-full got --home without one on the command line: %q", args)
			}
			return jsonOf(record.Credential{Profile: "stale", Token: "forever", TokenType: "Bearer"}), "", nil
		})
		cred, _, err := fetch(ctx)
		if err != nil || cred.Token != "forever" || !cred.Expiry.IsZero() {
			t.Errorf("fetch = %+v, %v; want the token without an expiry", cred, err)
		}
	})

	t.Run("tok-full fails", func(t *testing.T) {
		fetch, _ := fetcher(h.dir, func([]string) ([]byte, string, error) {
			return nil, "", errors.New("login required; run: tok login -p stale")
		})
		if _, _, err := fetch(ctx); err == nil || err.Error() != "login required; run: tok login -p stale" {
			t.Errorf("error %v; want tok-full's, unchanged", err)
		}
	})

	t.Run("tok-full prints no token", func(t *testing.T) {
		fetch, _ := fetcher(h.dir, func([]string) ([]byte, string, error) { return []byte("{}\n"), "", nil })
		if _, _, err := fetch(ctx); err == nil || !strings.Contains(err.Error(), "gave no token") {
			t.Errorf("error %v; want one saying tok-full gave no token", err)
		}
	})

	// Last: it refreshes "stale" in the database for good.
	t.Run("answer from the cache tok-full refreshed", func(t *testing.T) {
		fetch, _ := fetcher(h.dir, func([]string) ([]byte, string, error) {
			h.put("stale", "refreshed", "", record.State{Gen: 2, Expiry: newExpiry})
			return jsonOf(record.Credential{Profile: "stale", Token: "refreshed", TokenType: "Bearer", Expiry: newExpiry}), "", nil
		})
		cred, _, err := fetch(ctx)
		if err != nil || cred.Token != "refreshed" || !cred.Expiry.Equal(newExpiry) || cred.Margin != margin {
			t.Errorf("fetch = %+v, %v; want the refreshed token as the cache holds it, with the profile's %s margin", cred, err, margin)
		}
	})
}
