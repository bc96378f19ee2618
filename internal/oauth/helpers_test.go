package oauth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

const (
	publicClient = "tok-cli"
	confClient   = "tok-service"
	confSecret   = "s3cr3t-value-for-tests"
)

// memTransport answers each request with handler in the calling goroutine:
// no listener, no connection. The network is what keeps a synctest bubble
// from ever being idle (a goroutine blocked on a socket is not durably
// blocked), so tests that wait out poll intervals on the bubble's clock
// reach their fake servers through this.
type memTransport struct{ handler http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The handler gets the request as a server would: a body, the
	// request URI and a remote address.
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "192.0.2.1:40000"
	rec := httptest.NewRecorder()
	m.handler.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// newProvider starts authserver with one public and one confidential client.
func newProvider(t *testing.T, opts authserver.Options) *authserver.Server {
	t.Helper()
	srv := authserver.New(t, opts)
	srv.AddClient(authserver.Client{ID: publicClient})
	srv.AddClient(authserver.Client{ID: confClient, Secret: confSecret, Audience: []string{"https://api.example"}})
	return srv
}

// configFor discovers srv and returns a Config for the given client.
func configFor(t *testing.T, srv *authserver.Server, clientID, secret string, scopes ...string) Config {
	t.Helper()
	hc, err := NewHTTPClient(srv.CAFile(), 5*time.Second)
	if err != nil {
		t.Fatalf("NewHTTPClient: %v", err)
	}
	ep, err := Discover(fixture.Context(t), hc, srv.Issuer())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return Config{Endpoints: ep, ClientID: clientID, ClientSecret: secret, Scopes: scopes, HTTPClient: hc}
}

// browser plays the person: it follows the authorization URL with an HTTP
// client, redirects included, and so lands on tok's loopback listener.
type browser struct {
	t      *testing.T
	client *http.Client
	out    bytes.Buffer

	mu      sync.Mutex
	visited []string
	status  int
	page    string
	done    chan struct{}
}

func newBrowser(t *testing.T, client *http.Client) *browser {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &browser{t: t, client: client, done: make(chan struct{})}
}

func (b *browser) ui() UI {
	return UI{Out: &b.out, OpenBrowser: b.open}
}

// open visits url in the background, as a real browser would, and
// records every address of the redirect chain in visited: tok's start
// address, the authorization URL, ...
func (b *browser) open(url string) error {
	client := *b.client
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		b.mu.Lock()
		b.visited = append(b.visited, req.URL.String())
		b.mu.Unlock()
		if len(via) >= 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	go func() {
		defer close(b.done)
		b.mu.Lock()
		b.visited = append(b.visited, url)
		b.mu.Unlock()
		resp, err := client.Get(url)
		if err != nil {
			b.t.Errorf("browser: GET authorization URL: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		b.mu.Lock()
		b.status, b.page = resp.StatusCode, string(body)
		b.mu.Unlock()
	}()
	return nil
}

// result waits for the visit to end and returns the final page.
func (b *browser) result() (int, string) {
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		b.t.Fatal("browser: visit did not finish")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status, b.page
}

// authURL is the authorization URL the browser was sent to from tok's
// start address.
func (b *browser) authURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.visited) < 2 {
		b.t.Fatalf("browser: visited %q, want the start address and the authorization URL", b.visited)
	}
	return b.visited[1]
}

// assertNoSecret fails when s contains any of the secrets.
func assertNoSecret(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%s contains a secret value: %q", what, s)
		}
	}
}

// get requests raw without following redirects and returns the status and
// body.
func get(t *testing.T, raw string) (int, string) {
	t.Helper()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(raw)
	if err != nil {
		t.Errorf("GET %s: %v", raw, err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// followStart requests tok's start address the way a browser does first
// and returns the authorization URL it redirects to.
func followStart(t *testing.T, start string) *url.URL {
	t.Helper()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(start)
	if err != nil {
		t.Fatalf("GET start address: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start address answered %s, want 303 to the authorization URL", resp.Status)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("start address redirects to %q: %v", resp.Header.Get("Location"), err)
	}
	return u
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer = syncbuf.Buffer
