//go:build unix

package e2e

// Reliability under failure (issue 8): tok killed with SIGKILL at random
// points of a refresh, a soak of many concurrent callers across many
// expiries, and a full disk while writing. Faults of the authorization
// server (down, slow, 5xx, malformed or huge responses) are covered by
// internal/oauth and oauth_test.go and are not repeated here.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/need"
)

// proxyEvent is a point a token request passed in tokenProxy.
type proxyEvent int

const (
	requestArrived  proxyEvent = iota // tok's request reached the proxy
	serverAnswered                    // the server answered; tok has not seen the answer yet
	responseWritten                   // the answer was written back to tok
)

// tokenProxy stands between tok and the authorization server's token
// endpoint and can hold a request before the server sees it, or hold the
// server's answer before tok sees it, so a test can kill tok at a chosen
// point of a refresh. A request whose client died while it was held is
// never forwarded, as a server never sees a request whose sender died
// first; one already forwarded completes at the server regardless.
type tokenProxy struct {
	target string
	http   *httptest.Server

	mu           sync.Mutex
	holdRequest  time.Duration
	holdResponse time.Duration
	events       chan proxyEvent
	// conns counts open connections rather than requests in ServeHTTP:
	// a tok killed just after sending its request leaves a connection
	// the server has not read yet, and its request must count as in
	// flight from the moment the connection is accepted.
	conns sync.WaitGroup
}

// barrierPath is a request idle makes to itself; see idle.
const barrierPath = "/barrier"

func newTokenProxy(t testing.TB, target string) *tokenProxy {
	t.Helper()
	p := &tokenProxy{target: target, events: make(chan proxyEvent, 64)}
	p.http = httptest.NewUnstartedServer(p)
	p.http.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			p.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			p.conns.Done()
		}
	}
	p.http.Start()
	t.Cleanup(p.http.Close)
	return p
}

// TokenURL is the proxied token endpoint.
func (p *tokenProxy) TokenURL() string { return p.http.URL + "/token" }

// hold sets how long later requests and answers are held; it also drops
// the events of earlier requests.
func (p *tokenProxy) hold(request, response time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdRequest, p.holdResponse = request, response
	for {
		select {
		case <-p.events:
		default:
			return
		}
	}
}

// waitFor waits until a request reaches point ev.
func (p *tokenProxy) waitFor(t testing.TB, ev proxyEvent) {
	t.Helper()
	timeout := time.After(DefaultTimeout)
	for {
		select {
		case got := <-p.events:
			if got == ev {
				return
			}
		case <-timeout:
			t.Fatalf("the token request did not reach point %d within %s", ev, DefaultTimeout)
		}
	}
}

