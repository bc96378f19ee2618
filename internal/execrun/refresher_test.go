package execrun

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/oauth/oauthtest"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokens"
)

// TestRefresherWithConcurrentCallers runs the refresher of tok exec on a
// real in-memory Service against a real authorization server while other
// goroutines ask the same Service for tokens. Run with -race: the Service
// (its sealer cache, its in-memory lock) must be safe for this use, and
// every published token must be one the server considers active.
func TestRefresherWithConcurrentCallers(t *testing.T) {
	srv := oauthtest.New(t, oauthtest.Options{AccessTokenTTL: 3 * time.Second})
	srv.AddClient(oauthtest.Client{ID: "svc", Secret: "svc-secret"})
	svc := &tokens.Service{Store: store.NewMemory(), Keys: &keysource.Memory{}}
	ctx := context.Background()
	p := tokens.Profile{Name: "ci", Type: record.OAuth, OAuth: &tokens.OAuthConfig{
		Endpoints:     oauth.Endpoints{TokenURL: srv.TokenURL()},
		ClientID:      "svc",
		Scopes:        []string{"profile"},
		Flow:          tokens.FlowClientCredentials,
		RefreshMargin: record.Duration(time.Second),
	}}
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
		now:    time.Now,
		jitter: randomJitter,
	}
	svc.Warn = func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.run(rctx, first) })
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				if _, err := svc.Token(ctx, "ci", record.Options{}); err != nil {
					t.Errorf("concurrent Token: %v", err)
					return
				}
			}
		})
	}
	time.Sleep(4 * time.Second)
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(published) < 1 {
		t.Fatal("the refresher published no new token in 4 s with a 3 s lifetime")
	}
	// Five callers, one request per due refresh: 4 s with a token due
	// every 1-2 s (a 2-3 s announced lifetime minus the 1 s margin) is at
	// most 5 client credentials grants, the first included; callers that
	// did not share refreshes would make dozens.
	if n := srv.Counts().ClientCredentials; n > 5 {
		t.Errorf("%d token requests: concurrent callers did not share refreshes", n)
	}
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

// TestRefresherShortLivedTokens reproduces tok exec with 20-second
// client-credentials tokens and the default one-minute margin (it made 95
// token requests in 10 s when it waited "expiry − margin", a negative
// time). Over ten token lifetimes on an injected clock, the refresher must
// renew each token once: with the margin capped at half the lifetime, one
// request every 10 s.
func TestRefresherShortLivedTokens(t *testing.T) {
	const ttl, lifetimes = 20 * time.Second, 10
	srv := oauthtest.New(t, oauthtest.Options{AccessTokenTTL: ttl})
	srv.AddClient(oauthtest.Client{ID: "svc", Secret: "svc-secret"})
	clk := &fakeClock{t: time.Now()}
	svc := &tokens.Service{Store: store.NewMemory(), Keys: &keysource.Memory{}, Now: clk.Now}
	ctx := context.Background()
	p := tokens.Profile{Name: "ci", Type: record.OAuth, OAuth: &tokens.OAuthConfig{
		Endpoints: oauth.Endpoints{TokenURL: srv.TokenURL()},
		ClientID:  "svc",
		Flow:      tokens.FlowClientCredentials,
	}}
	if err := svc.AddProfile(ctx, p, "svc-secret"); err != nil {
		t.Fatal(err)
	}
	first, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
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
