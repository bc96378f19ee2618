package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tui"
)

// refreshProgressDelay is how long getting a token may take before a
// spinner says what tok is waiting for. A cached token takes milliseconds
// and a quick refresh well under this, so neither makes the terminal
// flicker.
const refreshProgressDelay = 400 * time.Millisecond

// spinnerAllowed reports whether progress may be drawn as a spinner: only
// on a terminal on stderr, and not under --debug, whose log lines on
// stderr would tear it.
func (d *Deps) spinnerAllowed() bool {
	return d.io.IsStderrTTY() && !d.debugging()
}

// signInUI returns the oauth.UI.Wait of a person's login: a spinner on the
// terminal while the browser callback or the device code is awaited. Off a
// terminal it returns nil, and the flows print their own one plain
// "Waiting..." line instead.
func (d *Deps) signInUI() func(context.Context, oauth.WaitStatus, func(context.Context) error) error {
	if !d.spinnerAllowed() {
		return nil
	}
	return func(ctx context.Context, s oauth.WaitStatus, block func(context.Context) error) error {
		opts := tui.WaitOptions{Out: d.io.ErrOut, Terminal: true, Color: d.io.ColorEnabled()}
		err := tui.Wait(ctx, opts, func() string { return signInMessage(s, d.now()) }, block)
		return asCancelled(err)
	}
}

// signInMessage is the spinner's line while a login waits for the person.
func signInMessage(s oauth.WaitStatus, now time.Time) string {
	if s.Flow != oauth.WaitDevice {
		return "Waiting for the sign-in in the browser (Ctrl-C cancels)"
	}
	msg := fmt.Sprintf("Waiting for code %s to be entered at %s", s.UserCode, s.URL)
	switch left := s.Expiry.Sub(now).Truncate(time.Second); {
	case s.Expiry.IsZero():
		return msg + " (Ctrl-C cancels)"
	case left <= 0:
		return msg + " (the code has expired)"
	default:
		return fmt.Sprintf("%s (%s left, Ctrl-C cancels)", msg, left)
	}
}

// withRefreshProgress runs fetch, a token lookup that may refresh over the
// network or wait for another process's refresh. When it takes longer than
// refreshProgressDelay and a person watches stderr, a spinner says so. Off
// a terminal nothing is shown: there stderr belongs to scripts and to
// kubectl, and a refresh is routine, not news.
//
// The service's warnings during fetch (passed with tokens.WithWarn on
// its context) are held until the spinner is gone, so they are printed
// whole instead of tearing its line.
func (d *Deps) withRefreshProgress(ctx context.Context, profile string, fetch func(context.Context) (record.Credential, error)) (record.Credential, error) {
	if !d.spinnerAllowed() {
		return fetch(ctx)
	}
	var held heldLines
	defer func() {
		for _, line := range held.all() {
			fmt.Fprintln(d.io.ErrOut, line)
		}
	}()
	ctx = tokens.WithWarn(ctx, held.add)

	what := "the default profile"
	if profile != "" {
		what = fmt.Sprintf("profile %q", profile)
	}
	opts := tui.WaitOptions{Out: d.io.ErrOut, Terminal: true, Color: d.io.ColorEnabled(), Delay: cmp.Or(d.progressDelay, refreshProgressDelay)}
	var cred record.Credential
	err := tui.Wait(ctx, opts, func() string { return "Refreshing the token of " + what }, func(ctx context.Context) error {
		var err error
		cred, err = fetch(ctx)
		return err
	})
	return cred, asCancelled(err)
}

// asCancelled turns the person's Ctrl-C under a spinner into tok's
// cancellation (exit 130).
func asCancelled(err error) error {
	if errors.Is(err, tui.ErrCancelled) {
		return errCancelled
	}
	return err
}

// heldLines collects lines from another goroutine until they can be shown.
type heldLines struct {
	mu    sync.Mutex
	lines []string
}

func (h *heldLines) add(line string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, line)
}

func (h *heldLines) all() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}
