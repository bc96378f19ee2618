package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"
)

// isReservedAuthParam reports whether the browser flow sets parameter k
// itself; letting Config.AuthParams override it would break PKCE, state or
// nonce.
func isReservedAuthParam(k string) bool {
	switch k {
	case "response_type", "client_id", "redirect_uri", "scope",
		"state", "nonce", "code_challenge", "code_challenge_method":
		return true
	}
	return false
}

// LoginBrowser runs the authorization code flow with PKCE (S256) for a native
// app (RFC 7636, RFC 8252): it listens once on 127.0.0.1 (Config.RedirectPort,
// or a free port), prints the authorization URL to ui.Out and opens it in the
// browser when allowed, waits for the redirect, checks state (and iss when the
// provider sends it), exchanges the code and verifies the ID token including
// its nonce. The browser gets a plain success or failure page. ctx bounds the
// whole wait; give it a deadline.
func LoginBrowser(ctx context.Context, cfg Config, ui UI) (Token, error) {
	if cfg.AuthURL == "" {
		return Token{}, configErrorf("the provider has no authorization endpoint; use another flow or set the authorization URL")
	}
	if err := ValidateEndpointURL(cfg.AuthURL); err != nil {
		return Token{}, err
	}
	if err := cfg.requireTokenURL(); err != nil {
		return Token{}, err
	}
	for k := range cfg.AuthParams {
		if isReservedAuthParam(k) {
			return Token{}, configErrorf("authorization parameter %q is set by tok itself and cannot be overridden", k)
		}
	}

	ln, err := listenLoopback(cfg.RedirectPort)
	if err != nil {
		return Token{}, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	l := &loopbackLogin{
		cfg:         cfg,
		hc:          cfg.httpClient(),
		host:        net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		path:        cfg.redirectPath(),
		state:       rand.Text(),
		nonce:       rand.Text(),
		verifier:    oauth2.GenerateVerifier(),
		ctx:         ctx,
		result:      make(chan loginResult, 1),
		redirectURL: fmt.Sprintf("http://127.0.0.1:%d%s", port, cfg.redirectPath()),
	}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Let the last page reach the browser, then stop listening.
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	authURL := l.authCodeURL()
	out := ui.out()
	if ui.open(authURL) {
		fmt.Fprintf(out, "Opened a browser to sign in. If it did not open, visit this URL:\n\n    %s\n\n", authURL)
	} else {
		fmt.Fprintf(out, "To sign in, open this URL in a browser on this machine:\n\n    %s\n\n", authURL)
	}
	if ui.Wait == nil {
		fmt.Fprintf(out, "Waiting for the sign-in to finish (listening on http://%s)...\n", l.host)
	}

	var tok Token
	err = ui.wait(ctx, WaitStatus{Flow: WaitBrowser, URL: authURL}, func(ctx context.Context) error {
		select {
		case r := <-l.result:
			tok = r.token
			return r.err
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for the browser sign-in: %w", ctx.Err())
		}
	})
	if err != nil {
		return Token{}, err
	}
	return tok, nil
}

// listenLoopback listens on 127.0.0.1 only, never on all interfaces, so no
// other machine can deliver (or steal) the authorization response.
func listenLoopback(port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "Only one usage of each socket address") {
		return nil, configErrorf("the redirect port %d on 127.0.0.1 is already in use (another tok login may be running); stop that program or choose another port with --redirect-port (0 picks a free one)", port)
	}
	return nil, fmt.Errorf("could not listen on %s for the sign-in redirect: %w", addr, err)
}

type loginResult struct {
	token Token
	err   error
}

// loopbackLogin is one browser login: the values it sent and the handler
// that receives the redirect.
type loopbackLogin struct {
	cfg         Config
	hc          *http.Client
	host        string // 127.0.0.1:port, the only Host header accepted
	path        string
	redirectURL string
	state       string
	nonce       string
	verifier    string
	ctx         context.Context // the login's context, for the code exchange

	mu     sync.Mutex // serializes callbacks so exactly one decides the result
	done   bool
	result chan loginResult
}

