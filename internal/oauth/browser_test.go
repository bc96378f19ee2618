package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

func TestLoginBrowser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tls      bool
		clientID string
		secret   string
	}{
		{name: "public client", clientID: publicClient},
		{name: "confidential client", clientID: confClient, secret: confSecret},
		{name: "public client over TLS with a CA file", tls: true, clientID: publicClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newProvider(t, authserver.Options{TLS: tt.tls})
			cfg := configFor(t, srv, tt.clientID, tt.secret, "openid", "offline_access")
			b := newBrowser(t, srv.HTTPClient())

			tok, err := LoginBrowser(fixture.Context(t), cfg, b.ui())
			if err != nil {
				t.Fatalf("LoginBrowser: %v", err)
			}
			status, page := b.result()
			if status != http.StatusOK || !strings.Contains(page, "Signed in") {
				t.Errorf("browser ended on HTTP %d %q, want the success page", status, page)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
				t.Fatalf("token lacks access, refresh or ID token: %+v", tok)
			}
			if !srv.Introspect(tok.AccessToken) || !srv.Introspect(tok.RefreshToken) {
				t.Error("server does not consider the new tokens active")
			}
			if tok.Expiry.IsZero() || tok.IDTokenExpiry.IsZero() {
				t.Errorf("expiry %v, ID token expiry %v; want both set", tok.Expiry, tok.IDTokenExpiry)
			}
			if !strings.Contains(tok.Scope, "openid") {
				t.Errorf("scope %q, want openid granted", tok.Scope)
			}
			if got := srv.Counts().AuthorizationCode; got != 1 {
				t.Errorf("server saw %d code exchanges, want 1", got)
			}
			printed := b.out.String()
			if !strings.Contains(printed, cfg.AuthURL) || !strings.Contains(printed, "code_challenge_method=S256") {
				t.Errorf("UI output does not show the authorization URL with PKCE: %q", printed)
			}
			assertNoSecret(t, "UI output", printed, tok.AccessToken, tok.RefreshToken, confSecret)
		})
	}
}

func TestLoginBrowserAuthorizationURL(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Endpoints:  Endpoints{AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token"},
		ClientID:   "cli",
		Scopes:     []string{"openid", "email"},
		Audience:   "https://api.example",
		Resources:  []string{"https://a.example", "https://b.example"},
		AuthParams: map[string]string{"prompt": "login", "login_hint": "ann@example.com"},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen *url.URL
	ui := UI{OpenBrowser: func(raw string) error {
		defer cancel() // nobody will sign in; end the login
		seen = followStart(t, raw)
		return nil
	}}
	_, err := LoginBrowser(ctx, cfg, ui)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LoginBrowser error = %v, want context.Canceled", err)
	}
	q := seen.Query()
	want := map[string]string{
		"response_type": "code", "client_id": "cli", "scope": "openid email",
		"code_challenge_method": "S256", "audience": "https://api.example",
		"prompt": "login", "login_hint": "ann@example.com",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 20 {
			t.Errorf("parameter %s = %q, want a random value", k, q.Get(k))
		}
	}
	if got := q["resource"]; len(got) != 2 || got[0] != "https://a.example" || got[1] != "https://b.example" {
		t.Errorf("resource parameters = %q, want both resources", got)
	}
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Path != DefaultRedirectPath {
		t.Errorf("redirect_uri = %s, want http://127.0.0.1:PORT%s", redirect, DefaultRedirectPath)
	}

	cfg.AuthParams = map[string]string{"state": "fixed"}
	if _, err := LoginBrowser(context.Background(), cfg, UI{}); err == nil || !strings.Contains(err.Error(), `"state"`) {
		t.Errorf("overriding state via AuthParams: error = %v, want a refusal", err)
	}
}

func TestLoginBrowserDenied(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	srv.SetDeny(true)
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, nil)

	_, err := LoginBrowser(fixture.Context(t), cfg, b.ui())
	if ErrorCode(err) != "access_denied" {
		t.Fatalf("LoginBrowser error = %v, want access_denied", err)
	}
	if IsTransient(err) {
		t.Error("a denial must not count as transient")
	}
	if status, page := b.result(); status != http.StatusBadRequest || !strings.Contains(page, "<title>Sign-in failed") || !strings.Contains(page, "denied access") {
		t.Errorf("browser ended on HTTP %d %q, want the failure page saying access was denied", status, page)
	}
	if n := srv.Counts().TokenRequests(); n != 0 {
		t.Errorf("server saw %d token requests after a denial, want 0", n)
	}
}

