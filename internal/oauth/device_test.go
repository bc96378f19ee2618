package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// fakeDeviceServer is a minimal RFC 8628 endpoint pair: polls are answered
// from a script of token endpoint error codes ("" issues the tokens). It
// serves in memory (see memTransport), so a test that runs LoginDevice in a
// synctest bubble waits out poll intervals and code lifetimes on the
// bubble's clock, and the poll times it records are on that clock too.
type fakeDeviceServer struct {
	handler   http.Handler
	expiresIn int

	mu        sync.Mutex
	script    []string
	polls     []time.Time
	authForms []map[string][]string
}

func newFakeDeviceServer(t *testing.T, expiresIn int, script ...string) *fakeDeviceServer {
	t.Helper()
	d := &fakeDeviceServer{script: script, expiresIn: expiresIn}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		d.mu.Lock()
		d.authForms = append(d.authForms, r.PostForm)
		d.mu.Unlock()
		jsonReply(200, fmt.Sprintf(`{"device_code":"dev-code-123","user_code":"WDJB-MJHT",
			"verification_uri":"https://idp.example/device",
			"verification_uri_complete":"https://idp.example/device?user_code=WDJB-MJHT",
			"expires_in":%d,"interval":1}`, d.expiresIn))(w, r)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" || r.PostForm.Get("device_code") != "dev-code-123" {
			t.Errorf("unexpected poll form %v", r.PostForm)
		}
		d.mu.Lock()
		d.polls = append(d.polls, time.Now())
		next := "authorization_pending"
		if len(d.script) > 0 {
			next, d.script = d.script[0], d.script[1:]
		}
		d.mu.Unlock()
		if next == "" {
			jsonReply(200, `{"access_token":"device-at","token_type":"Bearer","refresh_token":"device-rt","expires_in":600}`)(w, r)
			return
		}
		jsonReply(400, fmt.Sprintf(`{"error":%q}`, next))(w, r)
	})
	d.handler = mux
	return d
}

func (d *fakeDeviceServer) config() Config {
	return Config{
		Endpoints:  Endpoints{DeviceAuthURL: "https://idp.example/device", TokenURL: "https://idp.example/token"},
		ClientID:   "tok-cli",
		Scopes:     []string{"openid", "offline_access"},
		HTTPClient: &http.Client{Transport: memTransport{d.handler}},
	}
}

func (d *fakeDeviceServer) pollTimes() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.polls...)
}

// TestLoginDevice runs on the real clock: the browser opener's start
// address is a real loopback listener, and a goroutine blocked on the
// network keeps a synctest bubble's clock still. TestLoginDevicePolling
// checks the polling on the bubble's clock.
func TestLoginDevice(t *testing.T) {
	t.Parallel()
	d := newFakeDeviceServer(t, 60, "")
	var out strings.Builder
	var opened, sentTo []string
	ui := UI{Out: &out, OpenBrowser: func(u string) error {
		opened = append(opened, u)
		sentTo = append(sentTo, followStart(t, u).String())
		return nil
	}}

	tok, err := LoginDevice(fixture.Context(t), d.config(), ui)
	if err != nil {
		t.Fatalf("LoginDevice: %v", err)
	}
	if tok.AccessToken != "device-at" || tok.RefreshToken != "device-rt" {
		t.Errorf("token = %+v", tok)
	}
	printed := out.String()
	for _, want := range []string{"https://idp.example/device", "WDJB-MJHT", "https://idp.example/device?user_code=WDJB-MJHT"} {
		if !strings.Contains(printed, want) {
			t.Errorf("instructions %q lack %q", printed, want)
		}
	}
	assertNoSecret(t, "instructions", printed, "dev-code-123", "device-at")
	// The opener's command line must not carry the user code: it gets a
	// one-time local address that leads to the complete verification URI.
	if len(opened) != 1 || !startAddress.MatchString(opened[0]) || sentTo[0] != "https://idp.example/device?user_code=WDJB-MJHT" {
		t.Errorf("browser opened %q leading to %q, want a start address leading to the complete verification URI", opened, sentTo)
	}
}

// TestLoginDevicePolling: tok polls once per interval while the person has
// not finished, and not once more after the tokens arrive (a provider
// answers a completed device code by revoking the grant), however long
// it keeps running.
func TestLoginDevicePolling(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		d := newFakeDeviceServer(t, 60, "authorization_pending", "authorization_pending", "")
		start := time.Now()
		tok, err := LoginDevice(t.Context(), d.config(), UI{})
		if err != nil {
			t.Fatalf("LoginDevice: %v", err)
		}
		if tok.AccessToken != "device-at" || tok.RefreshToken != "device-rt" {
			t.Errorf("token = %+v", tok)
		}
		time.Sleep(time.Minute) // any poll left behind would come now
		synctest.Wait()
		polls := d.pollTimes()
		if len(polls) != 3 {
			t.Fatalf("server saw %d polls, want 3: polling must stop once tokens arrive", len(polls))
		}
		for i, at := range polls {
			if want := start.Add(time.Duration(i+1) * time.Second); !at.Equal(want) {
				t.Errorf("poll %d came %s after the start, want %s (the 1s interval)", i+1, at.Sub(start), want.Sub(start))
			}
		}
	})
}

