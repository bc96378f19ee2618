//go:build unix

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/kubeapi"
)

// The tests in this file run the real kubectl with tok as its exec
// credential plugin against kubeapi's TLS API server, which accepts only
// tokens the authorization server vouches for.

// kubeCluster is one cluster of a test kubeconfig, with the context of the
// same name.
type kubeCluster struct {
	name string
	api  *kubeapi.APIServer
	// profile, when set, is written into the cluster's exec extension for
	// tok kube --from-cluster.
	profile string
}

// writeKubeconfig writes a kubeconfig with one cluster and one context per
// cluster (each context names a user that does not exist yet; tok
// kubeconfig set-credentials --context points it at tok's user) and
// returns its path.
func writeKubeconfig(t *testing.T, clusters ...kubeCluster) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, "- name: %s\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n",
			c.name, c.api.URL, base64.StdEncoding.EncodeToString(c.api.CAData))
		if c.profile != "" {
			fmt.Fprintf(&b, "    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension:\n        tok:\n          profile: %s\n", c.profile)
		}
	}
	b.WriteString("contexts:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, "- name: %s\n  context:\n    cluster: %s\n    user: nobody\n    namespace: default\n", c.name, c.name)
	}
	fmt.Fprintf(&b, "current-context: %s\nusers: []\n", clusters[0].name)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// kubectlEnv is env for kubectl: its own empty HOME (kubectl keeps a
// discovery cache there) and the kubeconfig, with tok's TOK_HOME and key
// source passed on to the plugin.
func kubectlEnv(t *testing.T, env Env, kubeconfig string) Env {
	t.Helper()
	home := filepath.Join(t.TempDir(), "kubectl-home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return env.With("HOME="+home, "KUBECONFIG="+kubeconfig)
}

// getPods runs kubectl get pods in the given context. kubectl's stdin is
// not a terminal, so it tells tok the session is not interactive.
func getPods(t *testing.T, kenv Env, context string) Result {
	t.Helper()
	kubectl := RequireCommand(t, "kubectl")
	return RunProgram(t, kenv, "", kubectl, "--context", context, "get", "pods", "-o", "name", "--request-timeout", "10s")
}

func wantPods(t *testing.T, r Result) {
	t.Helper()
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "pod/"+kubeapi.PodName {
		t.Fatalf("kubectl get pods did not list %s: %s", kubeapi.PodName, r)
	}
}

// tokenRecorder remembers every bearer token an API server saw.
type tokenRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *tokenRecorder) accept(check func(string) bool) func(string) bool {
	return func(tok string) bool {
		r.mu.Lock()
		r.seen = append(r.seen, tok)
		r.mu.Unlock()
		return check(tok)
	}
}

