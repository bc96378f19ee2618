package oauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// startAddress is the only form of address the browser opener may see.
var startAddress = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/start/[A-Z2-7]{26}$`)

// Issue 14, finding 1: the opener's command line is world-readable, so it
// must carry nothing that lets another user finish the login.
func TestLoginBrowserOpenerSeesOnlyTheStartAddress(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, nil)
	var opened string
	ui := b.ui()
	ui.OpenBrowser = func(raw string) error {
		opened = raw
		return b.open(raw)
	}
	tok, err := LoginBrowser(fixture.Context(t), cfg, ui)
	if err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
	if !startAddress.MatchString(opened) {
		t.Errorf("the opener was given %q, want only http://127.0.0.1:PORT/start/RANDOM", opened)
	}
	auth := b.authURL()
	for _, secret := range []string{"state", "nonce", "code_challenge"} {
		v := mustParse(t, auth).Query().Get(secret)
		if v == "" || strings.Contains(opened, v) {
			t.Errorf("%s %q of the authorization URL is missing or reached the opener's argument %q", secret, v, opened)
		}
	}
	if tok.Identity.Subject == "" || tok.Identity.Issuer != cfg.Issuer {
		t.Errorf("identity = %+v, want the ID token's subject at %s", tok.Identity, cfg.Issuer)
	}
	if _, page := b.result(); !strings.Contains(page, tok.Identity.Subject) {
		t.Errorf("the success page does not say who signed in (%s): %q", tok.Identity.Subject, page)
	}
}

// A local attacker who reads the start address and requests it first gets
// the authorization URL; when the real browser then requests it too, the
// login must stop instead of waiting for whichever code arrives.
func TestLoginBrowserStartRequestedTwiceStopsTheLogin(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	pageStatus := make(chan int, 1)
	var page string
	ui := UI{RetryCommand: "tok login -p work", OpenBrowser: func(raw string) error {
		if auth := followStart(t, raw); auth.Query().Get("state") == "" {
			t.Errorf("the first request of the start address led to %s, want the authorization URL", auth)
		}
		go func() {
			var status int
			status, page = get(t, raw) // the victim's browser, second
			pageStatus <- status
		}()
		return nil
	}}
	_, err := LoginBrowser(fixture.Context(t), cfg, ui)
	if !errors.Is(err, errStartReused) {
		t.Fatalf("LoginBrowser error = %v, want the login stopped for a reused start address", err)
	}
	if status := <-pageStatus; status != http.StatusBadRequest || !strings.Contains(page, "Sign-in stopped") || !strings.Contains(page, "tok login -p work") {
		t.Errorf("second request of the start address answered HTTP %d %q, want the stop page with the retry command", status, page)
	}
	if n := srv.Counts().TokenRequests(); n != 0 {
		t.Errorf("server saw %d token requests, want none", n)
	}
}

// Issue 14, finding 2: RFC 9207.
func TestLoginBrowserChecksIssuerOfTheResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		promised  bool                // authorization_response_iss_parameter_supported
		iss       func(string) string // the iss to add; nil adds none
		wantError bool
	}{
		{name: "no iss, none promised", promised: false},
		{name: "no iss although promised", promised: true, wantError: true},
		{name: "right iss, promised", promised: true, iss: func(issuer string) string { return issuer }},
		{name: "wrong iss, none promised", promised: false, iss: func(string) string { return "https://evil.example" }, wantError: true},
		{name: "wrong iss, promised", promised: true, iss: func(string) string { return "https://evil.example" }, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newProvider(t, authserver.Options{})
			cfg := configFor(t, srv, publicClient, "", "openid")
			cfg.IssParameterSupported = tt.promised
			ui := UI{OpenBrowser: func(raw string) error {
				go func() {
					callback := authorizeUntilCallback(t, followStart(t, raw).String())
					q := callback.Query()
					if q.Has("iss") {
						t.Errorf("the test provider sent iss itself; this test expects it to leave it to the test")
					}
					if tt.iss != nil {
						q.Set("iss", tt.iss(cfg.Issuer))
					}
					callback.RawQuery = q.Encode()
					if resp, err := http.Get(callback.String()); err == nil { // on to the result page
						resp.Body.Close()
					}
				}()
				return nil
			}}
			_, err := LoginBrowser(fixture.Context(t), cfg, ui)
			if tt.wantError != errors.Is(err, ErrIssuerMismatch) {
				t.Fatalf("LoginBrowser error = %v, want issuer mismatch: %v", err, tt.wantError)
			}
			if tt.wantError && srv.Counts().TokenRequests() != 0 {
				t.Errorf("the code of a refused response was exchanged")
			}
		})
	}
}

// authorizeUntilCallback follows the provider's pages from authURL and
// returns the redirect to tok's listener without requesting it.
func authorizeUntilCallback(t *testing.T, authURL string) *url.URL {
	t.Helper()
	var callback *url.URL
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() == "127.0.0.1" && req.URL.Path == DefaultRedirectPath {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorization URL: %v", err)
	}
	resp.Body.Close()
	if callback == nil {
		t.Fatalf("the provider answered %s without redirecting to the listener", resp.Status)
	}
	return callback
}

// Issue 15: the callback answers with a redirect to a result address
// without code or state, which keeps answering for KeepResultFor.
func TestLoginBrowserResultAddress(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, nil)
	var lingering sync.WaitGroup
	ui := b.ui()
	ui.Profile = "work"
	ui.KeepResultFor = 2 * time.Second
	ui.Lingering = &lingering
	var final *url.URL
	b.client = &http.Client{Timeout: 10 * time.Second, Transport: lastURL{&final}}
	if _, err := LoginBrowser(fixture.Context(t), cfg, ui); err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
	_, first := b.result()
	if final == nil || !strings.HasPrefix(final.Path, "/result/") || final.RawQuery != "" {
		t.Fatalf("the browser ended on %v, want a clean /result/ address", final)
	}
	status, again := get(t, final.String())
	if status != http.StatusOK || again != first || !strings.Contains(again, "<title>Signed in") || !strings.Contains(again, "work") {
		t.Errorf("reloading the result answered HTTP %d %q, want the same success page naming the profile", status, again)
	}
	lingering.Wait()
	if resp, err := http.Get(final.String()); err == nil {
		resp.Body.Close()
		t.Errorf("the listener still answers after KeepResultFor")
	}
}

// lastURL records the last URL requested through it.
type lastURL struct{ last **url.URL }

func (l lastURL) RoundTrip(req *http.Request) (*http.Response, error) {
	*l.last = req.URL
	return http.DefaultTransport.RoundTrip(req)
}

// Issue 15: the terminal must not say a browser opened when it did not.
func TestLoginBrowserReportsAnOpenerFailure(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Endpoints: Endpoints{AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token"},
		ClientID:  "cli",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out, logs bytes.Buffer
	ui := UI{
		Out:         &out,
		Log:         slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OpenBrowser: func(string) error { return errors.New("xdg-open exited with status 3") },
	}
	_, _ = LoginBrowser(ctx, cfg, ui)
	if s := out.String(); strings.Contains(s, "Opened a browser") || !strings.Contains(s, "Could not open a browser") || !strings.Contains(s, "https://idp.example/authorize?") {
		t.Errorf("output = %q, want an honest failure and the URL", s)
	}
	if !strings.Contains(logs.String(), "exited with status 3") {
		t.Errorf("debug log = %q, want the opener's failure", logs.String())
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
