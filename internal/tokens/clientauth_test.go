package tokens

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// postOnlyEnv is an env with a confidential client registered for
// client_secret_post only, at a server whose discovery lists Basic too
// (issue 12: every renewal paid a refused Basic request first).
func postOnlyEnv(t *testing.T, flow record.Flow, clientAuth oauth.ClientAuth) (*env, *authserver.Server) {
	t.Helper()
	ctx := context.Background()
	srv := authserver.New(t, authserver.Options{AccessTokenTTL: shortTTL})
	srv.AddClient(authserver.Client{ID: "conf", Secret: "conf-secret", TokenEndpointAuthMethod: "client_secret_post"})
	e := newEnv(t)
	hc, _ := oauth.NewHTTPClient("", 5*time.Second)
	eps, err := oauth.Discover(ctx, hc, srv.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	p := Profile{
		Profile: record.Profile{Name: "api", Type: record.OAuth},
		OAuth: &OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: flow},
			Issuer:        srv.Issuer(), Endpoints: eps, ClientID: "conf", Scopes: []string{"openid", "offline_access"}, ClientAuth: clientAuth}}
	if err := e.service().AddProfile(ctx, p, "conf-secret"); err != nil {
		t.Fatal(err)
	}
	return e, srv
}

func TestClientAuthLearnedOnce(t *testing.T) {
	ctx := context.Background()
	t.Run("client credentials", func(t *testing.T) {
		e, srv := postOnlyEnv(t, record.FlowClientCredentials, "")
		if _, err := e.service().Token(ctx, "api", record.Options{}); err != nil {
			t.Fatal(err)
		}
		if n := srv.Counts().ClientCredentials; n != 2 {
			t.Fatalf("first request: %d token requests, want 2 (Basic refused, then the body)", n)
		}
		p, err := e.service().Profile("api")
		if err != nil || p.OAuth.ClientAuthSeen != oauth.ClientAuthPost || p.OAuth.ClientAuth != "" {
			t.Fatalf("profile after the first request: seen %q, set %q, err %v; want post learned", p.OAuth.ClientAuthSeen, p.OAuth.ClientAuth, err)
		}
		for i := 0; i < 3; i++ {
			e.clock.Advance(shortTTL)
			srv.ResetCounts()
			if _, err := e.service().Token(ctx, "api", record.Options{}); err != nil {
				t.Fatal(err)
			}
			if n := srv.Counts().ClientCredentials; n != 1 {
				t.Fatalf("renewal %d: %d token requests, want 1", i, n)
			}
		}
	})
	t.Run("refresh token", func(t *testing.T) {
		e, srv := postOnlyEnv(t, record.FlowBrowser, "")
		ui := oauth.UI{Out: io.Discard, OpenBrowser: approveInBackground}
		if _, err := e.service().Login(ctx, "api", LoginOptions{UI: ui, Flow: record.FlowBrowser}); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.service().Profile("api"); p.OAuth.ClientAuthSeen != oauth.ClientAuthPost {
			t.Fatalf("login did not remember post (seen %q)", p.OAuth.ClientAuthSeen)
		}
		for i := 0; i < 3; i++ {
			e.clock.Advance(shortTTL)
			srv.ResetCounts()
			if _, err := e.service().Token(ctx, "api", record.Options{}); err != nil {
				t.Fatal(err)
			}
			// One request: the refresh token is presented once.
			if c := srv.Counts(); c.RefreshToken != 1 || c.TokenRequests() != 1 {
				t.Fatalf("renewal %d: %d refresh requests (%d token requests), want 1", i, c.RefreshToken, c.TokenRequests())
			}
		}
	})
}

func TestClientAuthGiven(t *testing.T) {
	ctx := context.Background()
	e, srv := postOnlyEnv(t, record.FlowClientCredentials, oauth.ClientAuthPost)
	if _, err := e.service().Token(ctx, "api", record.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Counts().ClientCredentials; n != 1 {
		t.Fatalf("with --client-auth post: %d token requests, want 1", n)
	}
	// A wrong given method is not second-guessed: one refused request.
	e2, srv2 := postOnlyEnv(t, record.FlowClientCredentials, oauth.ClientAuthBasic)
	if _, err := e2.service().Token(ctx, "api", record.Options{}); oauth.ErrorCode(err) != "invalid_client" {
		t.Fatalf("with --client-auth basic at a post-only client: err = %v, want invalid_client", err)
	}
	if n := srv2.Counts().ClientCredentials; n != 1 {
		t.Fatalf("with --client-auth basic: %d token requests, want 1", n)
	}
}