func TestLoginBrowserIgnoresWrongState(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, nil)
	var logs syncBuffer
	ui := b.ui()
	ui.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ui.OpenBrowser = func(raw string) error {
		// Another local program sends the listener a response of its own
		// first: a forged code with a made-up state.
		start, _ := url.Parse(raw)
		forged := "http://" + start.Host + DefaultRedirectPath + "?code=forged-code&state=not-the-state"
		status, page := get(t, forged)
		if status != http.StatusBadRequest || !strings.Contains(page, "still waiting") {
			t.Errorf("forged response answered HTTP %d %q, want 400 saying the login still waits", status, page)
		}
		// The real browser then signs in as usual.
		return b.open(raw)
	}
	tok, err := LoginBrowser(fixture.Context(t), cfg, ui)
	if err != nil {
		t.Fatalf("LoginBrowser after a forged response: %v, want the real login to succeed", err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	if status, page := b.result(); status != http.StatusOK || !strings.Contains(page, "Signed in") {
		t.Errorf("browser ended on HTTP %d %q, want the success page", status, page)
	}
	if n := srv.Counts().AuthorizationCode; n != 1 {
		t.Errorf("server saw %d code exchanges, want only the real one", n)
	}
	if !strings.Contains(logs.String(), "wrong state") {
		t.Errorf("the ignored response was not logged: %q", logs.String())
	}
}

func TestLoginBrowserListensOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, nil)
	ui := b.ui()
	ui.OpenBrowser = func(raw string) error {
		start, _ := url.Parse(raw)
		redirect := &url.URL{Scheme: "http", Host: start.Host, Path: DefaultRedirectPath}
		if redirect.Hostname() != "127.0.0.1" {
			t.Errorf("redirect host = %q, want 127.0.0.1", redirect.Hostname())
		}
		// Every other address of this machine must refuse the port.
		for _, ip := range otherLocalIPs(t) {
			addr := net.JoinHostPort(ip, redirect.Port())
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Errorf("the loopback listener also accepts connections on %s", addr)
			}
		}
		// A request naming another host (DNS rebinding) is not served.
		req, _ := http.NewRequest(http.MethodGet, redirect.String()+"?state=x&code=y", nil)
		req.Host = "evil.example:" + redirect.Port()
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("request with a foreign Host header: %v %v, want 404", resp, err)
		} else {
			resp.Body.Close()
		}
		return b.open(raw)
	}
	if _, err := LoginBrowser(fixture.Context(t), cfg, ui); err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
}

// otherLocalIPs lists this machine's addresses outside 127.0.0.0/8.
func otherLocalIPs(t *testing.T) []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("list interface addresses: %v", err)
	}
	var ips []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ips = append(ips, n.IP.String())
		}
	}
	return append(ips, "::1")
}

func TestLoginBrowserPortInUse(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	cfg := Config{
		Endpoints:    Endpoints{AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token"},
		ClientID:     "cli",
		RedirectPort: port,
	}
	_, err = LoginBrowser(context.Background(), cfg, UI{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d", port)) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("LoginBrowser error = %v, want a clear port-in-use error", err)
	}
}

func TestLoginBrowserFixedPort(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.RedirectPort = free.Addr().(*net.TCPAddr).Port
	free.Close()
	b := newBrowser(t, nil)
	if _, err := LoginBrowser(fixture.Context(t), cfg, b.ui()); err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
	b.result()
	if want := fmt.Sprintf("redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A%d%%2Fcallback", cfg.RedirectPort); !strings.Contains(b.authURL(), want) {
		t.Errorf("authorization URL %s does not use the fixed port", b.authURL())
	}
}

func TestLoginBrowserTimesOut(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Endpoints: Endpoints{AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token"},
		ClientID:  "cli",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out strings.Builder
	_, err := LoginBrowser(ctx, cfg, UI{Out: &out, NoBrowser: true, OpenBrowser: func(string) error {
		t.Error("the browser was opened despite NoBrowser")
		return nil
	}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LoginBrowser error = %v, want the deadline", err)
	}
	if !strings.Contains(out.String(), "https://idp.example/authorize?") {
		t.Errorf("the URL was not printed: %q", out.String())
	}
}