func (r *tokenRecorder) tokens() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// TestKubectl runs kubectl through tok with an access-token profile whose
// data key is in the OS keyring, as a person's setup would be.
func TestKubectl(t *testing.T) {
	t.Parallel()
	RequireCommand(t, "kubectl")
	const ttl, margin = 4 * time.Second, time.Second
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := KeyringEnv(t)
	api := kubeapi.NewAPIServer(t, srv.Introspect)
	fromCluster := kubeapi.NewAPIServer(t, srv.Introspect)
	nobody := kubeapi.NewAPIServer(t, srv.Introspect)
	kubeconfig := writeKubeconfig(t,
		kubeCluster{name: "test", api: api},
		kubeCluster{name: "new", api: nobody},
		kubeCluster{name: "shared", api: fromCluster, profile: "api"})
	kenv := kubectlEnv(t, env, kubeconfig)

	addOAuth(t, env, "api", srv, "--refresh-margin", margin.String(), "--k8s-token", "access-token")
	addOAuth(t, env, "new", srv)
	r := Run(t, env, "", "kubeconfig", "set-credentials", "oidc", "-p", "api", "--kubeconfig", kubeconfig, "--context", "test")
	WantCode(t, r, 0)
	RunOK(t, env, "", "kubeconfig", "set-credentials", "newuser", "-p", "new", "--kubeconfig", kubeconfig, "--context", "new")
	RunOK(t, env, "", "kubeconfig", "set-credentials", "tok", "--from-cluster", "--kubeconfig", kubeconfig, "--context", "shared")

	t.Run("kubeconfig records TOK_HOME for the plugin", func(t *testing.T) {
		kubectl := RequireCommand(t, "kubectl")
		r := RunProgram(t, kenv, "", kubectl, "config", "view", "-o",
			`jsonpath={range .users[?(@.name=="oidc")].user.exec}{.command} {.args} {.env[?(@.name=="TOK_HOME")].value} {.interactiveMode}{end}`)
		want := fmt.Sprintf(`%s ["kube","-p","api"] %s IfAvailable`, tokPath, env.Home())
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("exec stanza of user oidc = %q, want %q: %s", r.Stdout, want, r)
		}
	})

	t.Run("login required", func(t *testing.T) {
		srv.ResetCounts()
		r := getPods(t, kenv, "new")
		if r.Code == 0 {
			t.Fatalf("kubectl succeeded with a profile that never logged in: %s", r)
		}
		WantStderr(t, r, "login required", "tok login -p new")
		if nobody.PodLists() != 0 {
			t.Errorf("the API server listed pods without a token")
		}
		if c := srv.Counts(); c.TokenRequests() != 0 || c.Authorize != 0 {
			t.Errorf("the plugin contacted the authorization server: %+v", c)
		}
	})

	loginOK(t, env, "api", srv)
	srv.ResetCounts()

	t.Run("valid token", func(t *testing.T) {
		wantPods(t, getPods(t, kenv, "test"))
		if c := srv.Counts(); c.TokenRequests() != 0 || c.Discovery != 0 {
			t.Errorf("a valid token cost requests to the authorization server: %+v", c)
		}
	})

	t.Run("cluster picks the profile", func(t *testing.T) {
		wantPods(t, getPods(t, kenv, "shared"))
	})

	t.Run("refresh after expiry", func(t *testing.T) {
		lists := api.PodLists()
		if StatusOf(t, env, "api").ExpiresAt == nil {
			t.Fatalf("tok status shows no expiry for profile api")
		}
		srv.ResetCounts()
		makeExpired(t, env, "api")
		wantPods(t, getPods(t, kenv, "test"))
		if got := srv.Counts().RefreshToken; got != 1 {
			t.Errorf("kubectl after expiry caused %d refresh requests, want exactly 1", got)
		}
		if api.PodLists() != lists+1 {
			t.Errorf("the API server served %d pod lists, want 1", api.PodLists()-lists)
		}
		if n := api.Unauthorized(); n != 0 {
			t.Errorf("kubectl presented a refused token %d times; tok must hand out a fresh one", n)
		}
	})
}

