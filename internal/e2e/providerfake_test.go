//go:build unix

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
)

// fakeServer is one hand-written authorization server at a path of a
// fakeProviderHost, shaped like a provider's: the provider's endpoint paths
// and the discovery fields it publishes (or leaves out), for the quirks
// tok's presets encode. It issues opaque tokens (no ID token), rotates
// refresh tokens and refuses a refresh token presented twice.
type fakeServer struct {
	host   *fakeProviderHost
	prefix string // the issuer's path: "", "/oauth2/default", "/realms/dev"
	// slash: the issuer ends in "/", as Auth0's does
	slash bool
	// paths of the endpoints under prefix; an empty one is not published
	authorize, token, device, revocation string

	mu         sync.Mutex
	discovery  int
	authorizes []url.Values
	devices    []url.Values
	tokens     []url.Values
	reused     int
	issued     int
	live       map[string]bool // refresh tokens not yet presented
}

func (s *fakeServer) Issuer() string {
	if s.slash {
		return s.host.URL + s.prefix + "/"
	}
	return s.host.URL + s.prefix
}

func (s *fakeServer) endpoint(path string) string {
	if path == "" {
		return ""
	}
	return s.host.URL + s.prefix + path
}

// fakeProviderHost serves fakeServers under their prefixes on one host,
// like Okta's org and custom authorization servers on one domain.
type fakeProviderHost struct {
	*httptest.Server
	mux *http.ServeMux
}

func newFakeProviderHost(t *testing.T) *fakeProviderHost {
	h := &fakeProviderHost{mux: http.NewServeMux()}
	h.Server = httptest.NewServer(h.mux)
	t.Cleanup(h.Close)
	return h
}

// serve publishes s on h.
func (h *fakeProviderHost) serve(s *fakeServer) *fakeServer {
	s.host = h
	s.live = map[string]bool{}
	h.mux.HandleFunc("GET "+s.prefix+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.discovery++
		s.mu.Unlock()
		doc := map[string]any{"issuer": s.Issuer(), "response_types_supported": []string{"code"},
			"code_challenge_methods_supported": []string{"S256"}, "token_endpoint_auth_methods_supported": []string{"none"}}
		grants := []string{"authorization_code", "refresh_token"}
		for field, path := range map[string]string{"authorization_endpoint": s.authorize, "token_endpoint": s.token,
			"device_authorization_endpoint": s.device, "revocation_endpoint": s.revocation} {
			if path != "" {
				doc[field] = s.endpoint(path)
			}
		}
		if s.device != "" {
			grants = append(grants, "urn:ietf:params:oauth:grant-type:device_code")
		}
		doc["grant_types_supported"] = grants
		fakeJSON(w, http.StatusOK, doc)
	})
	h.mux.HandleFunc("GET "+s.prefix+s.authorize, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s.mu.Lock()
		s.authorizes = append(s.authorizes, q)
		s.mu.Unlock()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil || back.Hostname() != "127.0.0.1" {
			http.Error(w, "bad redirect_uri", http.StatusBadRequest)
			return
		}
		v := url.Values{"code": {"code-1"}, "state": {q.Get("state")}}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	if s.device != "" {
		h.mux.HandleFunc("POST "+s.prefix+s.device, func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			s.mu.Lock()
			s.devices = append(s.devices, r.PostForm)
			s.mu.Unlock()
			fakeJSON(w, http.StatusOK, map[string]any{"device_code": "dc-1", "user_code": "GLAB-CODE",
				"verification_uri": s.endpoint("/device"), "expires_in": 300, "interval": 1})
		})
	}
	h.mux.HandleFunc("POST "+s.prefix+s.token, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.tokens = append(s.tokens, r.PostForm)
		switch r.PostForm.Get("grant_type") {
		case "authorization_code", "urn:ietf:params:oauth:grant-type:device_code":
		case "refresh_token":
			rt := r.PostForm.Get("refresh_token")
			if !s.live[rt] {
				s.reused++
				fakeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
				return
			}
			delete(s.live, rt) // rotation: each refresh token works once
		default:
			fakeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
			return
		}
		s.issued++
		rt := fmt.Sprintf("rt-%d", s.issued)
		s.live[rt] = true
		fakeJSON(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("at-%d", s.issued), "token_type": "Bearer",
			"expires_in": 3600, "refresh_token": rt, "scope": r.PostForm.Get("scope")})
	})
	if s.revocation != "" {
		h.mux.HandleFunc("POST "+s.prefix+s.revocation, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	}
	return s
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// lastAuthorize is the query of the last authorization request.
func (s *fakeServer) lastAuthorize(t *testing.T) url.Values {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.authorizes) == 0 {
		t.Fatal("no authorization request reached the fake provider")
	}
	return s.authorizes[len(s.authorizes)-1]
}

// grants lists the grant types of the token requests, in order.
func (s *fakeServer) grants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.tokens {
		out = append(out, v.Get("grant_type"))
	}
	return out
}

// wantNoReuse fails t when a refresh token was presented twice.
func (s *fakeServer) wantNoReuse(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reused != 0 {
		t.Errorf("tok presented a rotated refresh token again %d times", s.reused)
	}
}

// browserLogin logs profile name in through s's authorize endpoint.
func browserLogin(t *testing.T, env Env, name string) {
	t.Helper()
	WantCode(t, LoginBrowser(t, env, name, FollowRedirects(http.DefaultClient)), 0)
}

// wantGrants fails t unless the token requests had exactly these grants.
func wantGrants(t *testing.T, s *fakeServer, want ...string) {
	t.Helper()
	if got := s.grants(); !slices.Equal(got, want) {
		t.Errorf("token requests %q, want %q", got, want)
	}
}
