//go:build unix

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fedserver"
	"github.com/tok-cli/tok/internal/testkit/redisserver"
)

// A fleet is a set of tok homes (stand-ins for machines) sharing one
// profile through a real Redis.
type fleet struct {
	srv    *authserver.Server
	redis  *redisserver.Server
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
	redis   *redisserver.Server // default: a new plain server
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
		srv:    authserver.New(t, authserver.Options{AccessTokenTTL: o.ttl}),
		redis:  o.redis,
		key:    newSharedKey(t),
		secret: NewSecret(t),
	}
	if f.redis == nil {
		f.redis = redisserver.Start(t)
	}
	f.srv.AddClient(authserver.Client{ID: "svc", Secret: f.secret})
	f.srv.AddClient(authserver.Client{ID: clientID})
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

// expire moves the fleet's profile "ci" past the expiry of the access
// token the first home stored (see age), as if its lifetime had passed.
func (f *fleet) expire(t testing.TB) {
	t.Helper()
	st := ReadStoredTokens(t, f.homes[0], "ci")
	if st.Expiry.IsZero() {
		t.Fatal(`profile "ci" has no token expiry to move past`)
	}
	f.age(t, time.Until(st.Expiry.Add(slack)))
}

// age moves every instant of profile "ci" d into the past, in both copies
// a fleet keeps: each home's own state (ageStoredTokens) and, while Redis
// runs, the shared state there (ageShared). The next tok process on any
// home then sees tokens that much older, so the tests need not sleep
// through their lifetime. No tok process may run meanwhile.
func (f *fleet) age(t testing.TB, d time.Duration) {
	t.Helper()
	for _, env := range f.homes {
		ageStoredTokens(t, env, "ci", d)
	}
	if f.redis.Running() {
		f.ageShared(t, d)
	}
}

