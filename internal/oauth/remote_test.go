package oauth

import (
	"bytes"
	"context"
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

// syncWriter is a bytes.Buffer safe for the login's writer and the test.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

var remoteURLLine = regexp.MustCompile(`on any machine:\n\n    (\S+)\n`)

// TestLoginBrowserRemotePaste: with UI.Paste no browser is opened here;
// pasted addresses that are not this login's response (not a URL, another
// redirect address, the wrong state) are refused one by one and another
// is asked for; the right one is exchanged once, with PKCE.
func TestLoginBrowserRemotePaste(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid", "offline_access")
	out := &syncWriter{}
	pastes := make(chan string)
	ui := UI{
		Out: out,
		OpenBrowser: func(string) error {
			t.Error("a remote login opened a browser on this machine")
			return nil
		},
		Paste: func(ctx context.Context) (string, error) {
			select {
			case p := <-pastes:
				return p, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	}
	type result struct {
		tok Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := LoginBrowser(fixture.Context(t), cfg, ui)
		done <- result{tok, err}
	}()

	var authURL string
	deadline := time.Now().Add(10 * time.Second)
	for authURL == "" {
		if m := remoteURLLine.FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no authorization URL printed: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The browser elsewhere: sign in and stop where it would load the
	// loopback address.
	client := *srv.HTTPClient()
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() == "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("visiting the authorization URL: %v", err)
	}
	resp.Body.Close()
	redirect := resp.Header.Get("Location")
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") {
		t.Fatalf("the provider answered %s with Location %q, want the loopback redirect", resp.Status, redirect)
	}
	u, _ := url.Parse(redirect)
	otherPort := *u
	otherPort.Host = "127.0.0.1:1"
	wrongState := *u
	q := wrongState.Query()
	q.Set("state", "forged")
	wrongState.RawQuery = q.Encode()

	refusals := []struct{ paste, says string }{
		{"not an address at all", "does not start with the redirect URI"},
		{otherPort.String(), "does not start with the redirect URI"},
		{wrongState.String(), "wrong state"},
	}
	for i, r := range refusals {
		pastes <- r.paste
		for !strings.Contains(out.String(), r.says) || strings.Count(out.String(), "paste the address again") < i+1 {
			if time.Now().After(deadline.Add(10 * time.Second)) {
				t.Fatalf("paste %q: no refusal saying %q: %q", r.paste, r.says, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pastes <- "  " + redirect + "  "
	res := <-done
	if res.err != nil {
		t.Fatalf("LoginBrowser with the right paste: %v", res.err)
	}
	if res.tok.AccessToken == "" || !srv.Introspect(res.tok.AccessToken) {
		t.Fatalf("no active access token: %+v", res.tok)
	}
	if got := srv.Counts().AuthorizationCode; got != 1 {
		t.Errorf("server saw %d code exchanges, want 1", got)
	}
	assertNoSecret(t, "UI output", out.String(), res.tok.AccessToken, res.tok.RefreshToken)
}