func (l *loopbackLogin) authCodeURL() string {
	oc := l.cfg.oauth2Config(oauth2.AuthStyleAutoDetect)
	oc.RedirectURL = l.redirectURL
	var opts []oauth2.AuthCodeOption
	for k, v := range l.cfg.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	opts = append(opts,
		oauth2.S256ChallengeOption(l.verifier),
		oauth2.SetAuthURLParam("nonce", l.nonce),
	)
	if l.cfg.Audience != "" {
		opts = append(opts, oauth2.SetAuthURLParam("audience", l.cfg.Audience))
	}
	raw := oc.AuthCodeURL(l.state, opts...)
	if len(l.cfg.Resources) == 0 {
		return raw
	}
	// x/oauth2 options hold one value per name; RFC 8707 wants one
	// `resource` parameter per resource.
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q["resource"] = l.cfg.Resources
	u.RawQuery = q.Encode()
	return u.String()
}

func (l *loopbackLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A browser reaches us as 127.0.0.1:port; any other Host is a DNS
	// rebinding attempt or a stray request.
	if r.Host != l.host || r.URL.Path != l.path || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if !q.Has("state") && !q.Has("code") && !q.Has("error") {
		writePage(w, http.StatusBadRequest, "This address receives the sign-in response of tok. Start the sign-in from the terminal.")
		return
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		writePage(w, http.StatusGone, "This sign-in has already finished. Return to the terminal.")
		return
	}
	token, err := l.handleResponse(q)
	l.done = true
	l.result <- loginResult{token: token, err: err}
	if err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed: "+pageReason(err)+" Return to the terminal for details.")
		return
	}
	writePage(w, http.StatusOK, "Signed in. You can close this window and return to the terminal.")
}

var errStateMismatch = errors.New("the sign-in response carried the wrong state, so it did not come from this login; the login was aborted, try again")

func (l *loopbackLogin) handleResponse(q url.Values) (Token, error) {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1 {
		return Token{}, errStateMismatch
	}
	// RFC 9207: a provider that names itself must be the one we asked.
	if iss := q.Get("iss"); iss != "" && l.cfg.Issuer != "" && iss != l.cfg.Issuer {
		return Token{}, fmt.Errorf("the sign-in response came from issuer %q, not %q; the login was aborted", iss, l.cfg.Issuer)
	}
	if code := q.Get("error"); code != "" {
		return Token{}, &Error{
			Op:          "authorization at " + l.cfg.AuthURL,
			Code:        code,
			Description: q.Get("error_description"),
			URI:         q.Get("error_uri"),
		}
	}
	code := q.Get("code")
	if code == "" {
		return Token{}, &Error{Op: "authorization at " + l.cfg.AuthURL, Err: errors.New("the response has neither code nor error")}
	}
	return l.exchange(code)
}

func (l *loopbackLogin) exchange(code string) (Token, error) {
	ctx := withHTTPClient(l.ctx, l.hc)
	op := "code exchange at " + l.cfg.TokenURL
	opts := append([]oauth2.AuthCodeOption{oauth2.VerifierOption(l.verifier)}, l.cfg.audienceOptions()...)
	var tok *oauth2.Token
	err := l.cfg.withAuthFallback(func(style oauth2.AuthStyle) error {
		oc := l.cfg.oauth2Config(style)
		oc.RedirectURL = l.redirectURL
		var err error
		tok, err = oc.Exchange(ctx, code, opts...)
		return err
	})
	if err != nil {
		return Token{}, wrapError(op, err, code, l.verifier, l.cfg.ClientSecret)
	}
	return l.cfg.finish(ctx, l.hc, op, tok, idTokenCheck{nonce: l.nonce})
}

// pageReason is what the failure page says: the OAuth error code at most,
// never a description a provider could fill with markup or detail.
func pageReason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return html.EscapeString(e.Code) + "."
	}
	if errors.Is(err, errStateMismatch) {
		return "the response did not belong to this sign-in."
	}
	return "the sign-in could not be completed."
}

func writePage(w http.ResponseWriter, status int, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<meta charset=\"utf-8\">\n<title>tok sign-in</title>\n<p>%s</p>\n", message)
}
