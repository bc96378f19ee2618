//go:build unix

package e2e

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// TestOAuthConcurrentRefresh starts many tok token processes at once on a
// stale token: the refresh lock must let exactly one of them refresh, and
// all must print the token it got.
func TestOAuthConcurrentRefresh(t *testing.T) {
	t.Parallel()
	const (
		processes = 24
		// A refreshed token stays fresh for ttl-margin, the window in
		// which every process must have read it.
		ttl, margin = 6 * time.Second, 3 * time.Second
	)
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := FileKeyEnv(t)
	addOAuth(t, env, "api", srv, "--refresh-margin", margin.String())
	loginOK(t, env, "api", srv)
	old := ReadStoredTokens(t, env, "api")
	makeStale(t, env, "api", margin)
	srv.ResetCounts()

	started := time.Now()
	procs := make([]*Process, processes)
	for i := range procs {
		procs[i] = Start(t, env, "", "token", "-p", "api")
	}
	var results []Result
	for _, p := range procs {
		results = append(results, p.Wait(t))
	}
	if took := time.Since(started); took > ttl-margin {
		t.Logf("warning: %d processes took %s, longer than a token stays fresh; a second refresh would be legitimate", processes, took)
	}

	if c := srv.Counts(); c.RefreshToken != 1 || c.TokenRequests() != 1 {
		t.Errorf("%d concurrent tok token calls made %d refresh requests (%d token requests), want exactly 1", processes, c.RefreshToken, c.TokenRequests())
	}
	var want string
	for i, r := range results {
		WantCode(t, r, 0)
		got := SingleLine(t, "tok token", r.Stdout)
		if i == 0 {
			want = got
		}
		if got != want {
			t.Errorf("process %d printed a different token than process 0", i)
		}
		if r.Stderr != "" {
			t.Errorf("process %d wrote to stderr: %s", i, r)
		}
	}
	if want == old.Access {
		t.Errorf("the processes printed the stale token instead of a refreshed one")
	}
	if !srv.Introspect(want) {
		t.Errorf("the token the processes printed is not active")
	}
	if stored := ReadStoredTokens(t, env, "api"); stored.Access != want || stored.Gen != old.Gen+1 {
		t.Errorf("stored state after the refresh: gen %d (want %d), access token matches printed: %v", stored.Gen, old.Gen+1, stored.Access == want)
	}
}