// ageShared ages the state in the fleet's Redis by d, as tok's members
// would find it d later: each namespace's value is opened with the shared
// key, every instant in it moved d into the past, sealed again and
// written back with compare-and-swap (tok's own sharedcache client), and
// the key's time to live shortened by d; a key whose time to live runs
// out is deleted, as Redis would have dropped it. The value's associated
// data is tokens' ("shared/<namespace>", "state"): if tok changes it, the
// value no longer opens here and the test fails instead of waiting.
func (f *fleet) ageShared(t testing.TB, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	c, err := sharedcache.Open(sharedcache.Config{URL: f.redis.URL, Password: f.redis.Password, CAFile: f.redis.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, err := seal.ParseKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	rc := f.redisClient(t)
	for _, k := range stateKeys(t, rc) {
		ns := strings.TrimSuffix(strings.TrimPrefix(k, "tok:{"), "}:state")
		gen, value, check, err := c.Get(ctx, ns)
		if err != nil || gen == 0 {
			t.Fatalf("reading the shared state %s: gen %d, %v", k, gen, err)
		}
		ttl, err := rc.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl > 0 && ttl <= d {
			if err := c.Delete(ctx, ns); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ad := seal.AD("shared/"+ns, "state")
		plain, err := sl.Open(value, ad)
		if err != nil {
			t.Fatalf("opening the shared state %s: %v", k, err)
		}
		aged, err := ageInstants(plain, d)
		if err != nil {
			t.Fatalf("the shared state %s: %v", k, err)
		}
		if value, err = sl.Seal(aged, ad); err != nil {
			t.Fatal(err)
		}
		// CompareAndSwap sets a time to live of at least a second; the
		// exact one follows.
		if ok, err := c.CompareAndSwap(ctx, ns, gen, value, check, max(ttl-d, time.Second)); err != nil || !ok {
			t.Fatalf("writing back the shared state %s: swapped %v, %v", k, ok, err)
		}
		if ttl > 0 {
			err = rc.PExpire(ctx, k, ttl-d).Err()
		} else {
			err = rc.Persist(ctx, k).Err()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// ageInstants moves every non-zero instant among the top-level fields of
// the JSON object state d into the past.
func ageInstants(state []byte, d time.Duration) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(state, &fields); err != nil {
		return nil, err
	}
	moved := 0
	for name, raw := range fields {
		var at time.Time
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &at) != nil || at.IsZero() {
			continue
		}
		b, err := json.Marshal(at.Add(-d))
		if err != nil {
			return nil, err
		}
		fields[name] = b
		moved++
	}
	if moved == 0 {
		return nil, errors.New("it holds no instant to age")
	}
	return json.Marshal(fields)
}

// TestFleetStorm: 10 homes × 10 processes ask at once for a token that
// expired everywhere (locally and in Redis): exactly one token request
// reaches the provider, everyone prints the same token, within a second.
func TestFleetStorm(t *testing.T) {
	t.Parallel()
	const homes, procs = 10, 10
	f := newFleet(t, fleetOptions{homes: homes, ttl: time.Hour, margin: 200 * time.Millisecond})
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
	f.expire(t) // in every home and in Redis
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

// TestFleetRedisDown: with the shared cache unreachable (nothing
// listening, or a server that accepts and never answers), a
// client-credentials profile fetches its own token with one warning; a
// refresh-token profile refuses to refresh alone.
func TestFleetRedisDown(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 0, ttl: time.Hour, margin: time.Minute})
	closed := "redis://127.0.0.1:" + fmt.Sprint(closedPort(t)) + "/0"
	silent := silentServer(t)
	for _, tc := range []struct{ name, url string }{{"refused", closed}, {"timeout", silent}} {
		env := f.env(t).With("TOK_SHARED_CACHE_TIMEOUT=300ms")
		RunOK(t, env, f.secret+"\n", "profile", "add", "ci", "--issuer", f.srv.Issuer(), "--shared-cache", tc.url,
			"--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile")
		before := f.srv.Counts().ClientCredentials
		started := time.Now()
		r := Run(t, env, "", "token", "-p", "ci")
		WantCode(t, r, 0)
		tok := SingleLine(t, "tok token", r.Stdout)
		if !f.srv.Introspect(tok) {
			t.Errorf("%s: the locally fetched token is not active", tc.name)
		}
		if got := f.srv.Counts().ClientCredentials - before; got != 1 {
			t.Errorf("%s: %d token requests, want 1", tc.name, got)
		}
		if n := strings.Count(r.Stderr, "\n"); n != 1 || !strings.Contains(r.Stderr, "shared cache") || !strings.Contains(r.Stderr, "fetching a token for this host alone") {
			t.Errorf("%s: want exactly one warning line about the shared cache, got %q", tc.name, r.Stderr)
		}
		if took := time.Since(started); took > 3*time.Second {
			t.Errorf("%s: falling back took %s", tc.name, took)
		}
		// The local copy serves the next call without any warning.
		r = Run(t, env, "", "token", "-p", "ci")
		WantCode(t, r, 0)
		if r.Stdout != tok+"\n" || r.Stderr != "" {
			t.Errorf("%s: second call: %s", tc.name, r)
		}
	}

	// A rotating refresh token must never be refreshed by one member alone.
	env := f.env(t).With("TOK_SHARED_CACHE_TIMEOUT=300ms")
	RunOK(t, env, "", "profile", "add", "api", "--issuer", f.srv.Issuer(), "--client-id", clientID,
		"--scopes", "openid,offline_access", "--shared-cache", closed, "--refresh-margin", "1s")
	r := LoginBrowser(t, env, "api", FollowRedirects(f.srv.HTTPClient()))
	WantCode(t, r, 0)
	WantStderr(t, r, "could not store the new token of profile \"api\" in the shared cache")
	RunOK(t, env, "", "refresh", "-p", "api") // unreachable, but the token is still valid: a warning
	f.srv.ResetCounts()
	r = Run(t, env, "", "refresh", "-p", "api")
	WantCode(t, r, 0)
	WantStderr(t, r, "unreachable", "using the current token")
	if c := f.srv.Counts().RefreshToken; c != 0 {
		t.Errorf("a refresh-token profile refreshed alone while its shared cache was down (%d requests)", c)
	}
}

// TestFleetRefreshRefusedWhenDown: once the access token has expired, a
// refresh-token profile whose shared cache is down fails with a clear
// error instead of refreshing alone.
func TestFleetRefreshRefusedWhenDown(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 1, ttl: 2 * time.Second, margin: 500 * time.Millisecond, refresh: true})
	env := f.homes[0]
	loginOK(t, env, "ci", f.srv)
	f.redis.Stop()
	makeExpired(t, env, "ci") // with Redis down, tok's own copy is all there is
	f.srv.ResetCounts()
	r := Run(t, env, "", "token", "-p", "ci")
	WantCode(t, r, 1)
	WantStderr(t, r, "shared cache of profile \"ci\" is unreachable", "does not refresh a shared refresh token alone")
	if c := f.srv.Counts().TokenRequests(); c != 0 {
		t.Errorf("%d token requests, want none", c)
	}
}

// TestFleetRedisFlushedAndRestarted: a member finding the cache empty
// (FLUSHALL, or a restart without persistence) fetches a new token and
// shares it; nobody fails.
func TestFleetRedisFlushedAndRestarted(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 3, ttl: time.Hour, margin: time.Minute})
	first := tokenOK(t, f.homes[0], "ci")
	if err := f.redisClient(t).FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	second := tokenOK(t, f.homes[1], "ci")
	if second == first {
		t.Errorf("after FLUSHALL the next member did not fetch a new token")
	}
	if got := tokenOK(t, f.homes[0], "ci"); got != first {
		t.Errorf("a member with a valid local token changed it after the flush")
	}
	f.redis.Stop()
	f.redis.Restart()
	third := tokenOK(t, f.homes[2], "ci")
	if third == second || third == first {
		t.Errorf("after a restart the next member did not fetch a new token")
	}
	if c := f.srv.Counts().ClientCredentials; c != 3 {
		t.Errorf("%d token requests, want 3 (first, after the flush, after the restart)", c)
	}
	if keys := stateKeys(t, f.redisClient(t)); len(keys) != 1 {
		t.Errorf("the restarted cache holds %v, want the new token's one key", keys)
	}
}

