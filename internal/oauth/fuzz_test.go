package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzResponse is what the fuzzed token endpoint answers next.
type fuzzResponse struct {
	mu          sync.Mutex
	status      int
	contentType string
	body        []byte
}

func (f *fuzzResponse) set(status int, contentType string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.contentType, f.body = status, contentType, body
}

func (f *fuzzResponse) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", f.contentType)
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

// FuzzTokenResponse feeds arbitrary token-endpoint answers (status,
// content type, body) through a real HTTP exchange into the grant code:
// whatever the server says, tok must return a token or an error, never
// panic, never hang, and never put the client secret into an error.
func FuzzTokenResponse(f *testing.F) {
	for _, seed := range []struct {
		status int
		ctype  string
		body   string
	}{
		{200, "application/json", `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt","scope":"a b"}`},
		{200, "application/x-www-form-urlencoded", `access_token=at&token_type=bearer&scope=repo`},
		{200, "application/json", `{"access_token":"at","expires_in":"3600","id_token":"a.b.c"}`},
		{400, "application/json", `{"error":"invalid_grant","error_description":"expired"}`},
		{200, "application/x-www-form-urlencoded", `error=bad_refresh_token`},
		{500, "text/html", `<html>oops</html>`},
		{200, "application/json", `{"access_token":`},
		{200, "application/json", `{"access_token":"","expires_in":-5}`},
		{401, "application/json", `{"error":"invalid_client"}`},
	} {
		f.Add(seed.status, seed.ctype, []byte(seed.body))
	}
	resp := &fuzzResponse{}
	srv := httptest.NewServer(resp)
	f.Cleanup(srv.Close)
	const secret = "fuzz-client-secret-1234"
	hc, err := NewHTTPClient("", 2*time.Second)
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{
		Endpoints:    Endpoints{Issuer: srv.URL, TokenURL: srv.URL + "/token", JWKSURL: srv.URL + "/jwks"},
		ClientID:     "fuzz",
		ClientSecret: secret,
		HTTPClient:   hc,
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		if strings.ContainsAny(contentType, "\r\n\x00") {
			contentType = "application/json"
		}
		resp.set(status, contentType, body)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, grant := range []func() (Token, error){
			func() (Token, error) { return ClientCredentials(ctx, cfg) },
			func() (Token, error) { return Refresh(ctx, cfg, "old-refresh-token") },
		} {
			tok, err := grant()
			if err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error contains the client secret: %v", err)
				}
				continue
			}
			if tok.IDToken != "" {
				t.Fatalf("an unverifiable ID token was handed out: %q", tok.IDToken)
			}
		}
	})
}

// FuzzDiscoveryDocument checks that any JSON a provider publishes is either
// accepted with usable endpoints or refused with an error.
func FuzzDiscoveryDocument(f *testing.F) {
	f.Add(`{"issuer":"https://id.example.com","token_endpoint":"https://id.example.com/token","authorization_endpoint":"https://id.example.com/auth"}`)
	f.Add(`{"issuer":"https://id.example.com/","token_endpoint":"http://evil.example.com/token"}`)
	f.Add(`{"issuer":"https://other.example.com","token_endpoint":"https://id.example.com/token"}`)
	f.Add(`{"token_endpoint":"javascript:alert(1)"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		var ep Endpoints
		if json.Unmarshal([]byte(doc), &ep) != nil {
			return
		}
		got, err := checkMetadata("https://id.example.com", "https://id.example.com/.well-known/openid-configuration", ep)
		if err != nil {
			return
		}
		if got.TokenURL == "" || ValidateEndpointURL(got.TokenURL) != nil {
			t.Fatalf("accepted a document without a usable token endpoint: %+v", got)
		}
		if strings.TrimSuffix(got.Issuer, "/") != "https://id.example.com" {
			t.Fatalf("accepted a document for issuer %q", got.Issuer)
		}
	})
}