// idle waits until no request is in the proxy, so the server's state is
// final before the test looks at it. A killed tok's connection may still
// wait in the listener's queue, not yet accepted (and so not yet
// counted): idle first sends a request of its own on a new connection,
// which the server accepts only after every connection queued before
// it, then waits until all connections are closed. Without the barrier a
// request sent just before the kill reached the server after the test
// had looked, rotated the refresh token, and the next refresh was
// refused.
func (p *tokenProxy) idle(t testing.TB) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: DefaultTimeout}
	resp, err := client.Get(p.http.URL + barrierPath)
	if err != nil {
		t.Fatalf("the proxy's barrier request failed: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p.conns.Wait()
}

func (p *tokenProxy) emit(ev proxyEvent) {
	select {
	case p.events <- ev:
	default:
	}
}

func (p *tokenProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == barrierPath {
		return
	}
	p.mu.Lock()
	holdRequest, holdResponse := p.holdRequest, p.holdResponse
	p.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	p.emit(requestArrived)
	if !sleepUnlessDone(r.Context(), holdRequest) {
		return
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, p.target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.emit(serverAnswered)
	if !sleepUnlessDone(r.Context(), holdResponse) {
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	p.emit(responseWritten)
}

// sleepUnlessDone sleeps d and reports whether ctx is still alive.
func sleepUnlessDone(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// killPoint is where in a refresh the crash test kills tok.
type killPoint struct {
	name                      string
	holdRequest, holdResponse time.Duration
	// wait is the proxy event to wait for before the random delay; -1
	// kills at a random delay after start.
	wait     proxyEvent
	maxDelay time.Duration
}

// TestCrashDuringRefresh kills tok refresh with SIGKILL at random points of
// a refresh, many times: before the request, while the request is held
// before the server sees it, after the server answered but before tok got
// the answer, and at random instants after the answer (while tok parses,
// seals and writes it). After every kill the database must open and pass
// bbolt's consistency check, the stored state must be the old one or the
// complete new one (never a mix), no lock may be left held, and the very
// next tok must refresh, or, when the killed tok's refresh had already
// rotated the refresh token at the server, ask for a login (exit 4),
// never fail otherwise.
func TestCrashDuringRefresh(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: time.Hour})
	proxy := newTokenProxy(t, srv.TokenURL())
	env := FileKeyEnv(t)
	// tok refresh renews on every call, however fresh the token (a margin
	// longer than the lifetime no longer does: it is capped at half).
	RunOK(t, env, "", "profile", "add", "api", "--token-url", proxy.TokenURL(), "--client-id", clientID,
		"--flow", "password", "--username", authserver.TestUser, "--scopes", "offline_access")
	login := func() {
		t.Helper()
		RunOK(t, env, authserver.TestPassword+"\n", "login", "-p", "api", "--password-stdin")
	}
	login()

	points := []killPoint{
		{name: "at a random instant from start", wait: -1, maxDelay: 8 * time.Millisecond},
		{name: "while the request is held before the server", holdRequest: 2 * time.Second, wait: requestArrived, maxDelay: 2 * time.Millisecond},
		{name: "after the server answered, before tok got it", holdResponse: 2 * time.Second, wait: serverAnswered, maxDelay: 2 * time.Millisecond},
		{name: "after tok got the answer (parse, seal, write)", wait: responseWritten, maxDelay: 4 * time.Millisecond},
	}
	const perPoint = 6
	seed := uint64(time.Now().UnixNano())
	t.Logf("random kill delays from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var killed, finished, loginsNeeded int

	for i := range len(points) * perPoint {
		kp := points[i%len(points)]
		before := ReadStoredTokens(t, env, "api")
		proxy.hold(kp.holdRequest, kp.holdResponse)
		p := Start(t, env, "", "refresh", "-p", "api")
		if kp.wait >= 0 {
			proxy.waitFor(t, kp.wait)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(kp.maxDelay) + 1)))
		if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatalf("killing tok: %v", err)
		}
		r := p.Wait(t)
		proxy.hold(0, 0)
		proxy.idle(t)
		WantNoCrash(t, r)
		if r.Signal == syscall.SIGKILL {
			killed++
		} else {
			finished++
			WantCode(t, r, 0)
		}

		after := ReadStoredTokens(t, env, "api")
		checkDatabase(t, env.DB())
		switch {
		case after.Gen == before.Gen:
			if after.Access != before.Access || after.Refresh != before.Refresh {
				t.Fatalf("kill %d (%s): generation %d unchanged but its tokens changed: a mixed state", i, kp.name, after.Gen)
			}
			if r.Signal == 0 {
				t.Fatalf("kill %d (%s): tok exited 0 without storing the refreshed token", i, kp.name)
			}
		case after.Gen == before.Gen+1:
			if after.Access == before.Access || after.Refresh == before.Refresh {
				t.Fatalf("kill %d (%s): generation %d stored with an old token beside a new one: a mixed state", i, kp.name, after.Gen)
			}
			if !srv.Introspect(after.Access) {
				t.Fatalf("kill %d (%s): the newly stored access token is not active at the server", i, kp.name)
			}
		default:
			t.Fatalf("kill %d (%s): generation went from %d to %d in one refresh", i, kp.name, before.Gen, after.Gen)
		}
		wantUnlocked(t, filepath.Join(env.Home(), "locks", "api.refresh"))

		// The next tok refreshes at once, unless the killed one had the
		// server rotate the refresh token and died before storing it:
		// then the server refuses the old one and tok asks for a login.
		rotatedAway := !srv.Introspect(after.Refresh)
		next := Run(t, env, "", "refresh", "-p", "api")
		if rotatedAway {
			WantCode(t, next, 4)
			WantStderr(t, next, "tok login -p api")
			if got := ReadStoredTokens(t, env, "api"); got.Gen != after.Gen+1 || got.HasRefresh || got.Access != after.Access {
				t.Fatalf("kill %d (%s): a refused refresh was not recorded (gen %d→%d, refresh token kept %v)", i, kp.name, after.Gen, got.Gen, got.HasRefresh)
			}
			loginsNeeded++
			login()
			continue
		}
		WantCode(t, next, 0)
		if tok := ReadStoredTokens(t, env, "api").Access; !srv.Introspect(tok) {
			t.Fatalf("kill %d (%s): the token the next tok stored is not active", i, kp.name)
		}
	}
	t.Logf("%d kills, %d runs finished before the kill, %d lost a rotated refresh token and needed a login", killed, finished, loginsNeeded)
	if killed == 0 {
		t.Fatal("no run was killed mid-way; the kill points do not work")
	}
}

// checkDatabase opens tok's database read-only and runs bbolt's
// consistency check over every page.
func checkDatabase(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("the database does not open: %v", err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("the database fails bbolt's consistency check: %v", err)
	}
}

