package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// Storm timing: a token lives stormTTL and is refreshed stormMargin before
// it expires, so after a refresh the new token stays fresh for
// stormTTL-stormMargin, far longer than a storm may take: a second refresh
// request within one storm is a failure of the refresh lock, not a
// legitimate renewal.
const (
	stormTTL = 8 * time.Second
	// stormMargin stays under half of stormTTL: tok caps a margin at half
	// the token's lifetime (docs/refresh.md), so a larger one would never
	// make the token stale when the storm starts.
	stormMargin = 3 * time.Second
	// stormSlack is how far into the refresh margin a storm starts, for
	// the stored expiry (rounded to a second) and the clocks to agree.
	stormSlack = 300 * time.Millisecond
)

// stormResult is one refresh storm: procs tok token processes started at
// once on a stale token.
type stormResult struct {
	procs     int
	total     time.Duration // first start to last exit
	slowest   time.Duration // the longest single process
	refreshes int           // refresh_token grants the server saw
	requests  int           // token requests of any grant
	failures  []string      // processes that failed, with their stderr
	sameToken bool          // every process printed one token, a new one, active at the server
}

// runStorm waits until h's token is inside its refresh margin, then starts
// procs tok token processes at once and collects what they printed and
// what the server saw.
func runStorm(h *home, srv *authserver.Server, procs int) (stormResult, error) {
	res := stormResult{procs: procs}
	old, err := h.token()
	if err != nil {
		return res, err
	}
	exp, err := h.expiry()
	if err != nil {
		return res, err
	}
	time.Sleep(time.Until(exp.Add(-stormMargin + stormSlack)))
	srv.ResetCounts()

	type outcome struct {
		wall   time.Duration
		stdout string
		err    error
	}
	outcomes := make([]outcome, procs)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range procs {
		cmd := exec.Command(h.tok, "token", "-p", profileName)
		cmd.Env = h.env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = 2 * time.Second
		began := time.Now()
		if err := cmd.Start(); err != nil {
			outcomes[i].err = err
			continue
		}
		wg.Go(func() {
			err := cmd.Wait()
			if err == nil && stderr.Len() > 0 {
				err = fmt.Errorf("wrote to stderr")
			}
			if err != nil {
				err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
			}
			outcomes[i] = outcome{wall: time.Since(began), stdout: stdout.String(), err: err}
		})
	}
	wg.Wait()
	res.total = time.Since(start)

	c := srv.Counts()
	res.refreshes, res.requests = c.RefreshToken, c.TokenRequests()
	var first string
	res.sameToken = true
	for i, o := range outcomes {
		res.slowest = max(res.slowest, o.wall)
		if o.err != nil {
			res.failures = append(res.failures, fmt.Sprintf("process %d: %v", i, o.err))
			res.sameToken = false
			continue
		}
		tok := strings.TrimSuffix(o.stdout, "\n")
		if first == "" {
			first = tok
		}
		if tok != first || tok == "" || strings.Contains(tok, "\n") {
			res.sameToken = false
		}
	}
	if first == old || (first != "" && !srv.Introspect(first)) {
		res.sameToken = false
	}
	return res, nil
}
