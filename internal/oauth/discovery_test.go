package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	for _, rfc8414Only := range []bool{false, true} {
		t.Run(fmt.Sprintf("rfc8414 only %v", rfc8414Only), func(t *testing.T) {
			t.Parallel()
			srv := newProvider(t, authserver.Options{RFC8414Only: rfc8414Only})
			ep, err := Discover(fixture.Context(t), nil, srv.Issuer())
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			want := Endpoints{
				Issuer:             srv.Issuer(),
				AuthURL:            srv.AuthURL(),
				TokenURL:           srv.TokenURL(),
				RevocationURL:      srv.RevocationURL(),
				JWKSURL:            srv.JWKSURL(),
				TokenAuthMethods:   []string{"client_secret_basic", "client_secret_post", "none"},
				IDTokenSigningAlgs: []string{"RS256"},
				ScopesSupported:    []string{"openid", "offline_access", "offline", "profile", "email"},
				GrantTypes:         []string{"authorization_code", "refresh_token", "client_credentials", "password"},
			}
			if fmt.Sprint(ep) != fmt.Sprint(want) {
				t.Errorf("Discover = %+v\nwant       %+v", ep, want)
			}
			wantRequests := 1
			if rfc8414Only {
				wantRequests = 2
			}
			if got := srv.Counts().Discovery; got != wantRequests {
				t.Errorf("server saw %d discovery requests, want %d", got, wantRequests)
			}
		})
	}
}

// metadataServer serves a discovery document made by doc(issuer) at the
// well-known paths that ok accepts, 404 elsewhere.
func metadataServer(t *testing.T, ok func(path string) bool, doc func(issuer string) string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ok(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoverIssuerWithPath(t *testing.T) {
	t.Parallel()
	// RFC 8414 puts the well-known segment before the issuer's path.
	srv := metadataServer(t,
		func(p string) bool { return p == "/.well-known/oauth-authorization-server/tenant/a" },
		func(base string) string {
			return fmt.Sprintf(`{"issuer":%q,"token_endpoint":%q}`, base+"/tenant/a", base+"/tenant/a/token")
		})
	ep, err := Discover(fixture.Context(t), nil, srv.URL+"/tenant/a")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if ep.TokenURL != srv.URL+"/tenant/a/token" {
		t.Errorf("token endpoint = %q", ep.TokenURL)
	}
}

func TestDiscoverTrailingSlash(t *testing.T) {
	t.Parallel()
	srv := metadataServer(t,
		func(p string) bool { return p == "/.well-known/openid-configuration" },
		func(base string) string { return fmt.Sprintf(`{"issuer":%q,"token_endpoint":%q}`, base, base+"/token") })
	ep, err := Discover(fixture.Context(t), nil, srv.URL+"/")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if ep.Issuer != srv.URL {
		t.Errorf("issuer = %q, want the provider's spelling %q", ep.Issuer, srv.URL)
	}
}

func TestDiscoverFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		timeout   time.Duration
		wantText  string
		transient bool
	}{
		{
			name: "issuer mismatch",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}`)
			},
			wantText: `names issuer "https://evil.example"`,
		},
		{
			name: "server error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			},
			wantText:  "HTTP 500",
			transient: true,
		},
		{
			name: "malformed JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"issuer": `)
			},
			wantText:  "not valid JSON",
			transient: true,
		},
		{
			name: "huge document",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"x":"`+strings.Repeat("a", 2*MaxResponseBytes)+`"}`)
			},
			wantText:  "larger than 512 KiB",
			transient: true,
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
			wantText:  "discovery at",
			transient: true,
		},
		{
			name:     "nothing at any well-known location",
			handler:  http.NotFound,
			wantText: "no discovery document",
		},
		{
			name: "no token endpoint",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"issuer":"http://%s"}`, r.Host)
			},
			wantText: "no token_endpoint",
		},
		{
			name: "plain http endpoint on another host",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"issuer":"http://%s","token_endpoint":"http://idp.example/token"}`, r.Host)
			},
			wantText: "uses http on a non-loopback host",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			hc, err := NewHTTPClient("", tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Discover(fixture.Context(t), hc, srv.URL)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Discover error = %v, want it to mention %q", err, tt.wantText)
			}
			if IsTransient(err) != tt.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
		})
	}
}

func TestDiscoverRefusesInsecureIssuer(t *testing.T) {
	t.Parallel()
	_, err := Discover(fixture.Context(t), &http.Client{Transport: failingTransport{t}}, "http://idp.example")
	if err == nil || !strings.Contains(err.Error(), "use https") {
		t.Fatalf("Discover error = %v, want an https requirement", err)
	}
	if IsTransient(err) {
		t.Error("an insecure issuer must not count as transient")
	}
}

// failingTransport fails the test when any request is made.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no requests expected")
}

func TestValidateIssuerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://idp.example", true},
		{"https://idp.example/realms/tok", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.1.2.3", true},
		{"http://[::1]:9000/x", true},
		{"http://localhost:3000", true},
		{"http://LOCALHOST", true},
		{"http://idp.example", false},
		{"http://10.0.0.1", false},
		{"http://localhost.evil.example", false},
		{"ftp://idp.example", false},
		{"idp.example", false},
		{"https://", false},
		{"https://idp.example?x=1", false},
		{"https://idp.example#frag", false},
		{"https://user:pass@idp.example", false},
		{"", false},
	}
	for _, tt := range tests {
		err := ValidateIssuerURL(tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateIssuerURL(%q) = %v, want ok=%v", tt.raw, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "pass") {
			t.Errorf("error repeats credentials: %v", err)
		}
	}
}
