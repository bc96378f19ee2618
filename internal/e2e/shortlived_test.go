//go:build unix

package e2e

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// Tokens that live no longer than the default one-minute refresh margin
// (issue 12: 20-second tokens made tok refresh on every call, show stale
// right after login, refresh once per process in a storm and hand kubectl
// a past expirationTimestamp). The lifetimes here are a few seconds so the
// tests finish quickly; what matters is lifetime < margin.

func TestShortLivedTokens(t *testing.T) {
	t.Parallel()
	const ttl, processes = 6 * time.Second, 20
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--k8s-token", "access-token") // default margin
	loginOK(t, env, "api", srv)
	stored := ReadStoredTokens(t, env, "api")
	srv.ResetCounts()

	// Right after login: handed out as it is, by the small front and tok-full.
	for i := 0; i < 3; i++ {
		if got := tokenOK(t, env, "api"); got != stored.Access {
			t.Fatalf("tok token right after login printed another token")
		}
	}
	if st := StatusOf(t, env, "api"); st.Status != "valid" {
		t.Errorf("tok status right after login says %q, want valid", st.Status)
	}
	for _, args := range [][]string{{"kube", "-p", "api"}, {"token", "-p", "api", "-o", "exec-credential"}} {
		r := Run(t, env.With(`KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`), "", args...)
		WantCode(t, r, 0)
		var cred struct {
			Status struct {
				ExpirationTimestamp time.Time `json:"expirationTimestamp"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &cred); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, r.Stdout)
		}
		exp := cred.Status.ExpirationTimestamp
		if !exp.After(time.Now()) || exp.After(stored.Expiry) {
			t.Errorf("%q: expirationTimestamp %s is not between now and the token's expiry %s", args, exp, stored.Expiry)
		}
	}
	if c := srv.Counts(); c.TokenRequests() != 0 {
		t.Fatalf("%d token requests right after login with %s tokens and the default margin, want 0", c.TokenRequests(), ttl)
	}

	// After expiry, a storm of processes makes one refresh and shares it.
	makeExpired(t, env, "api")
	procs := make([]*Process, processes)
	for i := range procs {
		procs[i] = Start(t, env, "", "token", "-p", "api")
	}
	var first string
	for i, p := range procs {
		r := p.Wait(t)
		WantCode(t, r, 0)
		got := SingleLine(t, "tok token", r.Stdout)
		if i == 0 {
			first = got
		}
		if got != first || got == stored.Access {
			t.Errorf("process %d printed a different or the expired token", i)
		}
	}
	if c := srv.Counts(); c.RefreshToken != 1 || c.TokenRequests() != 1 {
		t.Errorf("%d processes after expiry made %d refreshes (%d token requests), want 1", processes, c.RefreshToken, c.TokenRequests())
	}
}

// TestExecShortLivedTokens: tok exec on a client-credentials profile with
// 4-second tokens and the default margin renews each token once, at half
// its life (it made 95 requests in 10 s when it waited a negative time).
// The exact count over ten lifetimes is TestRefresherShortLivedTokens's
// (internal/execrun, on an injected clock); this checks the real process,
// its timer and its default margin, over one lifetime.
func TestExecShortLivedTokens(t *testing.T) {
	t.Parallel()
	const ttl, run = 4 * time.Second, 4 * time.Second
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: ttl})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	env := FileKeyEnv(t)
	WantCode(t, Run(t, env, secret+"\n", "profile", "add", "ci", "--issuer", srv.Issuer(), "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile"), 0)

	r := Run(t, env, "", "exec", "-p", "ci", "--", "sleep", strconv.Itoa(int(run/time.Second)))
	WantCode(t, r, 0)
	// The first token, then one renewal every half lifetime, plus jitter of
	// up to a quarter of the margin. expires_in is whole seconds counted
	// by the server a moment before, so a token may announce ttl-1s.
	got := srv.Counts().ClientCredentials
	slowest, fastest := ttl/2*5/4, (ttl-time.Second)/2
	if min, max := int(run/slowest), 1+int((run+fastest-1)/fastest); got < min || got > max {
		t.Errorf("tok exec over %s with %s tokens made %d token requests, want %d to %d", run, ttl, got, min, max)
	}
}
