package authserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

func setup(t *testing.T) (*authserver.Server, oauth.Config) {
	t.Helper()
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "svc-secret"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ep, err := oauth.Discover(ctx, nil, srv.Issuer())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return srv, oauth.Config{Endpoints: ep, ClientID: "svc", ClientSecret: "svc-secret", Scopes: []string{"offline"}}
}

// TestConcurrentRefreshIsSerialized checks that of many simultaneous
// refreshes with one token exactly one wins, as with a transactional store.
func TestConcurrentRefreshIsSerialized(t *testing.T) {
	t.Parallel()
	srv, cfg := setup(t)
	ctx := context.Background()
	tok, err := oauth.Password(ctx, cfg, authserver.TestUser, authserver.TestPassword)
	if err != nil {
		t.Fatalf("Password: %v", err)
	}
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = oauth.Refresh(ctx, cfg, tok.RefreshToken)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !oauth.IsInvalidGrant(err):
			t.Errorf("a losing refresh failed with %v, want invalid_grant", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d refreshes succeeded, want exactly 1", wins)
	}
	if got := srv.Counts().RefreshToken; got != n {
		t.Errorf("Counts().RefreshToken = %d, want %d", got, n)
	}
}

func TestFailTokenRequests(t *testing.T) {
	t.Parallel()
	srv, cfg := setup(t)
	srv.FailTokenRequests(http.StatusServiceUnavailable)
	_, err := oauth.ClientCredentials(context.Background(), cfg)
	if !oauth.IsTransient(err) {
		t.Fatalf("ClientCredentials during a fault: error = %v, want transient", err)
	}
	srv.FailTokenRequests(0)
	if _, err := oauth.ClientCredentials(context.Background(), cfg); err != nil {
		t.Fatalf("ClientCredentials after the fault: %v", err)
	}
	if got := srv.Counts().ClientCredentials; got != 2 {
		t.Errorf("Counts().ClientCredentials = %d, want 2", got)
	}
	srv.ResetCounts()
	if got := srv.Counts().TokenRequests(); got != 0 {
		t.Errorf("TokenRequests after ResetCounts = %d", got)
	}
}

func TestIntrospectionEndpoint(t *testing.T) {
	t.Parallel()
	srv, cfg := setup(t)
	tok, err := oauth.ClientCredentials(context.Background(), cfg)
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	introspect := func() bool {
		req, _ := http.NewRequest(http.MethodPost, srv.IntrospectionURL(), strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", "svc-secret")
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatalf("introspect: %v", err)
		}
		defer resp.Body.Close()
		var body struct {
			Active bool `json:"active"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("decode introspection: %v", err)
		}
		return body.Active
	}
	if !introspect() {
		t.Error("a fresh access token introspects inactive")
	}
	if err := oauth.Revoke(context.Background(), cfg, tok.AccessToken, "access_token"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if introspect() || srv.Introspect(tok.AccessToken) {
		t.Error("a revoked access token introspects active")
	}
}

func TestAuthorizeRequiresPKCE(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "cli"})
	q := url.Values{
		"response_type": {"code"}, "client_id": {"cli"}, "scope": {"openid"},
		"redirect_uri": {"http://127.0.0.1:5555/callback"},
		"state":        {"state-0123456789"}, "nonce": {"nonce-0123456789"},
	}
	client := srv.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(srv.AuthURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("code") != "" {
		t.Errorf("authorization without PKCE redirected to %v, want error=invalid_request", loc)
	}
}
