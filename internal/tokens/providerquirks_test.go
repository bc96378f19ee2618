package tokens

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
)

// TestEntraErrorsMadeReadable emulates Microsoft Entra ID's token endpoint,
// whose error descriptions start with an AADSTS code: tok adds what the
// code means and what to do.
func TestEntraErrorsMadeReadable(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, body string
		status     int
		flow       record.Flow
		refresh    bool
		want       []string
		login      bool
	}{
		{"expired refresh token", `{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-01-01 and was inactive for 90.00:00:00. Trace ID: 1 Correlation ID: 2"}`,
			400, record.FlowBrowser, true, []string{"AADSTS700082", "90 days without use", "tok login -p work"}, true},
		{"confidential app without secret", `{"error":"invalid_client","error_description":"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}`,
			401, record.FlowClientCredentials, false, []string{"AADSTS7000218", "allow public client flows"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer fake.Close()
			e := newEnv(t)
			svc := e.service()
			p := Profile{Profile: record.Profile{Name: "work", Type: record.OAuth}, OAuth: &OAuthConfig{OAuthSettings: record.OAuthSettings{Flow: tc.flow}, ClientID: "app", Provider: "entra", ExplicitEndpoints: true}}
			p.OAuth.Endpoints.TokenURL = fake.URL + "/token"
			secret := ""
			if tc.flow == record.FlowClientCredentials {
				secret = "s"
			}
			if err := svc.AddProfile(ctx, p, secret); err != nil {
				t.Fatal(err)
			}
			if tc.refresh {
				putExpiredState(t, e, "work")
			}
			_, err := e.service().Token(ctx, "work", record.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if errors.Is(err, ErrLoginRequired) != tc.login {
				t.Errorf("login required = %v, want %v", errors.Is(err, ErrLoginRequired), tc.login)
			}
		})
	}
}

// putExpiredState stores an expired access token with a refresh token for
// profile name, as a login an hour ago would have.
func putExpiredState(t *testing.T, e *env, name string) {
	t.Helper()
	svc := e.service()
	now := e.clock.Now()
	st, err := svc.seal(context.Background(), name, pendingState{
		tok: oauth.Token{AccessToken: "old-access", RefreshToken: "old-refresh", TokenType: "Bearer", Expiry: now.Add(-time.Minute)},
		now: now.Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Gen = 1
	if err := svc.Store.Update(func(tx *store.Tx) error { return tx.Put(store.States, name, st) }); err != nil {
		t.Fatal(err)
	}
}
