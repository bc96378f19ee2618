package execrun

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

// TestRefresherWithConcurrentCallers runs the refresher of tok exec on a
// real in-memory Service against a real authorization server while other
// goroutines ask the same Service for tokens. Run with -race: the Service
// (its sealer cache, its in-memory lock) must be safe for this use, and
// every published token must be one the server considers active.
//
// The clock is injected (see roundClock): each refresher sleep moves it to
// the end of the sleep, past the token's refresh point, and releases the
// callers, who ask for a token at that instant alongside the refresher's
// own fetch. Every due refresh is contended, and none waits in real time.
func TestRefresherWithConcurrentCallers(t *testing.T) {
	const ttl, rounds, callers = 3 * time.Second, 8, 4
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: ttl})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "svc-secret"})
	clk := newRoundClock(time.Now(), rounds, callers)
	svc := &tokens.Service{Store: store.NewMemory(), Keys: &keysource.Memory{}, Now: clk.Now}
	ctx := context.Background()
	p := tokens.Profile{
		Profile: record.Profile{Name: "ci", Type: record.OAuth},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials, RefreshMargin: record.Duration(time.Second)},
			Endpoints:     oauth.Endpoints{TokenURL: srv.TokenURL()},
			ClientID:      "svc",
			Scopes:        []string{"profile"}}}
	if err := svc.AddProfile(ctx, p, "svc-secret"); err != nil {
		t.Fatal(err)
	}
	first, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var published []string
	r := &refresher{
		profile: "ci",
		fetch: func(ctx context.Context) (record.Credential, string, error) {
			c, err := svc.Token(ctx, "ci", record.Options{})
			return c, "", err
		},
		publish: func(c record.Credential) error {
			if !srv.Introspect(c.Token) {
				t.Errorf("published a token the server does not consider active")
			}
			mu.Lock()
			published = append(published, c.Token)
			mu.Unlock()
			return nil
		},
		warn:   func(msg string) { t.Errorf("unexpected warning: %s", msg) },
		now:    clk.Now,
		sleep:  clk.sleep,
		jitter: randomJitter,
	}
	svc.Warn = func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for rd := clk.first; ; rd = rd.next {
				<-rd.start
				if rd.last {
					rd.finished.Done()
					return
				}
				if _, err := svc.Token(ctx, "ci", record.Options{}); err != nil {
					t.Errorf("concurrent Token: %v", err)
				}
				rd.finished.Done()
			}
		})
	}
	r.run(ctx, first)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	// Each sleep ends past the token's refresh point, so each round needs
	// exactly one client credentials grant, shared by the refresher and
	// the four callers: callers that did not share would make up to five.
	if n := srv.Counts().ClientCredentials; n != rounds+1 {
		t.Errorf("%d token requests for the first token and %d due refreshes, want %d: concurrent callers did not share refreshes (or the refresher missed one)", n, rounds, rounds+1)
	}
	if len(published) != rounds {
		t.Errorf("the refresher published %d tokens over %d due refreshes", len(published), rounds)
	}
}

// roundClock is the injected clock of TestRefresherWithConcurrentCallers:
// it moves only when the refresher sleeps, and each sleep starts a round
// in which every caller asks for a token once.
type roundClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps int

	rounds, callers int
	first           *round // the round the callers wait for first
	cur             *round // the round the next sleep starts
	prev            *round // the round the last sleep started
}

// round is one move of the clock. start is closed once the clock moved
// (next is set by then); finished counts the callers' token requests.
type round struct {
	start    chan struct{}
	next     *round
	last     bool // the run is over: callers return
	finished sync.WaitGroup
}

func newRound(callers int) *round {
	r := &round{start: make(chan struct{})}
	r.finished.Add(callers)
	return r
}

func newRoundClock(start time.Time, rounds, callers int) *roundClock {
	first := newRound(callers)
	return &roundClock{t: start, rounds: rounds, callers: callers, first: first, cur: first}
}

