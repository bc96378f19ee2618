package tokens

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// shortTTL is the lifetime of the access tokens in these tests: shorter
// than the default one-minute refresh margin, as Keycloak admins and test
// setups of Hydra and oidc-provider commonly configure.
const shortTTL = 20 * time.Second

// TestShortLivedTokenNotStaleAfterLogin: with 20-second tokens and the
// default margin, a token just obtained is handed out as it is until it
// enters its capped margin (the second half of its life), then refreshed
// once.
func TestShortLivedTokenNotStaleAfterLogin(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{AccessTokenTTL: shortTTL})
	srv.ResetCounts()
	first, err := e.service().Token(ctx, "api", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// expires_in is whole seconds, counted by the server a moment earlier.
	if d := first.Margin - shortTTL/2; d > time.Second || d < -time.Second {
		t.Errorf("credential margin = %s, want about %s (the default margin capped at half the lifetime)", first.Margin, shortTTL/2)
	}
	if st := record.Evaluate((&Profile{Profile: record.Profile{Type: record.OAuth}, OAuth: &OAuthConfig{}}).Policy(), ptr(readState(t, e, "api")), record.K8sAccessToken, e.clock.Now()); st != record.StatusValid {
		t.Errorf("status right after login = %s, want valid", st)
	}
	for i := 0; i < 9; i++ {
		cred, err := e.service().Token(ctx, "api", record.Options{})
		if err != nil || cred.Token != first.Token {
			t.Fatalf("call %d, %ds after login: err %v, same token %v", i, i, err, cred.Token == first.Token)
		}
		e.clock.Advance(time.Second)
	}
	if c := srv.Counts(); c.TokenRequests() != 0 {
		t.Fatalf("%d token requests within the first 9 s of a 20 s token, want 0", c.TokenRequests())
	}
	e.clock.Advance(1500 * time.Millisecond) // 10.5 s: inside the 10 s margin
	next, err := e.service().Token(ctx, "api", record.Options{})
	if err != nil || next.Token == first.Token {
		t.Fatalf("inside the margin: err %v, renewed %v", err, next.Token != first.Token)
	}
	for i := 0; i < 5; i++ {
		if cred, err := e.service().Token(ctx, "api", record.Options{}); err != nil || cred.Token != next.Token {
			t.Fatalf("after the refresh: err %v, same token %v", err, cred.Token == next.Token)
		}
	}
	if n := srv.Counts().RefreshToken; n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}

func ptr[T any](v T) *T { return &v }

// TestShortLivedStormAfterExpiry: 20 callers (each its own Service, as
// separate processes are) after a 20-second token expired make one refresh
// and all get its token.
func TestShortLivedStormAfterExpiry(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{AccessTokenTTL: shortTTL})
	first, err := e.service().Token(ctx, "api", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(shortTTL + time.Second)
	srv.ResetCounts()
	got := storm(t, 20, func() *Service { return e.service() })
	for _, tok := range got {
		if tok != got[0] || tok == first.Token {
			t.Fatal("callers got different or expired tokens")
		}
	}
	if n := srv.Counts().RefreshToken; n != 1 {
		t.Fatalf("20 callers made %d refreshes, want 1", n)
	}
}

// TestWaiterTakesTokenObtainedWhileWaiting: a caller that waited for the
// refresh lock accepts the token another process stored meanwhile, even
// when that token is already inside its margin by the caller's clock (the
// wait was long), instead of refreshing again.
func TestWaiterTakesTokenObtainedWhileWaiting(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{AccessTokenTTL: shortTTL})
	e.clock.Advance(shortTTL + 5*time.Second) // expired
	unlock, err := e.service().lock(ctx, "api", "refresh", true)
	if err != nil {
		t.Fatal(err)
	}
	const waiters = 20
	var loaded sync.WaitGroup
	loaded.Add(waiters)
	services := make(chan *Service, waiters)
	for i := 0; i < waiters; i++ {
		svc := e.service()
		var once sync.Once
		// Service.Token reads the clock right after it read the state: by
		// then the waiter holds the old generation. Its clock runs 15 s
		// ahead, as if it had waited that long for the lock: the token
		// obtained meanwhile is inside its margin but not expired.
		svc.Now = func() time.Time {
			once.Do(loaded.Done)
			return e.clock.Now().Add(15 * time.Second)
		}
		services <- svc
	}
	close(services)
	results := make(chan []string, 1)
	go func() { results <- storm(t, waiters, func() *Service { return <-services }) }()
	loaded.Wait()

	// Another process signs in while they wait (login takes its own lock).
	srv.ResetCounts()
	ui := oauth.UI{OpenBrowser: approveInBackground}
	login, err := e.service().Login(ctx, "api", LoginOptions{UI: ui, Flow: record.FlowBrowser})
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	for _, tok := range <-results {
		if tok != login.Token {
			t.Fatal("a waiter did not take the token obtained while it waited")
		}
	}
	if n := srv.Counts().RefreshToken; n != 0 {
		t.Fatalf("the waiters made %d refreshes after a login renewed the token, want 0", n)
	}
}

// storm runs n Token calls at once, each on the Service next returns, and
// returns the tokens they got.
func storm(t *testing.T, n int, next func() *Service) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		out []string
		wg  sync.WaitGroup
	)
	for i := 0; i < n; i++ {
		svc := next()
		wg.Go(func() {
			cred, err := svc.Token(context.Background(), "api", record.Options{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("caller failed: %v", err)
				return
			}
			out = append(out, cred.Token)
		})
	}
	wg.Wait()
	if len(out) != n {
		t.Fatalf("%d of %d callers got a token", len(out), n)
	}
	return out
}
