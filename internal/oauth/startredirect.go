package oauth

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// startRedirect hands a browser opener a one-time local address instead of
// a URL that carries a secret (the device flow's verification_uri_complete
// holds the user code; whoever enters it first signs in with their own
// account). http://127.0.0.1:PORT/start/RANDOM redirects to the target
// once; a second request means someone else read the opener's command
// line, and closes reused.
type startRedirect struct {
	url    string
	reused chan struct{}
	srv    *http.Server

	mu    sync.Mutex
	count int
	path  string
	host  string
	dest  string
	retry string
}

func serveStartRedirect(target, retry string) (*startRedirect, error) {
	ln, err := listenLoopback(0)
	if err != nil {
		return nil, err
	}
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	s := &startRedirect{reused: make(chan struct{}), path: "/start/" + rand.Text(), host: host, dest: target, retry: retry}
	s.url = "http://" + host + s.path
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *startRedirect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Host != s.host || r.Method != http.MethodGet || !secretPathIs(r.URL.Path, s.path) {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.count++
	first, second := s.count == 1, s.count == 2
	s.mu.Unlock()
	if !first {
		if second {
			close(s.reused)
		}
		failurePage(errStartReused, s.retry).render(w)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.dest, http.StatusSeeOther)
}

// close stops serving, after a page in flight has reached the browser.
func (s *startRedirect) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