func (c *roundClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// sleep is the refresher's sleep: it lets the callers of the previous
// round finish, moves the clock by d and starts the next round; after
// rounds sleeps it ends the run instead.
func (c *roundClock) sleep(ctx context.Context, d time.Duration) bool {
	if c.prev != nil {
		c.prev.finished.Wait()
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps++
	last := c.sleeps > c.rounds
	c.mu.Unlock()
	r := c.cur
	r.last = last
	r.next = newRound(c.callers)
	c.prev, c.cur = r, r.next
	close(r.start)
	if last {
		r.finished.Wait()
	}
	return !last && ctx.Err() == nil
}

// TestSecretEnvHoldsToksSecrets keeps SecretEnv in step with the variable
// the env key source reads.
func TestSecretEnvHoldsToksSecrets(t *testing.T) {
	for _, name := range []string{keysource.EnvKey, "TOK_CLIENT_SECRET", "TOK_SHARED_CACHE_KEY", "TOK_SHARED_CACHE_PASSWORD", "TOK_SHARED_CACHE"} {
		if !slices.Contains(SecretEnv, name) {
			t.Errorf("SecretEnv %v lacks %s", SecretEnv, name)
		}
	}
	env := childEnv([]string{"TOK_KEY=k", "TOK_CLIENT_SECRET=s", "KEEP=1"}, record.Credential{Profile: "p", Token: "t"}, nil, "/f")
	for _, kv := range env {
		if strings.HasPrefix(kv, "TOK_KEY=") || strings.HasPrefix(kv, "TOK_CLIENT_SECRET=") {
			t.Errorf("child environment holds %s", kv)
		}
	}
	if !slices.Contains(env, "KEEP=1") {
		t.Errorf("child environment %v lost KEEP", env)
	}
}

// fakeClock is a clock that moves only when the refresher sleeps.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// sleepUntil returns a sleep function for the refresher that advances the
// clock instead of waiting and ends the run once the clock reaches end.
func (c *fakeClock) sleepUntil(end time.Time) func(context.Context, time.Duration) bool {
	return func(ctx context.Context, d time.Duration) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.sleeps = append(c.sleeps, d)
		c.t = c.t.Add(d)
		return ctx.Err() == nil && c.t.Before(end)
	}
}

// clientCredentials is an in-memory Service on clk with profile "ci", a
// client-credentials profile of srv's client "svc" (secret
// "svc-secret"), and the profile's first token.
func clientCredentials(t *testing.T, srv *authserver.Server, clk *fakeClock) (*tokens.Service, record.Credential) {
	t.Helper()
	svc := &tokens.Service{Store: store.NewMemory(), Keys: &keysource.Memory{}, Now: clk.Now}
	p := tokens.Profile{
		Profile: record.Profile{Name: "ci", Type: record.OAuth},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials},
			Endpoints:     oauth.Endpoints{TokenURL: srv.TokenURL()},
			ClientID:      "svc"}}
	ctx := context.Background()
	if err := svc.AddProfile(ctx, p, "svc-secret"); err != nil {
		t.Fatal(err)
	}
	first, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return svc, first
}

// TestRefresherShortLivedTokens reproduces tok exec with 20-second
// client-credentials tokens and the default one-minute margin (it made 95
// token requests in 10 s when it waited "expiry − margin", a negative
// time). Over ten token lifetimes on an injected clock, the refresher must
// renew each token once: with the margin capped at half the lifetime, one
// request every 10 s.
func TestRefresherShortLivedTokens(t *testing.T) {
	const ttl, lifetimes = 20 * time.Second, 10
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: ttl})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "svc-secret"})
	clk := &fakeClock{t: time.Now()}
	svc, first := clientCredentials(t, srv, clk)
	ctx := context.Background()
	if first.Margin <= 0 || first.Margin > ttl/2 {
		t.Fatalf("a %s token got margin %s", ttl, first.Margin)
	}
	published := 0
	r := &refresher{
		profile: "ci",
		fetch: func(ctx context.Context) (record.Credential, string, error) {
			c, err := svc.Token(ctx, "ci", record.Options{})
			return c, "", err
		},
		publish: func(c record.Credential) error {
			published++
			if !c.Expiry.After(clk.Now().Add(c.Margin)) {
				t.Errorf("published a token already due: expiry %s, margin %s, now %s", c.Expiry, c.Margin, clk.Now())
			}
			return nil
		},
		warn:  func(msg string) { t.Errorf("unexpected warning: %s", msg) },
		now:   clk.Now,
		sleep: clk.sleepUntil(clk.Now().Add(lifetimes * ttl)),
	}
	r.run(ctx, first)

	requests := srv.Counts().ClientCredentials - 1 // the first token
	// A token is due after half its life (expires_in is whole seconds, so
	// a little less): 10 lifetimes of 20 s need about 20 renewals.
	if min, max := 2*lifetimes-1, 2*lifetimes+2; requests < min || requests > max {
		t.Errorf("%d token requests over %d lifetimes of %s, want %d to %d", requests, lifetimes, ttl, min, max)
	}
	if published != requests {
		t.Errorf("published %d tokens for %d requests", published, requests)
	}
	for _, d := range clk.sleeps {
		if d < refreshMinWait {
			t.Fatalf("the refresher slept %s, less than its floor %s", d, refreshMinWait)
		}
	}
}