// TestFleetLockHolderKilled: a member SIGKILLed while it holds the shared
// refresh lock (its token request hangs) loses the lock within the lease;
// the next member takes over.
func TestFleetLockHolderKilled(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 2, ttl: time.Hour, margin: time.Minute})
	rc := f.redisClient(t)
	f.srv.DelayTokenRequests(time.Minute)
	holder := Start(t, f.homes[0], "", "token", "-p", "ci")
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys, err := rc.Keys(context.Background(), "tok:{*}:lock").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first member never took the shared lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	holder.Signal(t, syscall.SIGKILL)
	holder.Wait(t)
	f.srv.DelayTokenRequests(0)
	started := time.Now()
	got := tokenOK(t, f.homes[1], "ci")
	took := time.Since(started)
	const lease = time.Second // TOK_SHARED_CACHE_LEASE of the fleet
	if took > lease+time.Second {
		t.Errorf("the next member waited %s, want at most the lease (%s) and one request", took, lease)
	}
	if !f.srv.Introspect(got) {
		t.Errorf("the token of the member that took over is not active")
	}
	t.Logf("took over after %s", took)
}

// TestFleetIntegrity: a member with another data key, a tampered value and
// a value sealed for another namespace each get a clear error, and the
// value in Redis stays as it was.
func TestFleetIntegrity(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 1, ttl: time.Hour, margin: time.Minute})
	tokenOK(t, f.homes[0], "ci")
	rc := f.redisClient(t)
	ctx := context.Background()
	keys := stateKeys(t, rc)
	if len(keys) != 1 {
		t.Fatalf("state keys: %v", keys)
	}
	snapshot := func() map[string]string {
		m, err := rc.HGetAll(ctx, keys[0]).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	orig := snapshot()
	unchanged := func(what string) {
		t.Helper()
		got := snapshot()
		for k, v := range orig {
			if got[k] != v && !(what == "tampered" && k == "value") {
				t.Errorf("%s: field %s of the shared value changed", what, k)
			}
		}
	}

	// Another data key.
	stranger := FileKeyEnv(t).With("TOK_SHARED_CACHE_KEY="+newSharedKey(t), "TOK_SHARED_CACHE_LEASE=1s")
	f.addProfile(t, stranger, fleetOptions{margin: time.Minute})
	r := Run(t, stranger, "", "token", "-p", "ci")
	WantCode(t, r, 1)
	WantStderr(t, r, "data key does not match the shared cache")
	unchanged("other key")

	// A tampered value.
	v := []byte(orig["value"])
	v[len(v)-1] ^= 1
	if err := rc.HSet(ctx, keys[0], "value", v).Err(); err != nil {
		t.Fatal(err)
	}
	member := f.env(t)
	f.addProfile(t, member, fleetOptions{margin: time.Minute})
	r = Run(t, member, "", "token", "-p", "ci")
	WantCode(t, r, 1)
	WantStderr(t, r, "failed authentication", "left it untouched")
	if got := snapshot()["value"]; got != string(v) {
		t.Errorf("the tampered value was overwritten")
	}
	if err := rc.HSet(ctx, keys[0], "value", orig["value"]).Err(); err != nil {
		t.Fatal(err)
	}

	// A value sealed for another namespace, copied into this one.
	other := f.env(t)
	f.addProfile(t, other, fleetOptions{margin: time.Minute}, "--shared-cache-namespace", "other")
	foreignKey := "tok:{other}:state"
	if err := rc.HSet(ctx, foreignKey, orig).Err(); err != nil {
		t.Fatal(err)
	}
	r = Run(t, other, "", "token", "-p", "ci")
	WantCode(t, r, 1)
	WantStderr(t, r, "failed authentication", "sealed for another namespace")
	if got, _ := rc.HGet(ctx, foreignKey, "gen").Result(); got != orig["gen"] {
		t.Errorf("the foreign value was overwritten")
	}
	unchanged("foreign")
	if c := f.srv.Counts().ClientCredentials; c != 1 {
		t.Errorf("%d token requests, want only the first member's", c)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// silentServer accepts connections and never answers: a Redis behind a
// black-holing network.
func silentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "redis://" + l.Addr().String() + "/0"
}

// soakResult is what a soak run saw.
type soakResult struct {
	calls, failures int
	failure         string            // the first failure, for the log
	warnings        []string          // what calls wrote to stderr
	seen            []map[string]bool // the tokens each home was handed
}

// lifetimes is how many token lifetimes the run spanned, counted as the
// most distinct tokens any one home was handed (a home slowed down by a
// loaded machine may miss one). When the fleet shares, every home sees
// every token, so token requests = lifetimes; when each home fetched its
// own, requests are about homes × lifetimes.
func (r soakResult) lifetimes() int {
	most := 0
	for _, s := range r.seen {
		most = max(most, len(s))
	}
	return most
}

// soak makes each home call tok token calls times, evenly spread over d.
func soak(t *testing.T, f *fleet, calls int, d time.Duration) soakResult {
	t.Helper()
	var mu sync.Mutex
	res := soakResult{}
	for range f.homes {
		res.seen = append(res.seen, map[string]bool{})
	}
	var wg sync.WaitGroup
	start := time.Now()
	for h, env := range f.homes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				time.Sleep(time.Until(start.Add(d * time.Duration(i) / time.Duration(calls))))
				r := Start(t, env, "", "token", "-p", "ci").Wait(t)
				mu.Lock()
				res.calls++
				if r.Code != 0 || strings.Count(r.Stdout, "\n") != 1 {
					res.failures++
					if res.failure == "" {
						res.failure = r.String()
					}
				} else {
					res.seen[h][strings.TrimSpace(r.Stdout)] = true
				}
				if r.Stderr != "" {
					res.warnings = append(res.warnings, r.Stderr)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// The soak's tokens live 2.5 s at the provider (expires_in 2) and are due
// half a second before expiry: about 1.5 s each.
const (
	soakTTL    = 2500 * time.Millisecond
	soakMargin = 500 * time.Millisecond
	soakLife   = 1500 * time.Millisecond
)

// TestFleetSoak: 10 homes × 80 calls over four token lifetimes make one
// token request per lifetime (±1) and no call fails. This is the fleet
// test that runs on real time on purpose: calls arrive while tokens
// really expire at the provider and other members are mid-refresh, which
// ageing (the other fleet tests) cannot show. Four lifetimes give three
// refreshes under load with the same call rate as before (it ran ten, 15 s);
// what more lifetimes would repeat, the rounds of
// TestFleetRotatingRefreshTokens and TestFleetRedisStoppedAndBack count
// exactly.
func TestFleetSoak(t *testing.T) {
	t.Parallel()
	const homes, calls, lifetimes = 10, 80, 4
	f := newFleet(t, fleetOptions{homes: homes, ttl: soakTTL, margin: soakMargin})
	res := soak(t, f, calls, lifetimes*soakLife)
	requests := f.srv.Counts().ClientCredentials
	t.Logf("soak: %d calls, %d failures, %d token requests over %d lifetimes", res.calls, res.failures, requests, res.lifetimes())
	if len(res.warnings) > 0 {
		t.Errorf("%d calls wrote to stderr, first: %s", len(res.warnings), res.warnings[0])
	}
	if res.failures != 0 {
		t.Errorf("%d of %d calls failed; first: %s", res.failures, res.calls, res.failure)
	}
	if res.lifetimes() < lifetimes-1 {
		t.Errorf("the run spanned only %d token lifetimes; it should span about %d", res.lifetimes(), lifetimes)
	}
	if d := requests - res.lifetimes(); d < -1 || d > 1 {
		t.Errorf("%d token requests over %d token lifetimes, want one per lifetime ± 1", requests, res.lifetimes())
	}
}

// round runs procs `tok token -p ci` on every home at once; all must
// succeed. It returns the distinct tokens they printed and what they
// wrote to stderr.
func (f *fleet) round(t *testing.T, procs int) (tokens map[string]bool, stderr []string) {
	t.Helper()
	var ps []*Process
	for _, env := range f.homes {
		for range procs {
			ps = append(ps, Start(t, env, "", "token", "-p", "ci"))
		}
	}
	tokens = map[string]bool{}
	for _, p := range ps {
		r := p.Wait(t)
		WantCode(t, r, 0)
		tokens[SingleLine(t, "tok token", r.Stdout)] = true
		if r.Stderr != "" {
			stderr = append(stderr, r.Stderr)
		}
	}
	return tokens, stderr
}

// sharedRound is a round in which the fleet shares: every process must
// print the same token, which it returns, and nothing on stderr.
func (f *fleet) sharedRound(t *testing.T, procs int) string {
	t.Helper()
	tokens, stderr := f.round(t, procs)
	if len(tokens) != 1 {
		t.Errorf("%d homes × %d processes printed %d different tokens, want one", len(f.homes), procs, len(tokens))
	}
	if len(stderr) > 0 {
		t.Errorf("%d calls wrote to stderr, first: %s", len(stderr), stderr[0])
	}
	for tok := range tokens {
		return tok
	}
	return ""
}

// TestFleetRedisStoppedAndBack: with Redis stopped, every call keeps
// working, each home fetching its own token (with one warning); once Redis
// is back the fleet shares again. Each round expires the token everywhere
// (fleet.age) and has every home ask at once, so the token requests are
// counted exactly: one per round while shared, one per home while Redis
// is stopped.
func TestFleetRedisStoppedAndBack(t *testing.T) {
	t.Parallel()
	const homes, rounds = 10, 2
	f := newFleet(t, fleetOptions{homes: homes, ttl: time.Hour, margin: time.Minute})
	phase := func(name string, shared bool) {
		t.Helper()
		// A stopped server refuses connections at once, so the timeout
		// only matters while it runs: there it must not be what the test
		// measures. Ten processes reaching a just-restarted Redis on a
		// loaded CI machine took longer than 300 ms, fell back to fetching
		// alone and made four requests instead of one.
		timeout := "10s"
		if !shared {
			timeout = "300ms"
		}
		for _, env := range f.homes {
			env["TOK_SHARED_CACHE_TIMEOUT"] = timeout
		}
		for i := range rounds {
			before := f.srv.Counts().ClientCredentials
			if shared {
				f.sharedRound(t, 1)
			} else {
				tokens, stderr := f.round(t, 1)
				if len(tokens) != homes {
					t.Errorf("%s, round %d: %d homes printed %d different tokens, want each its own", name, i, homes, len(tokens))
				}
				if len(stderr) != homes {
					t.Errorf("%s, round %d: %d of %d homes warned that the shared cache is unreachable", name, i, len(stderr), homes)
				}
				for _, e := range stderr {
					if strings.Count(e, "\n") != 1 || !strings.Contains(e, "shared cache") || !strings.Contains(e, "fetching a token for this host alone") {
						t.Errorf("%s, round %d: want one warning line about the shared cache, got %q", name, i, e)
					}
				}
			}
			want := 1
			if !shared {
				want = homes
			}
			if got := f.srv.Counts().ClientCredentials - before; got != want {
				t.Errorf("%s, round %d: %d token requests, want %d", name, i, got, want)
			}
			f.expire(t)
		}
	}
	// The first round of each phase starts with no token in Redis (a new
	// fleet, a restarted server without persistence).
	phase("shared", true)
	f.redis.Stop()
	phase("redis stopped", false)
	f.redis.Restart()
	phase("redis back", true)
}

// TestFleetTLSAndCluster: a fleet shares one token through a TLS Redis
// with an ACL user and a custom CA, and through a three-master Redis
// Cluster.
func TestFleetTLSAndCluster(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *redisserver.Server
	}{{"tls-acl", redisserver.StartTLS}, {"cluster", redisserver.StartCluster}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFleet(t, fleetOptions{homes: 3, ttl: time.Hour, margin: time.Minute, redis: tc.start(t)})
			var ps []*Process
			for _, env := range f.homes {
				ps = append(ps, Start(t, env, "", "token", "-p", "ci"))
			}
			var want string
			for i, p := range ps {
				r := p.Wait(t)
				WantCode(t, r, 0)
				if got := SingleLine(t, "tok token", r.Stdout); i == 0 {
					want = got
				} else if got != want {
					t.Errorf("home %d printed a different token", i)
				}
			}
			if c := f.srv.Counts().ClientCredentials; c != 1 {
				t.Errorf("%d token requests, want 1", c)
			}
			if r := RunOK(t, f.homes[0], "", "profile", "show", "ci"); !strings.Contains(r, "Shared cache:") || (f.redis.Password != "" && strings.Contains(r, f.redis.Password)) {
				t.Errorf("profile show: %s", r)
			}
			if f.redis.Password == "" {
				return
			}
			// A member that keeps the key and the password in files (a
			// mounted Secret) shares the same token.
			dir := t.TempDir()
			keyFile, pwFile := filepath.Join(dir, "shared-key"), filepath.Join(dir, "redis-password")
			if err := os.WriteFile(keyFile, []byte(f.key+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pwFile, []byte(f.redis.Password+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			files := FileKeyEnv(t)
			f.addProfile(t, files, fleetOptions{margin: time.Minute}, "--shared-cache-key-file", keyFile, "--shared-cache-password-file", pwFile)
			if got := tokenOK(t, files, "ci"); got != want {
				t.Errorf("the member with key and password files did not get the fleet's token")
			}
			viaEnv := FileKeyEnv(t).With("TOK_SHARED_CACHE_KEY_FILE="+keyFile, "TOK_SHARED_CACHE_PASSWORD="+f.redis.Password)
			f.addProfile(t, viaEnv, fleetOptions{margin: time.Minute})
			if got := tokenOK(t, viaEnv, "ci"); got != want {
				t.Errorf("the member with TOK_SHARED_CACHE_KEY_FILE did not get the fleet's token")
			}
			noKey := FileKeyEnv(t).With("TOK_SHARED_CACHE_PASSWORD=" + f.redis.Password)
			f.addProfile(t, noKey, fleetOptions{margin: time.Minute})
			r := Run(t, noKey, "", "token", "-p", "ci")
			WantCode(t, r, 1)
			WantStderr(t, r, "TOK_SHARED_CACHE_KEY", "--shared-cache-key-file")

			// A password on the command line is refused...
			withPW := strings.Replace(f.redis.URL, f.redis.User+"@", f.redis.User+":"+f.redis.Password+"@", 1)
			env := f.env(t)
			r = Run(t, env, f.secret+"\n", "profile", "add", "pw", "--issuer", f.srv.Issuer(), "--client-id", "svc", "--client-secret-stdin",
				"--flow", "client-credentials", "--shared-cache", withPW)
			WantCode(t, r, 2)
			WantStderr(t, r, "carries a password", "TOK_SHARED_CACHE_PASSWORD")
			// ...but an ephemeral CI profile may take it in TOK_SHARED_CACHE,
			// and shares the fleet's token (same provider, client, scopes).
			ci := FileKeyEnv(t).With("TOK_ISSUER="+f.srv.Issuer(), "TOK_CLIENT_ID=svc", "TOK_CLIENT_SECRET="+f.secret, "TOK_SCOPES=profile",
				"TOK_SHARED_CACHE="+withPW, "TOK_SHARED_CACHE_CA_FILE="+f.redis.CAFile, "TOK_SHARED_CACHE_KEY="+f.key)
			r = Run(t, ci, "", "token")
			WantCode(t, r, 0)
			if strings.TrimSpace(r.Stdout) != want {
				t.Errorf("the ephemeral profile did not get the fleet's token: %s", r)
			}
			if c := f.srv.Counts().ClientCredentials; c != 1 {
				t.Errorf("the ephemeral profile made a token request (%d in all)", c)
			}
		})
	}
}

// TestFleetRotatingRefreshTokens: 3 homes share one browser login with
// rotating refresh tokens through 10 lifetimes; the provider never sees a
// refresh token twice, and no call fails. Each round expires the token
// everywhere (fleet.age) and has every home run two processes at once, so
// exactly one refresh per round is the count (it was one per real
// lifetime ± 1, over 15 s).
func TestFleetRotatingRefreshTokens(t *testing.T) {
	t.Parallel()
	const rounds = 10
	f := newFleet(t, fleetOptions{homes: 3, ttl: time.Hour, margin: time.Minute, refresh: true})
	loginOK(t, f.homes[0], "ci", f.srv)
	prev := f.sharedRound(t, 1) // the other homes take the login's token
	f.srv.ResetCounts()
	for i := range rounds {
		f.expire(t)
		token := f.sharedRound(t, 2)
		if token == prev {
			t.Errorf("round %d: the fleet printed the expired token", i)
		}
		prev = token
		if c := f.srv.Counts(); c.RefreshToken != i+1 || c.TokenRequests() != c.RefreshToken {
			t.Fatalf("after %d rounds: %d refreshes (%d token requests), want exactly one per round", i+1, c.RefreshToken, c.TokenRequests())
		}
	}
	if c := f.srv.Counts(); c.RefreshReuse != 0 {
		t.Errorf("the provider saw %d reused refresh tokens; a rotating grant would be revoked", c.RefreshReuse)
	}
}

// TestFleetDeadGrant: when the provider refuses the shared refresh token
// (revoked), the member that tried drops it from the shared cache, so no
// other member presents it again; all of them say to log in.
func TestFleetDeadGrant(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 2, ttl: time.Hour, margin: time.Minute, refresh: true})
	loginOK(t, f.homes[0], "ci", f.srv)
	tokenOK(t, f.homes[1], "ci")
	stored := ReadStoredTokens(t, f.homes[1], "ci")
	RevokeAtServer(t, f.srv.HTTPClient(), f.srv.RevocationURL(), clientID, stored.Refresh)
	f.expire(t)
	f.srv.ResetCounts()
	for i, env := range f.homes {
		r := Run(t, env, "", "token", "-p", "ci")
		WantCode(t, r, 4)
		WantStderr(t, r, "tok login -p ci")
		if c := f.srv.Counts(); c.RefreshToken != 1 {
			t.Errorf("after home %d: %d refresh requests, want only the first member's", i, c.RefreshToken)
		}
	}
}

// TestFleetFederatedCI: parallel CI jobs with an ephemeral federated
// profile (no tok profile add, the cache from TOK_SHARED_CACHE) make one
// token exchange between them and write nothing to disk.
func TestFleetFederatedCI(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, ciSubject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: ciSubject})
	rs := redisserver.Start(t)
	key := newSharedKey(t)
	file := filepath.Join(t.TempDir(), "oidc-token")
	if err := os.WriteFile(file, []byte(platform.Mint(ciSubject, srv.Issuer(), time.Minute)), 0o600); err != nil {
		t.Fatal(err)
	}
	var jobs []*Process
	var envs []Env
	for i := 0; i < 5; i++ {
		env := ciEnv(t).With("TOK_SHARED_CACHE="+rs.URL, "TOK_SHARED_CACHE_KEY="+key)
		envs = append(envs, env)
		jobs = append(jobs, Start(t, env, "", "token", "--issuer", srv.Issuer(), "--subject-token-file", file, "--scopes", "deploy"))
	}
	var want string
	for i, p := range jobs {
		r := p.Wait(t)
		WantCode(t, r, 0)
		got := SingleLine(t, "tok token", r.Stdout)
		if i == 0 {
			want = got
		} else if got != want {
			t.Errorf("job %d got a different token", i)
		}
		wantNothingWritten(t, envs[i])
	}
	if c := srv.Counts().TokenExchange; c != 1 {
		t.Errorf("%d token exchanges for 5 jobs, want 1", c)
	}
	if srv.Subject(want) != ciSubject {
		t.Errorf("the shared token is not active for the CI subject")
	}
}

