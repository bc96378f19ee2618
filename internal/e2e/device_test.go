//go:build unix

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// The tests in this file run tok against oidc-provider, an OpenID Provider
// independent of tok's own test server: the device flow (which fosite
// lacks), the browser flow through its real login and consent pages, and
// refresh rotation with reuse detection.

// opContext bounds the test's own calls to the provider.
func opContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	t.Cleanup(cancel)
	return ctx
}

func opCounts(t *testing.T, ctx context.Context, p *oidcprovider.Provider) oidcprovider.Counts {
	t.Helper()
	c, err := p.Counts(ctx)
	if err != nil {
		t.Fatalf("reading the provider's counts: %v", err)
	}
	return c
}

func opIntrospect(t *testing.T, ctx context.Context, p *oidcprovider.Provider, token string) bool {
	t.Helper()
	active, err := p.Introspect(ctx, token)
	if err != nil {
		t.Fatalf("introspecting at the provider: %v", err)
	}
	return active
}

func TestOIDCProvider(t *testing.T) {
	t.Parallel()
	const (
		ttl, margin = 3 * time.Second, time.Second
		interval    = time.Second
	)
	p := oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl, DeviceInterval: interval, Rotation: oidcprovider.RotateAlways})
	ctx := opContext(t)
	env := FileKeyEnv(t)

	t.Run("device flow", func(t *testing.T) {
		RunOK(t, env, "", "profile", "add", "dev", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "device",
			"--refresh-margin", margin.String())
		before := opCounts(t, ctx, p)

		w := StartWatched(t, env, "login", "-p", "dev", "--timeout", "15s")
		code := w.WaitStderr(t, userCodeLine)[1]
		if err := p.ApproveDevice(ctx, code); err != nil {
			t.Fatalf("approving user code %q: %v", code, err)
		}
		r := w.Wait(t)
		WantCode(t, r, 0)
		WantStderr(t, r, p.DeviceVerificationURL(), `Logged in to profile "dev"`)
		if r.Stdout != "" {
			t.Errorf("login wrote to stdout: %s", r)
		}

		if st := StatusOf(t, env, "dev"); st.Status != "valid" || !st.Refresh || !st.IDToken {
			t.Errorf("status after the device login = %+v, want valid with refresh and ID tokens", st)
		}
		if tok := tokenOK(t, env, "dev"); !opIntrospect(t, ctx, p, tok) {
			t.Errorf("the token tok printed is not active at the provider")
		}

		after := opCounts(t, ctx, p)
		polls := after.Token[oidcprovider.GrantDeviceCode] - before.Token[oidcprovider.GrantDeviceCode]
		// Polling once per interval while ApproveDevice runs: a handful,
		// not a busy loop.
		if polls < 1 || polls > 6 {
			t.Errorf("tok polled the token endpoint %d times, want a small bounded number", polls)
		}
		if got := after.DeviceAuthorization - before.DeviceAuthorization; got != 1 {
			t.Errorf("tok made %d device authorization requests, want 1", got)
		}
		// A poll after the tokens arrived would present a completed device
		// code, which a provider answers by revoking the grant. The login
		// has exited, so its polls are all counted; that none follows the
		// tokens however long the flow runs is internal/oauth's
		// TestLoginDevicePolling, on synctest's clock.
		refused := after.TokenErrors[oidcprovider.GrantDeviceCode] - before.TokenErrors[oidcprovider.GrantDeviceCode]
		if refused != polls-1 {
			t.Errorf("%d of %d device_code polls were refused; want every one but the last (authorization_pending)", refused, polls)
		}

	})

	t.Run("browser flow gets a refresh token", func(t *testing.T) {
		RunOK(t, env, "", "profile", "add", "web", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser",
			"--refresh-margin", margin.String())
		r := LoginBrowser(t, env, "web", func(authURL string) error {
			_, err := p.Approve(ctx, authURL)
			return err
		})
		WantCode(t, r, 0)
		stored := ReadStoredTokens(t, env, "web")
		// oidc-provider grants offline_access only with prompt=consent,
		// which tok must have added.
		if stored.Refresh == "" || !opIntrospect(t, ctx, p, stored.Refresh) {
			t.Fatalf("the browser login against oidc-provider got no active refresh token")
		}
		if !opIntrospect(t, ctx, p, tokenOK(t, env, "web")) {
			t.Errorf("the token tok printed is not active at the provider")
		}
	})

	t.Run("refresh rotation never reuses a refresh token", func(t *testing.T) {
		before := opCounts(t, ctx, p)
		seen := map[string]bool{}
		for i := range 2 {
			old := ReadStoredTokens(t, env, "web")
			seen[old.Refresh] = true
			makeStale(t, env, "web", margin)
			tok := tokenOK(t, env, "web")
			now := ReadStoredTokens(t, env, "web")
			if tok == old.Access || tok != now.Access {
				t.Fatalf("refresh %d: tok token did not print the refreshed token", i+1)
			}
			if seen[now.Refresh] {
				t.Fatalf("refresh %d: the provider rotates every refresh token, yet tok kept an old one", i+1)
			}
			if opIntrospect(t, ctx, p, old.Refresh) {
				t.Errorf("refresh %d: the replaced refresh token is still active", i+1)
			}
			if !opIntrospect(t, ctx, p, now.Refresh) || !opIntrospect(t, ctx, p, tok) {
				t.Errorf("refresh %d: the new tokens are not active", i+1)
			}
		}
		after := opCounts(t, ctx, p)
		if got := after.Token[oidcprovider.GrantRefreshToken] - before.Token[oidcprovider.GrantRefreshToken]; got != 2 {
			t.Errorf("two refreshes made %d refresh_token requests, want 2", got)
		}
		// Any refused refresh request would be a reused refresh token (which
		// revokes the grant) or a failed client authentication attempt.
		if got := after.TokenErrors[oidcprovider.GrantRefreshToken]; got != 0 {
			t.Errorf("the provider refused %d refresh_token requests, want 0", got)
		}
	})
}