// TestRefresherRefreshFailure: the provider fails every token request
// (503) from before the child's token is due until five minutes after it
// expired, then works again. On an injected clock through the real
// Service: the child's stderr gets one line that refreshing fails, one
// that the token expired and one that it was refreshed again, however
// many retries there were; the retries back off (doubling from a second
// to a minute) and only the recovered token is published. (tok exec's
// end-to-end test keeps what needs processes: the child runs on and the
// warning reaches tok's stderr.)
func TestRefresherRefreshFailure(t *testing.T) {
	const ttl, outage = 10 * time.Minute, 5 * time.Minute
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: ttl})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "svc-secret"})
	clk := &fakeClock{t: time.Now()}
	svc, first := clientCredentials(t, srv, clk)
	ctx := context.Background()
	srv.FailTokenRequests(http.StatusServiceUnavailable)
	recovered := first.Expiry.Add(outage)
	var warnings []string
	var published []record.Credential
	fetches, failedFetches := 0, 0
	r := &refresher{
		profile: "ci",
		fetch: func(ctx context.Context) (record.Credential, string, error) {
			fetches++
			if clk.Now().Before(recovered) {
				failedFetches++
			} else {
				srv.FailTokenRequests(0)
			}
			var warning string
			c, err := svc.Token(tokens.WithWarn(ctx, func(msg string) { warning = msg }), "ci", record.Options{})
			return c, warning, err
		},
		publish: func(c record.Credential) error { published = append(published, c); return nil },
		warn:    func(msg string) { warnings = append(warnings, msg) },
		now:     clk.Now,
		sleep:   clk.sleepUntil(recovered.Add(2 * time.Minute)),
	}
	r.run(ctx, first)

	wants := []string{"could not refresh", "expired at", "refreshed the token of profile \"ci\" again"}
	if len(warnings) != len(wants) {
		t.Fatalf("%d warning lines over %d failed refreshes, want %d: %q", len(warnings), failedFetches, len(wants), warnings)
	}
	for i, want := range wants {
		if !strings.Contains(warnings[i], want) {
			t.Errorf("warning %d = %q, want it to say %q", i, warnings[i], want)
		}
	}
	if !strings.Contains(warnings[0], "retrying in the background") {
		t.Errorf("the failure line does not say tok keeps trying: %q", warnings[0])
	}
	// Due at expiry - margin, failing for margin + outage: with backoff
	// from 1 s to 1 min that is a handful of tries, not one per second.
	if failedFetches < 3 || failedFetches > 25 {
		t.Errorf("%d failed refreshes over %s of outage, want a few retries with backoff", failedFetches, first.Margin+outage)
	}
	if len(published) != 1 || published[0].Token == first.Token || !published[0].Expiry.After(clk.Now()) {
		t.Errorf("published %d tokens, want only the recovered one", len(published))
	}
	var prev time.Duration
	for i, d := range clk.sleeps[1 : failedFetches+1] {
		if d < prev || d > refreshRetryMax {
			t.Errorf("retry %d waited %s after %s: want doubling up to %s", i, d, prev, refreshRetryMax)
		}
		prev = d
	}
	if fetches <= failedFetches {
		t.Errorf("no refresh after the provider recovered")
	}
}