// TestLoginDeviceSlowDown runs in a synctest bubble: the six seconds
// between the polls pass on the bubble's clock, not the machine's.
func TestLoginDeviceSlowDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		d := newFakeDeviceServer(t, 60, "slow_down", "")
		if _, err := LoginDevice(t.Context(), d.config(), UI{}); err != nil {
			t.Fatalf("LoginDevice: %v", err)
		}
		polls := d.pollTimes()
		if len(polls) != 2 {
			t.Fatalf("server saw %d polls, want 2", len(polls))
		}
		// RFC 8628 section 3.5: add 5 seconds to the 1 second interval.
		if gap := polls[1].Sub(polls[0]); gap < 6*time.Second || gap >= 7*time.Second {
			t.Errorf("poll after slow_down came %v after the previous one, want 6s", gap)
		}
	})
}

func TestLoginDeviceFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		expiresIn int
		script    []string
		check     func(err error) bool
	}{
		{"access denied", 60, []string{"authorization_pending", "access_denied"}, func(err error) bool {
			return ErrorCode(err) == "access_denied" && !IsTransient(err)
		}},
		{"expired_token", 60, []string{"expired_token"}, func(err error) bool {
			return errors.Is(err, ErrDeviceCodeExpired) && !IsTransient(err)
		}},
		{"code expires while pending", 1, nil, func(err error) bool {
			return errors.Is(err, ErrDeviceCodeExpired) && !IsTransient(err)
		}},
		{"server error while polling", 60, []string{"server_error"}, func(err error) bool {
			return IsTransient(err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Poll intervals and the code's lifetime pass on the bubble's clock.
			synctest.Test(t, func(t *testing.T) {
				d := newFakeDeviceServer(t, tt.expiresIn, tt.script...)
				_, err := LoginDevice(t.Context(), d.config(), UI{})
				if err == nil || !tt.check(err) {
					t.Fatalf("LoginDevice error = %v (code %q, transient %v)", err, ErrorCode(err), IsTransient(err))
				}
				assertNoSecret(t, "error", err.Error(), "dev-code-123")
			})
		})
	}
}

func TestLoginDeviceConfidentialClient(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		d := newFakeDeviceServer(t, 60, "")
		cfg := d.config()
		cfg.ClientSecret = confSecret
		cfg.Audience = "https://api.example"
		if _, err := LoginDevice(t.Context(), cfg, UI{}); err != nil {
			t.Fatalf("LoginDevice: %v", err)
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		form := d.authForms[0]
		if form["client_id"][0] != "tok-cli" || form["client_secret"][0] != confSecret || form["audience"][0] != "https://api.example" || form["scope"][0] != "openid offline_access" {
			t.Errorf("device authorization form = %v", form)
		}
	})
}

func TestLoginDeviceEndpointFaults(t *testing.T) {
	t.Parallel()
	if _, err := LoginDevice(fixture.Context(t), Config{Endpoints: Endpoints{TokenURL: "https://idp.example/token"}}, UI{}); err == nil ||
		!strings.Contains(err.Error(), "no device authorization endpoint") || IsTransient(err) {
		t.Errorf("LoginDevice without endpoint: error = %v", err)
	}

	srv := httptest.NewServer(jsonReply(503, `{"error":"temporarily_unavailable"}`))
	t.Cleanup(srv.Close)
	cfg := Config{Endpoints: Endpoints{DeviceAuthURL: srv.URL, TokenURL: srv.URL}, ClientID: "cli"}
	if _, err := LoginDevice(fixture.Context(t), cfg, UI{}); !IsTransient(err) {
		t.Errorf("LoginDevice against a 503: error = %v, want transient", err)
	}

	bad := httptest.NewServer(jsonReply(200, `{"device_code":"x"}`))
	t.Cleanup(bad.Close)
	cfg = Config{Endpoints: Endpoints{DeviceAuthURL: bad.URL, TokenURL: bad.URL}, ClientID: "cli"}
	if _, err := LoginDevice(fixture.Context(t), cfg, UI{}); err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("LoginDevice with an incomplete answer: error = %v", err)
	}
}

// Issue 14, finding 1 for the device flow: a second request for the start
// address (someone read it from the opener's command line) stops polling.
func TestLoginDeviceStartRequestedTwiceStopsTheLogin(t *testing.T) {
	t.Parallel()
	d := newFakeDeviceServer(t, 60) // pending forever
	var page string
	ui := UI{OpenBrowser: func(u string) error {
		followStart(t, u) // the attacker, first
		_, page = get(t, u)
		return nil
	}}
	_, err := LoginDevice(fixture.Context(t), d.config(), ui)
	if !errors.Is(err, errStartReused) {
		t.Fatalf("LoginDevice error = %v, want the login stopped for a reused start address", err)
	}
	if !strings.Contains(page, "Sign-in stopped") {
		t.Errorf("the second request got %q, want the stop page", page)
	}
}
