package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tok-cli/tok/internal/oauth/oauthtest"
	"github.com/tok-cli/tok/internal/sharedcache/redistest"
)

// A fleet is a set of tok homes (stand-ins for machines) sharing one
// profile through a real Redis.
type fleet struct {
	srv    *oauthtest.Server
	redis  *redistest.Server
	key    string // the shared data key, base64
	secret string // the client secret of client "svc"
	homes  []Env
}

// fleetOptions shape a fleet.
type fleetOptions struct {
	homes  int
	ttl    time.Duration // access token life at the provider
	margin time.Duration // refresh margin of the profile
	// refresh makes the profile a browser-login profile with rotating
	// refresh tokens instead of client credentials.
	refresh bool
	redis   *redistest.Server // default: a new plain server
}

func newSharedKey(t testing.TB) string {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k[:])
}

func newFleet(t testing.TB, o fleetOptions) *fleet {
	t.Helper()
	f := &fleet{
		srv:    oauthtest.New(t, oauthtest.Options{AccessTokenTTL: o.ttl}),
		redis:  o.redis,
		key:    newSharedKey(t),
		secret: NewSecret(t),
	}
	if f.redis == nil {
		f.redis = redistest.Start(t)
	}
	f.srv.AddClient(oauthtest.Client{ID: "svc", Secret: f.secret})
	f.srv.AddClient(oauthtest.Client{ID: clientID})
	for i := 0; i < o.homes; i++ {
		env := f.env(t)
		f.homes = append(f.homes, env)
		f.addProfile(t, env, o)
	}
	return f
}

// env is a fresh home holding the fleet's shared key.
func (f *fleet) env(t testing.TB) Env {
	return FileKeyEnv(t).With("TOK_SHARED_CACHE_KEY="+f.key, "TOK_SHARED_CACHE_LEASE=1s", "TOK_SHARED_CACHE_PASSWORD="+f.redis.Password)
}

func (f *fleet) addProfile(t testing.TB, env Env, o fleetOptions, extra ...string) {
	t.Helper()
	args := []string{"profile", "add", "ci", "--issuer", f.srv.Issuer(), "--shared-cache", f.redis.URL, "--refresh-margin", o.margin.String()}
	if f.redis.CAFile != "" {
		args = append(args, "--shared-cache-ca-file", f.redis.CAFile)
	}
	stdin := ""
	if o.refresh {
		args = append(args, "--client-id", clientID, "--scopes", "openid,offline_access")
	} else {
		args = append(args, "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile")
		stdin = f.secret + "\n"
	}
	RunOK(t, env, stdin, append(args, extra...)...)
}

// redisClient talks to the fleet's Redis directly, as an operator (or an
// attacker with access to it) would.
func (f *fleet) redisClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	ep := strings.TrimPrefix(strings.Split(strings.TrimPrefix(f.redis.URL, "redis://"), "/")[0], "")
	c := redis.NewClient(&redis.Options{Addr: strings.Split(ep, "?")[0]})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// stateKeys lists the shared cache's state keys.
func stateKeys(t testing.TB, c redis.UniversalClient) []string {
	t.Helper()
	keys, err := c.Keys(context.Background(), "tok:{*}:state").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestFleetStorm: 10 homes × 10 processes ask at once for a token that
// expired everywhere (locally and in Redis): exactly one token request
// reaches the provider, everyone prints the same token, within a second.
func TestFleetStorm(t *testing.T) {
	t.Parallel()
	const homes, procs = 10, 10
	// A token lives longer than the storm, so one request is the right count.
	f := newFleet(t, fleetOptions{homes: homes, ttl: 4 * time.Second, margin: 200 * time.Millisecond})
	// Every home gets the first token: one request, the rest share it.
	first := tokenOK(t, f.homes[0], "ci")
	for _, env := range f.homes[1:] {
		if got := tokenOK(t, env, "ci"); got != first {
			t.Fatalf("a second home fetched its own token instead of sharing the first")
		}
	}
	if c := f.srv.Counts().ClientCredentials; c != 1 {
		t.Fatalf("%d homes getting their first token made %d token requests, want 1", homes, c)
	}
	waitExpired(t, f.homes[0], "ci")
	f.srv.ResetCounts()

	// The machine's cost of starting as many processes at once, measured
	// now: a loaded CI host needs that much before tok does anything.
	spawn := spawnCost(t, f.homes[0], homes*procs)
	started := time.Now()
	var all []*Process
	for _, env := range f.homes {
		for i := 0; i < procs; i++ {
			all = append(all, Start(t, env, "", "token", "-p", "ci"))
		}
	}
	var want string
	for i, p := range all {
		r := p.Wait(t)
		WantCode(t, r, 0)
		got := SingleLine(t, "tok token", r.Stdout)
		if i == 0 {
			want = got
		}
		if got != want {
			t.Errorf("process %d printed a different token than process 0", i)
		}
		if r.Stderr != "" {
			t.Errorf("process %d wrote to stderr: %s", i, r.Stderr)
		}
	}
	took := time.Since(started)
	if c := f.srv.Counts(); c.TokenRequests() != 1 {
		t.Errorf("%d processes on %d homes made %d token requests, want exactly 1", homes*procs, homes, c.TokenRequests())
	}
	if want == first {
		t.Errorf("the processes printed the expired token")
	}
	t.Logf("storm: %d processes on %d homes done in %s; %d bare tok-full starts take %s here", homes*procs, homes, took, homes*procs, spawn)
	if took > time.Second+spawn {
		t.Errorf("the storm took %s, want at most 1s more than starting its processes (%s)", took, spawn)
	}
}

// spawnCost is how long n concurrent `tok version` runs (handed to
// tok-full, which prints and exits) take on this machine now.
func spawnCost(t testing.TB, env Env, n int) time.Duration {
	t.Helper()
	started := time.Now()
	var ps []*Process
	for i := 0; i < n; i++ {
		ps = append(ps, Start(t, env, "", "version"))
	}
	for _, p := range ps {
		WantCode(t, p.Wait(t), 0)
	}
	return time.Since(started)
}

var _ = fmt.Sprint
var _ sync.Mutex
