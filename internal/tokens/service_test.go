package tokens

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// clock is a settable clock shared by the services of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one tok home with its data key in TOK_KEY, so the tests need no
// OS keyring (the keyring source has its own tests and the end-to-end ones).
type env struct {
	home     string
	key      string
	clock    *clock
	warnings []string
	mu       sync.Mutex
}

func newEnv(t *testing.T) *env {
	k, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return &env{home: t.TempDir(), key: k.String(), clock: &clock{t: time.Now()}}
}

// service returns a fresh Service, as a new tok process would have.
func (e *env) service() *Service {
	return &Service{
		Store: store.New(e.home),
		Keys: &keysource.Resolver{Home: e.home, Getenv: func(k string) string {
			if k == keysource.EnvKey {
				return e.key
			}
			return ""
		}},
		KeySource: string(keysource.Env),
		Now:       e.clock.Now,
		Warn: func(msg string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.warnings = append(e.warnings, msg)
		},
		LockTimeout: 10 * time.Second,
		HTTPTimeout: 5 * time.Second,
	}
}

func TestStaticProfile(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "gh", Type: record.Static, Env: []string{"GH_TOKEN"}}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, "gh", record.Options{}); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("Token before login: err = %v, want ErrLoginRequired", err)
	}
	exp := e.clock.Now().Add(time.Hour)
	if err := svc.SetStaticToken(ctx, "gh", "ghp_one", exp); err != nil {
		t.Fatal(err)
	}
	// Default profile: the first one added.
	cred, err := e.service().Token(ctx, "", record.Options{})
	if err != nil || cred.Token != "ghp_one" || cred.Profile != "gh" || !cred.Expiry.Equal(exp.UTC()) || cred.Env[0] != "GH_TOKEN" {
		t.Fatalf("Token = %+v, %v", cred, err)
	}
	if err := svc.SetStaticToken(ctx, "gh", "ghp_two", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if cred, _ := e.service().Token(ctx, "gh", record.Options{}); cred.Token != "ghp_two" {
		t.Fatalf("token after replace = %q", cred.Token)
	}
	if err := svc.SetStaticToken(ctx, "gh", "ghp_three", e.clock.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.service().Token(ctx, "gh", record.Options{}); !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "tok login -p gh") {
		t.Fatalf("expired static: err = %v", err)
	}
	if cred, err := e.service().Token(ctx, "gh", record.Options{AllowExpired: true}); err != nil || cred.Token != "ghp_three" {
		t.Fatalf("AllowExpired: %+v, %v", cred, err)
	}

	// Rename re-seals under the new name; the old name is gone.
	if err := e.service().RenameProfile(ctx, "gh", "github"); err != nil {
		t.Fatal(err)
	}
	if cred, err := e.service().Token(ctx, "github", record.Options{AllowExpired: true}); err != nil || cred.Token != "ghp_three" {
		t.Fatalf("after rename: %+v, %v", cred, err)
	}
	if _, err := e.service().Token(ctx, "gh", record.Options{}); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("old name: err = %v", err)
	}
	if def, _ := e.service().DefaultProfile(); def != "github" {
		t.Fatalf("default after rename = %q", def)
	}
}

func TestWrongKeyIsReportedAsSuch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "a", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetStaticToken(ctx, "a", "secret-a", time.Time{}); err != nil {
		t.Fatal(err)
	}
	other, _ := seal.NewKey()
	e.key = other.String()
	_, err := e.service().Token(ctx, "a", record.Options{})
	if err == nil || !strings.Contains(err.Error(), "does not match this database") || strings.Contains(err.Error(), "secret-a") {
		t.Fatalf("err = %v, want a key mismatch message", err)
	}
}