// TestFleetRevoke: tok revoke on one member revokes at the provider and
// removes the state from the shared cache, so no member adopts the
// revoked tokens; --local leaves the shared state alone.
func TestFleetRevoke(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 2, ttl: time.Hour, margin: time.Minute, refresh: true})
	loginOK(t, f.homes[0], "ci", f.srv)
	tokenOK(t, f.homes[1], "ci")
	rc := f.redisClient(t)
	RunOK(t, f.homes[1], "", "revoke", "-p", "ci", "--local")
	if keys := stateKeys(t, rc); len(keys) != 1 {
		t.Fatalf("revoke --local touched the shared cache: %v", keys)
	}
	RunOK(t, f.homes[0], "", "revoke", "-p", "ci")
	if keys := stateKeys(t, rc); len(keys) != 0 {
		t.Errorf("the revoked tokens are still in the shared cache: %v", keys)
	}
	r := Run(t, f.homes[1], "", "token", "-p", "ci")
	WantCode(t, r, 4)
	WantStderr(t, r, "tok login -p ci")
}

// TestFleetProfileSet: tok profile set adds, changes and removes a
// profile's shared cache, keeping its other settings; flags that would put
// a password in argv or share a static token are refused.
func TestFleetProfileSet(t *testing.T) {
	t.Parallel()
	f := newFleet(t, fleetOptions{homes: 0, ttl: time.Hour, margin: time.Minute})
	env := f.env(t)
	RunOK(t, env, f.secret+"\n", "profile", "add", "ci", "--issuer", f.srv.Issuer(), "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile")
	if out := RunOK(t, env, "", "profile", "show", "ci"); strings.Contains(out, "Shared cache") {
		t.Fatalf("a new profile shows a shared cache:\n%s", out)
	}
	RunOK(t, env, "", "profile", "set", "ci", "--shared-cache", f.redis.URL, "--shared-cache-namespace", "team-ci")
	out := RunOK(t, env, "", "profile", "show", "ci")
	for _, want := range []string{"Shared cache:", f.redis.URL, "team-ci", "profile"} {
		if !strings.Contains(out, want) {
			t.Errorf("after set, profile show lacks %q:\n%s", want, out)
		}
	}
	tokenOK(t, env, "ci")
	if keys := stateKeys(t, f.redisClient(t)); len(keys) != 1 || keys[0] != "tok:{team-ci}:state" {
		t.Errorf("state keys after the first token: %v", keys)
	}
	RunOK(t, env, "", "profile", "set", "ci", "--shared-cache", "")
	if out := RunOK(t, env, "", "profile", "show", "ci"); strings.Contains(out, "Shared cache") {
		t.Errorf("--shared-cache \"\" did not stop sharing:\n%s", out)
	}
	r := Run(t, env, "", "profile", "set", "ci", "--shared-cache", "redis://u:hunter2@127.0.0.1:1/0")
	WantCode(t, r, 2)
	if strings.Contains(r.Stderr, "hunter2") {
		t.Errorf("the refusal echoed the password: %s", r.Stderr)
	}
	r = Run(t, env, "", "profile", "add", "st", "--type", "static", "--shared-cache", f.redis.URL)
	WantCode(t, r, 2)
	WantStderr(t, r, "static token has nothing to share")
	r = Run(t, env, "", "profile", "set", "ci", "--shared-cache", "http://example.com")
	WantCode(t, r, 2)
	WantStderr(t, r, "redis:// or rediss://")
}
