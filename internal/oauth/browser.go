package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
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
// or a free port), prints the authorization URL to ui.Out and opens the
// browser when allowed, waits for the redirect, checks it with
// CheckAuthResponse, exchanges the code and verifies the ID token including
// its nonce. ctx bounds the whole wait; give it a deadline.
//
// The browser opener never sees the authorization URL: its command line is
// readable by every local user (/proc/PID/cmdline), and whoever holds the
// URL's state can finish the login with their own account (login CSRF). The
// opener gets http://127.0.0.1:PORT/start/RANDOM instead, which redirects
// to the authorization URL once; a second request for it ends the login.
//
// A response with the wrong state is ignored (logged to ui.Log), so a
// stray or forged request cannot end the login; the listener keeps waiting.
// The callback answers with a redirect to a result page on the listener,
// which keeps the code out of the address bar and the history.
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
	state := rand.Text()
	l := &loopbackLogin{
		cfg:         cfg,
		hc:          cfg.httpClient(),
		log:         ui.log(),
		host:        net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		path:        cfg.redirectPath(),
		startPath:   "/start/" + rand.Text(),
		resultPath:  "/result/" + rand.Text(),
		profile:     ui.Profile,
		retry:       ui.RetryCommand,
		nonce:       rand.Text(),
		verifier:    oauth2.GenerateVerifier(),
		ctx:         ctx,
		result:      make(chan loginResult, 1),
		resultShown: make(chan struct{}),
		redirectURL: fmt.Sprintf("http://127.0.0.1:%d%s", port, cfg.redirectPath()),
		check: AuthResponseCheck{
			State:         state,
			Issuer:        cfg.Issuer,
			RequireIssuer: cfg.IssParameterSupported,
			AuthURL:       cfg.AuthURL,
		},
	}
	l.authURL = l.authCodeURL()
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	opened := false
	defer func() { l.stopLater(ctx, srv, ui, opened) }()

	out := ui.out()
	if ui.Paste != nil {
		return l.remote(ctx, ui)
	}
	startURL := "http://" + l.host + l.startPath
	tried, err := ui.open(startURL)
	opened = tried && err == nil
	switch {
	case !tried:
		fmt.Fprintf(out, "To sign in, open this URL in a browser on this machine:\n\n    %s\n\n", l.authURL)
	case err != nil:
		fmt.Fprintf(out, "Could not open a browser (--debug tells why). To sign in, open this URL in a browser on this machine:\n\n    %s\n\n", l.authURL)
	default:
		fmt.Fprintf(out, "Opened a browser to sign in. If it did not open, visit this URL:\n\n    %s\n\n", l.authURL)
	}
	if ui.Wait == nil {
		fmt.Fprintf(out, "Waiting for the sign-in to finish (listening on http://%s)...\n", l.host)
	}

	var tok Token
	err = ui.wait(ctx, WaitStatus{Flow: WaitBrowser, URL: l.authURL}, func(ctx context.Context) error {
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

// remote runs the browser flow with the browser on another machine: it
// prints the authorization URL and takes the pasted redirect address, or
// the listener's callback when the browser is on this machine after all,
// whichever comes first. A pasted address is checked by CheckRedirectURL
// exactly as the listener checks a callback: one with the wrong state (or
// not this login's redirect address) is refused and another paste asked
// for; any other outcome decides the login.
func (l *loopbackLogin) remote(ctx context.Context, ui UI) (Token, error) {
	out := ui.out()
	fmt.Fprintf(out, "To sign in, open this URL in a browser on any machine:\n\n    %s\n\n", l.authURL)
	fmt.Fprintf(out, "After signing in, the browser tries to open http://%s/... and shows an error\nthere. Copy that whole address from its address bar and paste it here.\n\n", l.host)

	pasteCtx, stopPaste := context.WithCancel(ctx)
	defer stopPaste()
	go func() {
		for pasteCtx.Err() == nil {
			fmt.Fprint(out, "Address: ")
			line, err := ui.Paste(pasteCtx)
			if err != nil {
				l.log.Debug("stopped reading pasted addresses", "err", err)
				return
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if msg, again := l.pasted(line); again {
				fmt.Fprintf(out, "%s; paste the address again.\n", msg)
				continue
			}
			return
		}
	}()
	select {
	case r := <-l.result:
		if !l.decidedByPaste() {
			// The browser was on this machine: end the "Address: " line.
			fmt.Fprintln(out)
		}
		return r.token, r.err
	case <-ctx.Done():
		fmt.Fprintln(out)
		return Token{}, fmt.Errorf("gave up waiting for the browser sign-in: %w", ctx.Err())
	}
}

func (l *loopbackLogin) decidedByPaste() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byPaste
}

// pasted handles one pasted redirect address. again reports that it was
// not this login's response and another paste should be asked for; msg
// says why.
func (l *loopbackLogin) pasted(raw string) (msg string, again bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.outcome != nil {
		return "", false
	}
	code, err := CheckRedirectURL(raw, l.redirectURL, l.check)
	var ce configError
	switch {
	case errors.Is(err, ErrWrongState):
		l.log.Debug("refused a pasted sign-in response with the wrong state")
		return "That address is not the answer to this sign-in (wrong state): it was refused", true
	case errors.As(err, &ce):
		return "That address was refused: " + err.Error(), true
	}
	var tok Token
	if err == nil {
		tok, err = l.exchange(code)
	}
	l.decide(tok, err)
	l.byPaste = true
	close(l.resultShown) // the result is shown in the terminal, not the browser
	return "", false
}

// resultFetchWait bounds how long LoginBrowser waits, once the login is
// decided, for the browser to load the result page it was redirected to.
const resultFetchWait = 2 * time.Second

// stopLater stops the listener: at once when no result was decided (the
// wait ended), otherwise once the browser has loaded the result page, and,
// when tok opened that browser itself, with ui.KeepResultFor in the
// background after that. (A person who opened the URL by hand, or a
// script with --no-browser, does not make tok wait.)
func (l *loopbackLogin) stopLater(ctx context.Context, srv *http.Server, ui UI, opened bool) {
	shutdown := func() {
		// Let a page in flight reach the browser, then stop listening.
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}
	l.mu.Lock()
	decided := l.outcome != nil
	l.mu.Unlock()
	if !decided {
		shutdown()
		return
	}
	select {
	case <-l.resultShown:
	case <-time.After(resultFetchWait):
	}
	if ui.KeepResultFor <= 0 || !opened {
		shutdown()
		return
	}
	if ui.Lingering != nil {
		ui.Lingering.Add(1)
	}
	go func() {
		if ui.Lingering != nil {
			defer ui.Lingering.Done()
		}
		time.Sleep(ui.KeepResultFor)
		shutdown()
	}()
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

// errStartReused ends a login whose start address was requested twice:
// someone besides the browser tok opened knows it.
var errStartReused = errors.New("the sign-in start address was opened twice, so another program on this computer may have read it from the browser's command line; the login was stopped to keep a stranger's account out, run the login again")

// loopbackLogin is one browser login: the values it sent and the handler
// that receives the redirect.
type loopbackLogin struct {
	cfg         Config
	hc          *http.Client
	log         *slog.Logger
	host        string // 127.0.0.1:port, the only Host header accepted
	path        string // the redirect URI's path
	startPath   string // /start/RANDOM: the only address the opener sees
	resultPath  string // /result/RANDOM: where the callback sends the browser
	redirectURL string
	authURL     string
	profile     string
	retry       string
	check       AuthResponseCheck
	nonce       string
	verifier    string
	ctx         context.Context // the login's context, for the code exchange

	mu          sync.Mutex // serializes requests so exactly one decides the result
	started     bool
	byPaste     bool  // a pasted address decided the login (remote)
	outcome     *page // the result page, once the login is decided
	result      chan loginResult
	resultShown chan struct{} // closed when the browser first loads the result
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
	raw := oc.AuthCodeURL(l.check.State, opts...)
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
	if r.Host != l.host || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	switch p := r.URL.Path; {
	case p == l.path:
		l.callback(w, r)
	case strings.HasPrefix(p, "/start/") && secretPathIs(p, l.startPath):
		l.start(w, r)
	case strings.HasPrefix(p, "/result/") && secretPathIs(p, l.resultPath):
		l.showResult(w)
	default:
		http.NotFound(w, r)
	}
}

// secretPathIs compares a request path with one holding a random part in
// constant time.
func secretPathIs(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// start sends the browser on to the authorization URL, once.
func (l *loopbackLogin) start(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.outcome != nil:
		l.log.Debug("the sign-in start address was requested after the login had finished")
		pageFinished.render(w)
	case l.started:
		l.log.Debug("the sign-in start address was requested a second time; stopping the login")
		l.decide(Token{}, errStartReused)
		// The browser sees the result here, not at the result address.
		close(l.resultShown)
		l.outcome.render(w)
	default:
		l.started = true
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, l.authURL, http.StatusSeeOther)
	}
}

func (l *loopbackLogin) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("state") && !q.Has("code") && !q.Has("error") {
		pageCallbackInfo.render(w)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	code, err := CheckAuthResponse(q, l.check)
	switch {
	case errors.Is(err, ErrWrongState):
		// Not ours: a stray tab, or someone planting their own code.
		// Ending the login here would let anyone on this computer cancel
		// it, so the response is only logged.
		l.log.Debug("ignored a sign-in response with the wrong state; still waiting for the real one", "remote", r.RemoteAddr)
		pageNotThisLogin.render(w)
		return
	case l.outcome != nil:
		// The browser came back (history, reload of an old tab): show the
		// result again.
		l.redirectToResult(w, r)
		return
	}
	var tok Token
	if err == nil {
		tok, err = l.exchange(code)
	}
	l.decide(tok, err)
	l.redirectToResult(w, r)
}

// decide records the login's result and the page that shows it. The
// caller holds l.mu.
func (l *loopbackLogin) decide(tok Token, err error) {
	pg := successPage(l.profile, tok.Identity)
	if err != nil {
		pg = failurePage(err, l.retry)
	}
	l.outcome = &pg
	l.result <- loginResult{token: tok, err: err}
}

// redirectToResult answers the callback with a redirect to the result
// page, so the address bar and history keep no code or state.
func (l *loopbackLogin) redirectToResult(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, l.resultPath, http.StatusSeeOther)
}

func (l *loopbackLogin) showResult(w http.ResponseWriter) {
	l.mu.Lock()
	outcome := l.outcome
	if outcome != nil {
		select {
		case <-l.resultShown:
		default:
			close(l.resultShown)
		}
	}
	l.mu.Unlock()
	if outcome == nil {
		pageCallbackInfo.render(w)
		return
	}
	outcome.render(w)
}

func (l *loopbackLogin) exchange(code string) (Token, error) {
	ctx := withHTTPClient(l.ctx, l.hc)
	op := "code exchange at " + l.cfg.TokenURL
	opts := append([]oauth2.AuthCodeOption{oauth2.VerifierOption(l.verifier)}, l.cfg.audienceOptions()...)
	var tok *oauth2.Token
	method, err := l.cfg.withAuthFallback(func(style oauth2.AuthStyle) error {
		oc := l.cfg.oauth2Config(style)
		oc.RedirectURL = l.redirectURL
		var err error
		tok, err = oc.Exchange(ctx, code, opts...)
		return err
	})
	if err != nil {
		return Token{}, wrapError(op, err, code, l.verifier, l.cfg.ClientSecret)
	}
	return withMethod(l.cfg.finish(ctx, l.hc, op, tok, idTokenCheck{nonce: l.nonce}))(method)
}