// oauthEnv is an env with an OAuth profile "api" logged in at a real
// (in-process fosite) authorization server through the browser flow.
func oauthEnv(t *testing.T, opts authserver.Options) (*env, *authserver.Server) {
	t.Helper()
	ctx := context.Background()
	srv := authserver.New(t, opts)
	srv.AddClient(authserver.Client{ID: "tok-cli"})
	e := newEnv(t)
	svc := e.service()
	hc, _ := oauth.NewHTTPClient("", 5*time.Second)
	eps, err := oauth.Discover(ctx, hc, srv.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	p := Profile{
		Profile: record.Profile{Name: "api", Type: record.OAuth},
		OAuth: &OAuthConfig{
			Issuer: srv.Issuer(), Endpoints: eps, ClientID: "tok-cli", Scopes: []string{"openid", "offline_access"},
		}}
	if err := svc.AddProfile(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	ui := oauth.UI{Out: io.Discard, OpenBrowser: approveInBackground}
	if _, err := svc.Login(ctx, "api", LoginOptions{UI: ui, Flow: record.FlowBrowser}); err != nil {
		t.Fatal(err)
	}
	return e, srv
}

// approveInBackground plays the person in the browser: it follows the
// authorization URL to the loopback redirect.
func approveInBackground(u string) error {
	go func() {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

func TestRefreshSingleFlight(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{AccessTokenTTL: time.Hour})
	first, err := e.service().Token(ctx, "api", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Counts().RefreshToken; n != 0 {
		t.Fatalf("fresh token caused %d refreshes", n)
	}
	// Inside the refresh margin: every caller must get the one new token.
	e.clock.Advance(time.Hour - 30*time.Second)
	const callers = 20
	results := make(chan string, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cred, err := e.service().Token(ctx, "api", record.Options{})
			if err != nil {
				errs <- err
				return
			}
			results <- cred.Token
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatalf("caller failed: %v", err)
	}
	var tokens []string
	for tok := range results {
		tokens = append(tokens, tok)
	}
	for _, tok := range tokens {
		if tok != tokens[0] || tok == first.Token {
			t.Fatalf("callers got different or old tokens")
		}
	}
	if n := srv.Counts().RefreshToken; n != 1 {
		t.Fatalf("server saw %d refresh requests, want exactly 1", n)
	}
	if !srv.Introspect(tokens[0]) {
		t.Fatal("the new access token is not active at the server")
	}
}

func TestForcedRefreshRotates(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{})
	before, _ := e.service().Token(ctx, "api", record.Options{})
	cred, err := e.service().Refresh(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if cred.Token == before.Token || srv.Counts().RefreshToken != 1 {
		t.Fatalf("forced refresh did not renew (refreshes: %d)", srv.Counts().RefreshToken)
	}
	if srv.Introspect(before.Token) && !srv.Introspect(cred.Token) {
		t.Fatal("new token inactive")
	}
	// A second forced refresh uses the rotated refresh token: if tok had
	// kept the old one, the server would answer invalid_grant.
	if _, err := e.service().Refresh(ctx, "api"); err != nil {
		t.Fatalf("second refresh (rotated refresh token): %v", err)
	}
}

func TestRevokedRefreshTokenNeedsLogin(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{})
	svc := e.service()
	if _, err := svc.Revoke(ctx, "api", false); err != nil {
		t.Fatal(err)
	}
	if srv.Counts().Revocation == 0 {
		t.Fatal("revoke did not reach the server")
	}
	if _, err := e.service().Token(ctx, "api", record.Options{}); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("after revoke: err = %v, want ErrLoginRequired", err)
	}

	// Log in again, then revoke at the server behind tok's back: the
	// next refresh gets invalid_grant, tok records the dead grant and says
	// to log in.
	e2, srv2 := oauthEnv(t, authserver.Options{})
	cur, _ := e2.service().Token(ctx, "api", record.Options{})
	st := readState(t, e2, "api")
	rt := unseal(t, e2, "api", "refresh", st.Refresh)
	hc, _ := oauth.NewHTTPClient("", 5*time.Second)
	if err := oauth.Revoke(ctx, oauth.Config{Endpoints: oauth.Endpoints{RevocationURL: srv2.RevocationURL()}, ClientID: "tok-cli", HTTPClient: hc}, rt, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	e2.clock.Advance(2 * time.Hour)
	_, err := e2.service().Token(ctx, "api", record.Options{})
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "tok login -p api") {
		t.Fatalf("err = %v, want login required", err)
	}
	if strings.Contains(err.Error(), rt) || strings.Contains(err.Error(), cur.Token) {
		t.Fatal("error message contains a token")
	}
	after := readState(t, e2, "api")
	if after.Gen != st.Gen+1 || len(after.Refresh) != 0 || after.RefreshRefused.IsZero() || !strings.Contains(after.RefusalReason, "invalid_grant") {
		t.Fatalf("the refused refresh was not recorded: gen %d→%d, refresh token kept %v, refused at %v, reason %q",
			st.Gen, after.Gen, len(after.Refresh) > 0, after.RefreshRefused, after.RefusalReason)
	}
	if string(after.Access) != string(st.Access) || !after.Expiry.Equal(st.Expiry) {
		t.Fatal("recording the refusal lost the access token or its expiry")
	}
	if record.Evaluate((&Profile{Profile: record.Profile{Type: record.OAuth}, OAuth: &OAuthConfig{}}).Policy(), &after, record.K8sAccessToken, e2.clock.Now()) != record.StatusLoginRequired {
		t.Fatal("a dead grant does not evaluate to login required")
	}

	// Later calls fail at once, without a request, whatever they ask.
	before := srv2.Counts()
	for _, call := range []func() error{
		func() error { _, err := e2.service().Token(ctx, "api", record.Options{}); return err },
		func() error { _, err := e2.service().Refresh(ctx, "api"); return err },
		func() error {
			_, err := e2.service().Token(ctx, "api", record.Options{Use: record.K8sIDToken})
			return err
		},
	} {
		if err := call(); !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "refused the refresh token") || !strings.Contains(err.Error(), "tok login -p api") {
			t.Errorf("after the refusal: err = %v, want login required naming the refusal", err)
		}
	}
	if c := srv2.Counts(); c != before {
		t.Fatalf("calls after the refusal contacted the server: %+v → %+v", before, c)
	}

	// A login clears it.
	if _, err := e2.service().Login(ctx, "api", LoginOptions{UI: oauth.UI{Out: io.Discard, OpenBrowser: approveInBackground}, Flow: record.FlowBrowser}); err != nil {
		t.Fatal(err)
	}
	if st := readState(t, e2, "api"); !st.RefreshRefused.IsZero() || len(st.Refresh) == 0 {
		t.Fatal("a login did not clear the refusal")
	}
	if _, err := e2.service().Token(ctx, "api", record.Options{}); err != nil {
		t.Fatalf("after the login: %v", err)
	}
}

func TestServerErrorFallsBackToCurrentToken(t *testing.T) {
	ctx := context.Background()
	e, srv := oauthEnv(t, authserver.Options{AccessTokenTTL: time.Hour})
	cur, _ := e.service().Token(ctx, "api", record.Options{})
	srv.FailTokenRequests(http.StatusInternalServerError)
	e.clock.Advance(time.Hour - 30*time.Second) // stale, not yet expired
	cred, err := e.service().Token(ctx, "api", record.Options{})
	if err != nil || cred.Token != cur.Token {
		t.Fatalf("stale token with failing server: %+v, %v; want the current token", cred, err)
	}
	if len(e.warnings) != 1 || !strings.Contains(e.warnings[0], "could not refresh") {
		t.Fatalf("warnings = %q", e.warnings)
	}
	// A call made with WithWarn warns there, not through Service.Warn.
	var own []string
	if _, err := e.service().Token(WithWarn(ctx, func(msg string) { own = append(own, msg) }), "api", record.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(own) != 1 || !strings.Contains(own[0], "could not refresh") || len(e.warnings) != 1 {
		t.Fatalf("WithWarn got %q, Service.Warn %q", own, e.warnings)
	}
	e.clock.Advance(time.Minute) // now expired
	if _, err := e.service().Token(ctx, "api", record.Options{}); err == nil || errors.Is(err, ErrLoginRequired) {
		t.Fatalf("expired token with failing server: err = %v, want a refresh error", err)
	}
	srv.FailTokenRequests(0)
	if _, err := e.service().Token(ctx, "api", record.Options{}); err != nil {
		t.Fatalf("after the server recovered: %v", err)
	}
}

func readState(t *testing.T, e *env, name string) record.State {
	t.Helper()
	var st record.State
	if err := store.New(e.home).View(func(tx *store.Tx) error { return tx.Get(store.States, name, &st) }); err != nil {
		t.Fatal(err)
	}
	return st
}

func unseal(t *testing.T, e *env, name, field string, b []byte) string {
	t.Helper()
	k, _ := seal.ParseKey(e.key)
	sl, _ := seal.New(k)
	pt, err := sl.Open(b, seal.AD(name, field))
	if err != nil {
		t.Fatal(err)
	}
	return string(pt)
}
