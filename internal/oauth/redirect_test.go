package oauth

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// recordingServer counts requests and remembers whether any carried the
// client secret or the refresh token.
type recordingServer struct {
	*httptest.Server
	calls      atomic.Int32
	sawSecrets atomic.Bool
}

func newRecordingServer(t *testing.T, handler http.HandlerFunc) *recordingServer {
	t.Helper()
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.calls.Add(1)
		_ = r.ParseForm()
		user, pass, _ := r.BasicAuth()
		if strings.Contains(r.Form.Encode()+user+pass, confSecret) || strings.Contains(r.Form.Encode(), oldRefreshToken) {
			rs.sawSecrets.Store(true)
		}
		handler(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// Issue 14, finding 3: a token endpoint answering 307 got the refresh
// token and the client secret delivered to another host, twice (once per
// client authentication style).
func TestRefreshDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			elsewhere := newRecordingServer(t, jsonReply(401, `{"error":"invalid_client"}`))
			token := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+"/token", status)
			})
			cfg := Config{Endpoints: Endpoints{TokenURL: token.URL + "/token"}, ClientID: confClient, ClientSecret: confSecret}
			_, err := Refresh(fixture.Context(t), cfg, oldRefreshToken)
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Fatalf("Refresh error = %v, want the redirect refused", err)
			}
			if IsTransient(err) {
				t.Errorf("a refused redirect counts as transient; retrying cannot fix it")
			}
			if n := elsewhere.calls.Load(); n != 0 {
				t.Errorf("the redirect target received %d requests", n)
			}
			if n := token.calls.Load(); n != 1 {
				t.Errorf("the token endpoint received %d requests, want 1 (no retry in the other client authentication style)", n)
			}
			assertNoSecret(t, "error", err.Error(), oldRefreshToken, confSecret)
		})
	}
}

// A caller-supplied client may follow redirects; tok must still not send
// the credentials a second time after a redirected answer.
func TestNoAuthStyleFallbackAfterARedirectedAnswer(t *testing.T) {
	t.Parallel()
	elsewhere := newRecordingServer(t, jsonReply(401, `{"error":"invalid_client"}`))
	token := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
	})
	cfg := Config{
		Endpoints: Endpoints{TokenURL: token.URL + "/token"}, ClientID: confClient, ClientSecret: confSecret,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, // follows redirects
	}
	if _, err := Refresh(fixture.Context(t), cfg, oldRefreshToken); err == nil {
		t.Fatal("Refresh succeeded against a server that only redirects")
	}
	if n := elsewhere.calls.Load(); n != 1 {
		t.Errorf("the redirect target received %d requests, want 1: the other client authentication style was tried after a redirected answer", n)
	}
}

func TestRevocationAndDeviceRequestsDoNotFollowRedirects(t *testing.T) {
	t.Parallel()
	elsewhere := newRecordingServer(t, jsonReply(200, `{}`))
	redirector := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	cfg := Config{
		Endpoints: Endpoints{
			TokenURL:      redirector.URL + "/token",
			RevocationURL: redirector.URL + "/revoke",
			DeviceAuthURL: redirector.URL + "/device",
		},
		ClientID: confClient, ClientSecret: confSecret,
	}
	if err := Revoke(fixture.Context(t), cfg, oldRefreshToken, "refresh_token"); err == nil {
		t.Error("Revoke succeeded through a redirect")
	}
	if _, err := LoginDevice(fixture.Context(t), cfg, UI{}); err == nil {
		t.Error("LoginDevice succeeded through a redirect")
	}
	if elsewhere.calls.Load() != 0 || elsewhere.sawSecrets.Load() {
		t.Errorf("the redirect target received %d requests", elsewhere.calls.Load())
	}
}

// Discovery and JWKS are GETs: a redirect within https is followed, one to
// plain http is not.
func TestDiscoveryRedirects(t *testing.T) {
	t.Parallel()
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved/openid-configuration", http.StatusFound)
	})
	mux.HandleFunc("/moved/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":%q}`, issuer, issuer+"/token")
	})
	mux.HandleFunc("/down/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example/.well-known/openid-configuration", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	hc, err := NewHTTPClient(caFile, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Discover(fixture.Context(t), hc, issuer); err != nil {
		t.Errorf("discovery through an https redirect: %v", err)
	}
	_, err = Discover(fixture.Context(t), hc, issuer+"/down")
	if err == nil || !strings.Contains(err.Error(), "not https") {
		t.Errorf("discovery redirected to plain http: %v, want a refusal", err)
	}
}