// wantUnlocked fails the test if another process holds the lock file.
func wantUnlocked(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return // the killed tok never got as far as creating it
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("%s is still locked after the process holding it was killed: %v", path, err)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// TestSoak runs workers concurrent callers of tok token against a server
// issuing 2-second tokens with rotating refresh tokens, across many
// expiries. The server revokes the whole token family when a used refresh
// token comes back (as fosite does), so any reuse would surface as a
// failed call; no call may fail, and the number of refreshes must fit the
// number of expiries.
//
// It runs on real time on purpose: what it shows is real processes
// racing each other through refreshes while tokens really expire at the
// server (a rotated refresh token used twice revokes the family there).
// It spans about four token lifetimes (40 paced calls per worker, 6 s):
// three refreshes under 16 concurrent callers; issue 8's soak ran 2,000
// calls over ten lifetimes (19 s), and what more lifetimes would repeat,
// TestFleetRotatingRefreshTokens counts exactly on aged tokens.
func TestSoak(t *testing.T) {
	t.Parallel()
	workers, calls := 16, 40
	if testing.Short() {
		workers = 4
	}
	const ttl, margin = 2 * time.Second, 500 * time.Millisecond
	// Calls are paced so that the run spans several token lifetimes:
	// unpaced, cached calls take milliseconds and see few expiries.
	const pace = 150 * time.Millisecond
	srv := newAuthServer(t, authserver.Options{AccessTokenTTL: ttl})
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer(), "--client-id", clientID,
		"--flow", "password", "--username", authserver.TestUser, "--scopes", "offline_access", "--refresh-margin", margin.String())
	RunOK(t, env, authserver.TestPassword+"\n", "login", "-p", "api", "--password-stdin")
	srv.ResetCounts()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var failures []string
	printed := map[string]bool{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				next := time.Now().Add(pace)
				cmd := exec.CommandContext(ctx, tokPath, "token", "-p", "api")
				cmd.Env = env.list()
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				tok, rest, _ := strings.Cut(stdout.String(), "\n")
				mu.Lock()
				switch {
				case err != nil || stderr.Len() > 0 || tok == "" || rest != "":
					failures = append(failures, fmt.Sprintf("worker %d call %d: %v: %q", w, i, err, stderr.String()))
				default:
					printed[tok] = true
				}
				mu.Unlock()
				time.Sleep(time.Until(next))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	c := srv.Counts()
	t.Logf("%d calls by %d workers in %s: %d refreshes, %d distinct tokens", workers*calls, workers, elapsed.Round(time.Millisecond), c.RefreshToken, len(printed))
	if len(failures) > 0 {
		t.Fatalf("%d of %d calls failed; first: %s", len(failures), workers*calls, failures[0])
	}
	if c.TokenRequests() != c.RefreshToken {
		t.Errorf("the server saw %d token requests of other grants than refresh_token", c.TokenRequests()-c.RefreshToken)
	}
	// tok stores expiries rounded to the second, so a token stays fresh
	// between ttl-margin-0.5s and ttl-margin+0.5s: between one refresh
	// per 2 s and one per second, plus the ends of the run.
	low, high := int(elapsed/(ttl-margin+500*time.Millisecond))-1, int(elapsed/(ttl-margin-500*time.Millisecond))+2
	if c.RefreshToken < max(low, 1) || c.RefreshToken > high {
		t.Errorf("%d refreshes in %s; with %s tokens refreshed %s early want between %d and %d", c.RefreshToken, elapsed.Round(time.Millisecond), ttl, margin, max(low, 1), high)
	}
	if len(printed) > c.RefreshToken+1 {
		t.Errorf("callers got %d distinct tokens from 1 login and %d refreshes", len(printed), c.RefreshToken)
	}
}

// TestDiskFullWhileWriting fills a small tmpfs that holds TOK_HOME and
// then stores a token too big for the free pages: tok must fail with a
// clear error and exit 1, keep the old token usable and the database
// intact, and work again once there is space. Mounting needs root.
func TestDiskFullWhileWriting(t *testing.T) {
	t.Parallel()
	mnt := t.TempDir()
	if reason := mountTmpfs(t, mnt, "512k"); reason != "" {
		need.Missing(t, "disk-full test not run: "+reason)
	}
	env := FileKeyEnv(t).With("TOK_HOME=" + filepath.Join(mnt, "tok"))
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")
	old := NewSecret(t)
	RunOK(t, env, old+"\n", "login", "-p", "gh", "--with-token")

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	// A token of 128 KiB needs overflow pages the database does not have,
	// so bbolt must grow the file and its write hits the full disk.
	big := NewSecret(t) + strings.Repeat("x", 128<<10)
	r := Run(t, env, big+"\n", "login", "-p", "gh", "--with-token")
	WantCode(t, r, 1)
	WantStderr(t, r, "no space left on device")
	if strings.Contains(r.Stderr, big[:40]) {
		t.Errorf("the error shows the token: %s", r)
	}
	if got := tokenOK(t, env, "gh"); got != old {
		t.Fatalf("after the failed write tok token printed another token than the one stored before")
	}
	checkDatabase(t, env.DB())

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	RunOK(t, env, big+"\n", "login", "-p", "gh", "--with-token")
	if got := tokenOK(t, env, "gh"); got != big {
		t.Fatalf("with space again tok token printed %d bytes, want the %d-byte token just stored", len(got), len(big))
	}
	checkDatabase(t, env.DB())
}

// mountTmpfs mounts a tmpfs of size at dir, unmounted when the test ends,
// and returns "" or why it could not.
func mountTmpfs(t *testing.T, dir, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return "mounting a small tmpfs needs root"
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("mount -t tmpfs failed (%v: %s); the container may lack CAP_SYS_ADMIN", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return ""
}

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatalf("filling the disk: %v", err)
		}
	}
}
