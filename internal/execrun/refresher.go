package execrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/when"
)

// Backoff of the refresher after a failed refresh: quick at first (a
// blip), then at most once a minute.
const (
	refreshRetryMin = time.Second
	refreshRetryMax = time.Minute
	// refreshMinWait keeps a token that is due as soon as it arrives (a
	// clock that disagrees with the token's expiry, a server handing out
	// tokens already near their end) from turning the refresher into a
	// loop of token requests: at most one a second.
	refreshMinWait = time.Second
)

// refresher keeps the token of a running `tok exec` child fresh: it wakes
// shortly after the token enters its refresh margin, asks for a token the
// usual way (fetch, which is single-flight across processes, so a refresh
// by another process is reused) and publishes a new one.
//
// A failed refresh never stops the child: the refresher writes one warning
// line and retries with backoff, and the child keeps the current token
// until it really expires.
type refresher struct {
	profile string
	// fetch returns a valid token, refreshing it when it is stale.
	fetch Fetch
	// publish hands a new token to the child (token file, masking).
	publish func(cred record.Credential) error
	// warn writes one line for the person (stderr).
	warn func(msg string)
	now  func() time.Time
	// sleep waits for d and reports whether ctx is still alive; nil means
	// sleepCtx. Tests inject one that advances their clock.
	sleep func(ctx context.Context, d time.Duration) bool
	// jitter returns a random duration in [0, max); nil means none.
	jitter func(max time.Duration) time.Duration
}

func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// run refreshes cur's token before each expiry until ctx ends.
func (r *refresher) run(ctx context.Context, cur record.Credential) {
	failing, expiredNoted := false, false
	backoff := refreshRetryMin
	for {
		wait := r.untilDue(cur)
		if failing {
			wait = backoff
			backoff = min(backoff*2, refreshRetryMax)
		}
		sleep := r.sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if !sleep(ctx, max(wait, refreshMinWait)) {
			return
		}
		cred, warning, err := r.fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil && (cred.Token != cur.Token || cred.Expiry.After(cur.Expiry)) {
			if perr := r.publish(cred); perr != nil {
				r.warn(fmt.Sprintf("tok: warning: %v", perr))
			}
			if failing {
				r.warn(fmt.Sprintf("tok: refreshed the token of profile %q again", r.profile))
			}
			cur, failing, expiredNoted, backoff = cred, false, false, refreshRetryMin
			continue
		}
		if err == nil && warning == "" && r.now().Before(cur.Expiry.Add(-cur.Margin)) {
			continue // woke early: the token is not due yet
		}
		if !failing {
			r.warn(r.failureLine(cur, warning, err))
			failing = true
		}
		if !expiredNoted && !r.now().Before(cur.Expiry) {
			r.warn(fmt.Sprintf("tok: warning: the token of profile %q expired at %s; the child's token is stale until tok can refresh it", r.profile, when.Format(cur.Expiry, r.now())))
			expiredNoted = true
		}
	}
}

func (r *refresher) failureLine(cur record.Credential, warning string, err error) string {
	valid := when.Format(cur.Expiry, r.now())
	if err == nil {
		return fmt.Sprintf("tok: %s; retrying in the background", warning)
	}
	return fmt.Sprintf("tok: warning: could not refresh the token of profile %q (%v); the child keeps the current token, valid until %s; retrying in the background", r.profile, err, valid)
}

// untilDue is how long to sleep before cur needs a refresh: until it
// enters its refresh margin (cur.Margin, already capped by the token's
// lifetime, so a fresh token is never due at once), plus up to a quarter of the margin at random
// so that many children started together do not refresh in lockstep.
func (r *refresher) untilDue(cur record.Credential) time.Duration {
	due := cur.Expiry.Add(-cur.Margin)
	if r.jitter != nil {
		due = due.Add(r.jitter(cur.Margin / 4))
	}
	return due.Sub(r.now())
}

// sleepCtx sleeps for d and reports whether ctx is still alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
