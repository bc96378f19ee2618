package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

const oldRefreshToken = "old-refresh-token-value"

// tokenFaultServer answers every token request with handler and counts them.
func tokenFaultServer(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// Reading the body lets the server notice a client that gives up.
		_ = r.ParseForm()
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func jsonReply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func TestRefreshFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		handler      http.HandlerFunc
		timeout      time.Duration
		invalidGrant bool
		transient    bool
		wantCode     string
		wantCalls    int32
	}{
		{
			name:      "500 with an HTML body",
			handler:   func(w http.ResponseWriter, r *http.Request) { http.Error(w, "<h1>oops</h1>", 500) },
			transient: true, wantCalls: 1,
		},
		{
			name:      "503 server_error",
			handler:   jsonReply(503, `{"error":"server_error"}`),
			transient: true, wantCode: "server_error", wantCalls: 1,
		},
		{
			name:      "429 rate limited",
			handler:   jsonReply(429, `{}`),
			transient: true, wantCalls: 1,
		},
		{
			name:      "temporarily_unavailable",
			handler:   jsonReply(400, `{"error":"temporarily_unavailable"}`),
			transient: true, wantCode: "temporarily_unavailable", wantCalls: 1,
		},
		{
			name: "timeout",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			timeout:   200 * time.Millisecond,
			transient: true, wantCalls: 1,
		},
		{
			name:      "malformed JSON",
			handler:   jsonReply(200, `{"access_token": "abc", `),
			transient: true, wantCalls: 1,
		},
		{
			name:      "huge response",
			handler:   jsonReply(200, `{"access_token":"`+strings.Repeat("a", MaxResponseBytes)+`"}`),
			transient: true, wantCalls: 1,
		},
		{
			name:         "invalid_grant",
			handler:      jsonReply(400, `{"error":"invalid_grant","error_description":"refresh token old-refresh-token-value was revoked"}`),
			invalidGrant: true, wantCode: "invalid_grant", wantCalls: 1,
		},
		{
			name: "invalid_grant form-encoded with 200 (GitHub)",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
				fmt.Fprint(w, "error=bad_refresh_token&error_description=The+refresh+token+passed+is+incorrect+or+expired.")
			},
			invalidGrant: true, wantCode: "bad_refresh_token", wantCalls: 1,
		},
		{
			name:      "unauthorized_client",
			handler:   jsonReply(400, `{"error":"unauthorized_client"}`),
			wantCode:  "unauthorized_client",
			wantCalls: 1,
		},
		{
			name:      "success without access token",
			handler:   jsonReply(200, `{"token_type":"Bearer"}`),
			transient: true, wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := tokenFaultServer(t, tt.handler)
			hc, err := NewHTTPClient("", tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Endpoints: Endpoints{TokenURL: srv.URL}, ClientID: "cli", ClientSecret: confSecret, HTTPClient: hc}
			_, err = Refresh(fixture.Context(t), cfg, oldRefreshToken)
			if err == nil {
				t.Fatal("Refresh succeeded, want an error")
			}
			if IsInvalidGrant(err) != tt.invalidGrant || IsTransient(err) != tt.transient || ErrorCode(err) != tt.wantCode {
				t.Errorf("error %v: IsInvalidGrant=%v IsTransient=%v code=%q; want %v %v %q",
					err, IsInvalidGrant(err), IsTransient(err), ErrorCode(err), tt.invalidGrant, tt.transient, tt.wantCode)
			}
			var oe *Error
			if !errors.As(err, &oe) {
				t.Errorf("error %T is not an *oauth.Error", err)
			}
			assertNoSecret(t, "error", err.Error(), oldRefreshToken, confSecret)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d (a refresh token must not be presented twice)", got, tt.wantCalls)
			}
		})
	}
}

func TestRefreshUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = Refresh(fixture.Context(t), Config{Endpoints: Endpoints{TokenURL: "http://" + addr + "/token"}, ClientID: "cli"}, oldRefreshToken)
	if !IsTransient(err) || IsInvalidGrant(err) {
		t.Fatalf("Refresh against a closed port: error = %v, want transient", err)
	}
}

func TestRefreshResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantRefresh string
		wantScope   string
		wantExpiry  bool
	}{
		{
			name:       "no rotation: refresh token left empty for the caller to keep the old one",
			handler:    jsonReply(200, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`),
			wantExpiry: true,
		},
		{
			name:        "rotation",
			handler:     jsonReply(200, `{"access_token":"at-1","token_type":"Bearer","refresh_token":"rt-2","scope":"a b"}`),
			wantRefresh: "rt-2", wantScope: "a b",
		},
		{
			name: "form-encoded (GitHub)",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
				fmt.Fprint(w, "access_token=at-1&token_type=bearer&scope=repo&refresh_token=ghr_2&expires_in=28800")
			},
			wantRefresh: "ghr_2", wantScope: "repo", wantExpiry: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := tokenFaultServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.PostFormValue("grant_type") != "refresh_token" || r.PostFormValue("refresh_token") != oldRefreshToken {
					t.Errorf("unexpected refresh request form %v", r.PostForm)
				}
				tt.handler(w, r)
			})
			tok, err := Refresh(fixture.Context(t), Config{Endpoints: Endpoints{TokenURL: srv.URL}, ClientID: "cli"}, oldRefreshToken)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if tok.AccessToken != "at-1" || tok.RefreshToken != tt.wantRefresh || tok.Scope != tt.wantScope || tok.Expiry.IsZero() == tt.wantExpiry {
				t.Errorf("token = %+v, want refresh %q scope %q expiry set %v", tok, tt.wantRefresh, tt.wantScope, tt.wantExpiry)
			}
		})
	}
}

// TestClientAuthentication checks how the client authenticates at the token
// endpoint and that only a refused client authentication is retried.
func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		secret     string
		methods    []string
		acceptPost bool // the server refuses Basic with invalid_client
		fixed      ClientAuth
		last       ClientAuth
		wantStyles string
		wantMethod ClientAuth
		wantErr    bool
	}{
		{name: "public client sends client_id in the body", wantStyles: "body-no-secret", wantMethod: ClientAuthNone},
		{name: "confidential client uses Basic first", secret: "p@ss:wörd", wantStyles: "basic", wantMethod: ClientAuthBasic},
		{name: "only client_secret_post listed", secret: "x", methods: []string{"client_secret_post"}, wantStyles: "post", wantMethod: ClientAuthPost},
		{name: "Basic refused, post accepted", secret: "x", acceptPost: true, wantStyles: "basic,post", wantMethod: ClientAuthPost},
		{name: "only Basic listed and refused", secret: "x", methods: []string{"client_secret_basic"}, acceptPost: true, wantStyles: "basic", wantErr: true},
		// Remembered and given methods: one request per grant.
		{name: "post remembered: one request", secret: "x", acceptPost: true, last: ClientAuthPost, wantStyles: "post", wantMethod: ClientAuthPost},
		{name: "remembered post beats a Basic-only discovery", secret: "x", methods: []string{"client_secret_basic"}, acceptPost: true, last: ClientAuthPost, wantStyles: "post", wantMethod: ClientAuthPost},
		{name: "remembered Basic refused after a registration change: post follows", secret: "x", acceptPost: true, last: ClientAuthBasic, wantStyles: "basic,post", wantMethod: ClientAuthPost},
		{name: "post given", secret: "x", acceptPost: true, fixed: ClientAuthPost, wantStyles: "post", wantMethod: ClientAuthPost},
		{name: "Basic given and refused: no second try", secret: "x", acceptPost: true, fixed: ClientAuthBasic, wantStyles: "basic", wantErr: true},
		{name: "none given", fixed: ClientAuthNone, wantStyles: "body-no-secret", wantMethod: ClientAuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var styles []string
			srv, _ := tokenFaultServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				_ = r.ParseForm()
				user, pass, basic := r.BasicAuth()
				switch {
				case basic:
					styles = append(styles, "basic")
					if user != "cli" || pass != url.QueryEscape(tt.secret) {
						t.Errorf("Basic credentials %q:%q, want form-encoded client ID and secret", user, pass)
					}
					if tt.acceptPost {
						jsonReply(401, `{"error":"invalid_client"}`)(w, r)
						return
					}
				case r.PostForm.Get("client_secret") != "":
					styles = append(styles, "post")
				default:
					styles = append(styles, "body-no-secret")
				}
				if !basic && r.PostForm.Get("client_id") != "cli" {
					t.Errorf("client_id missing from the body")
				}
				jsonReply(200, `{"access_token":"at","token_type":"Bearer"}`)(w, r)
			})
			cfg := Config{Endpoints: Endpoints{TokenURL: srv.URL, TokenAuthMethods: tt.methods}, ClientID: "cli", ClientSecret: tt.secret,
				ClientAuth: tt.fixed, LastClientAuth: tt.last}
			tok, err := ClientCredentials(fixture.Context(t), cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ClientCredentials error = %v, want error %v", err, tt.wantErr)
			}
			if tok.ClientAuth != tt.wantMethod {
				t.Errorf("Token.ClientAuth = %q, want %q", tok.ClientAuth, tt.wantMethod)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := strings.Join(styles, ","); got != tt.wantStyles {
				t.Errorf("authentication styles = %s, want %s", got, tt.wantStyles)
			}
		})
	}
}

func TestDirectGrantParameters(t *testing.T) {
	t.Parallel()
	srv, _ := tokenFaultServer(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := r.PostForm
		if f.Get("grant_type") != "password" || f.Get("username") != "ann" || f.Get("password") != "pw" ||
			f.Get("scope") != "a b" || f.Get("audience") != "https://api.example" ||
			strings.Join(f["resource"], " ") != "https://r1.example https://r2.example" {
			t.Errorf("unexpected password grant form %v", f)
		}
		jsonReply(200, `{"access_token":"at","token_type":"Bearer"}`)(w, r)
	})
	cfg := Config{
		Endpoints: Endpoints{TokenURL: srv.URL}, ClientID: "cli", Scopes: []string{"a", "b"},
		Audience: "https://api.example", Resources: []string{"https://r1.example", "https://r2.example"},
	}
	if _, err := Password(fixture.Context(t), cfg, "ann", "pw"); err != nil {
		t.Fatalf("Password: %v", err)
	}
}

// TestIsGrantNotAllowed: how providers say a client may not use a grant
// (the device grant is off per client in Keycloak by default).
func TestIsGrantNotAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"Keycloak", &Error{Code: "unauthorized_client", Description: "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.", Status: 400}, true},
		{"oidc-provider", &Error{Code: "invalid_request", Description: "urn:ietf:params:oauth:grant-type:device_code is not allowed for this client", Status: 400}, true},
		{"another invalid_request", &Error{Code: "invalid_request", Description: "missing required parameter 'client_id'", Status: 400}, false},
		{"invalid_grant", &Error{Code: "invalid_grant", Status: 400}, false},
		{"no answer", errors.New("connection refused"), false},
	} {
		if got := IsGrantNotAllowed(tc.err); got != tc.want {
			t.Errorf("%s: IsGrantNotAllowed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