// TestKubectlIDToken gives kubectl the ID token, as Kubernetes' OIDC
// authenticator expects: the API server verifies it against the issuer's
// JWKS with the client ID as audience, and the ID token's own expiry drives
// the refresh.
func TestKubectlIDToken(t *testing.T) {
	t.Parallel()
	RequireCommand(t, "kubectl")
	const idTTL, margin = 4 * time.Second, time.Second
	srv := newAuthServer(t, authserver.Options{IDTokenTTL: idTTL})
	env := FileKeyEnv(t)

	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, srv.HTTPClient()), srv.Issuer())
	if err != nil {
		t.Fatalf("discovering the test issuer: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: clientID})
	var rec tokenRecorder
	api := kubeapi.NewAPIServer(t, rec.accept(func(raw string) bool {
		_, err := verifier.Verify(oidc.ClientContext(context.Background(), srv.HTTPClient()), raw)
		return err == nil
	}))
	kubeconfig := writeKubeconfig(t, kubeCluster{name: "oidc", api: api})
	kenv := kubectlEnv(t, env, kubeconfig)

	addOAuth(t, env, "k8s", srv, "--refresh-margin", margin.String(), "--k8s-token", "id-token")
	RunOK(t, env, "", "kubeconfig", "set-credentials", "oidc", "-p", "k8s", "--kubeconfig", kubeconfig, "--context", "oidc")
	loginOK(t, env, "k8s", srv)
	srv.ResetCounts()

	wantPods(t, getPods(t, kenv, "oidc"))
	if c := srv.Counts(); c.TokenRequests() != 0 {
		t.Errorf("a valid ID token cost %d token requests", c.TokenRequests())
	}
	stored := ReadStoredTokens(t, env, "k8s")
	seen := rec.tokens()
	if len(seen) == 0 || !slices.Contains(seen, stored.ID) || slices.Contains(seen, stored.Access) {
		t.Fatalf("the API server did not get tok's ID token (and only it): saw %d tokens", len(seen))
	}
	claims := jwtClaims(t, stored.ID)
	if aud := claims.audience(); !slices.Equal(aud, []string{clientID}) {
		t.Errorf("ID token aud = %q, want [%q]", aud, clientID)
	}
	if claims.Iss != srv.Issuer() {
		t.Errorf("ID token iss = %q, want %q", claims.Iss, srv.Issuer())
	}

	// The access token lives an hour; only the ID token's expiry can make
	// tok refresh here.
	srv.ResetCounts()
	ageStoredTokens(t, env, "k8s", time.Until(stored.IDExpiry.Add(slack)))
	wantPods(t, getPods(t, kenv, "oidc"))
	if got := srv.Counts().RefreshToken; got != 1 {
		t.Errorf("kubectl after the ID token expired caused %d refresh requests, want 1", got)
	}
	// The stored expiry was moved back; a new ID token's lies ahead.
	if now := ReadStoredTokens(t, env, "k8s"); now.ID == stored.ID || !now.IDExpiry.After(time.Now()) {
		t.Errorf("the refresh did not store a new ID token (same token %v, expiry %s)", now.ID == stored.ID, now.IDExpiry)
	}
	if n := api.Unauthorized(); n != 0 {
		t.Errorf("kubectl presented a refused token %d times", n)
	}
}

// idClaims are the ID token claims the test checks.
type idClaims struct {
	Iss string          `json:"iss"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
}

// audience returns aud, which a JWT may hold as a string or a list.
func (c idClaims) audience() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(c.Aud, &many)
	return many
}

// jwtClaims decodes (without verifying) the payload of a compact JWT.
func jwtClaims(t *testing.T, raw string) idClaims {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("the token is not a compact JWT (%d parts)", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decoding the JWT payload: %v", err)
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatalf("parsing the JWT payload: %v", err)
	}
	return c
}

// TestExecCredentialOutput checks tok token -o exec-credential (and tok
// kube) against each KUBERNETES_EXEC_INFO kubectl may send.
func TestExecCredentialOutput(t *testing.T) {
	t.Parallel()
	const margin = 2 * time.Minute
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--refresh-margin", margin.String(), "--k8s-token", "access-token")
	loginOK(t, env, "api", srv)
	stored := ReadStoredTokens(t, env, "api")

	const (
		v1      = "client.authentication.k8s.io/v1"
		v1beta1 = "client.authentication.k8s.io/v1beta1"
	)
	for _, tc := range []struct {
		name, info, wantVersion string
		unset                   bool
	}{
		{name: "v1", info: `{"apiVersion":"` + v1 + `","kind":"ExecCredential","spec":{"interactive":false}}`, wantVersion: v1},
		{name: "v1beta1", info: `{"apiVersion":"` + v1beta1 + `","kind":"ExecCredential","spec":{"interactive":false}}`, wantVersion: v1beta1},
		{name: "absent", unset: true, wantVersion: v1beta1},
		{name: "no apiVersion", info: `{"kind":"ExecCredential","spec":{}}`, wantVersion: v1beta1},
	} {
		for _, args := range [][]string{{"token", "-p", "api", "-o", "exec-credential"}, {"kube", "-p", "api"}} {
			t.Run(tc.name+" "+args[0], func(t *testing.T) {
				e := env.With("KUBERNETES_EXEC_INFO=" + tc.info)
				if tc.unset {
					e = env.Without("KUBERNETES_EXEC_INFO")
				}
				r := Run(t, e, "", args...)
				WantCode(t, r, 0)
				if r.Stderr != "" {
					t.Errorf("stderr is not empty: %s", r)
				}
				var cred struct {
					APIVersion string `json:"apiVersion"`
					Kind       string `json:"kind"`
					Status     struct {
						Token               string `json:"token"`
						ExpirationTimestamp string `json:"expirationTimestamp"`
					} `json:"status"`
				}
				dec := json.NewDecoder(strings.NewReader(r.Stdout))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&cred); err != nil {
					t.Fatalf("stdout is not an ExecCredential: %v\n%s", err, r.Stdout)
				}
				if dec.More() {
					t.Errorf("stdout holds more than one JSON value: %s", r.Stdout)
				}
				if cred.APIVersion != tc.wantVersion || cred.Kind != "ExecCredential" {
					t.Errorf("apiVersion, kind = %q, %q; want %q, ExecCredential", cred.APIVersion, cred.Kind, tc.wantVersion)
				}
				if cred.Status.Token != stored.Access {
					t.Errorf("status.token is not the profile's access token")
				}
				exp, err := time.Parse(time.RFC3339, cred.Status.ExpirationTimestamp)
				if err != nil {
					t.Fatalf("expirationTimestamp %q is not RFC 3339: %v", cred.Status.ExpirationTimestamp, err)
				}
				if want := stored.Expiry.Add(-margin); exp.Sub(want).Abs() > time.Second {
					t.Errorf("expirationTimestamp = %s, want the expiry minus the refresh margin, %s", exp, want)
				}
			})
		}
	}

	for _, tc := range []struct{ name, info string }{
		{"not JSON", "{apiVersion: v1"},
		{"unknown apiVersion", `{"apiVersion":"client.authentication.k8s.io/v2","kind":"ExecCredential","spec":{}}`},
	} {
		t.Run("malformed "+tc.name, func(t *testing.T) {
			r := Run(t, env.With("KUBERNETES_EXEC_INFO="+tc.info), "", "token", "-p", "api", "-o", "exec-credential")
			WantCode(t, r, 1)
			WantStderr(t, r, "KUBERNETES_EXEC_INFO")
			if r.Stdout != "" {
				t.Errorf("stdout is not empty: %s", r)
			}
			if strings.Contains(r.Stderr, stored.Access) {
				t.Errorf("the error shows the token")
			}
		})
	}
}

// TestKubeconfigPrintWithContext: the commands --print shows for
// set-credentials --context do what the write does: run by the shell with
// the real kubectl, they add the user and point the context at it, so
// kubectl then gets its token from tok.
func TestKubeconfigPrintWithContext(t *testing.T) {
	t.Parallel()
	RequireCommand(t, "kubectl")
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "k8s", "--type", "static")
	RunOK(t, env, "k8s-secret\n", "login", "k8s", "--with-token")
	api := kubeapi.NewAPIServer(t, func(tok string) bool { return tok == "k8s-secret" })
	kubeconfig := writeKubeconfig(t, kubeCluster{name: "prod", api: api})
	kenv := kubectlEnv(t, env, kubeconfig)
	before, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}

	out := RunOK(t, env, "", "kubeconfig", "set-credentials", "oidc", "-p", "k8s", "--kubeconfig", kubeconfig, "--context", "prod", "--print")
	if after, _ := os.ReadFile(kubeconfig); string(after) != string(before) {
		t.Fatal("--print changed the kubeconfig")
	}
	var commands []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "kubectl ") {
			commands = append(commands, line)
		}
	}
	if len(commands) != 2 || !strings.Contains(commands[1], "config set-context 'prod' --user='oidc'") {
		t.Fatalf("--print --context shows %d kubectl commands, want set-credentials and set-context:\n%s", len(commands), out)
	}
	if r := getPods(t, kenv, "prod"); r.Code == 0 {
		t.Fatalf("kubectl worked before the printed commands ran: %s", r)
	}
	for _, c := range commands {
		if r := RunProgram(t, kenv, "", "/bin/sh", "-c", c); r.Code != 0 {
			t.Fatalf("the printed command failed: %s\n%s", c, r)
		}
	}
	if r := getPods(t, kenv, "prod"); r.Code != 0 {
		t.Errorf("kubectl --context prod after the printed commands: %s", r)
	}
}
