package oauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// recordingWait is a UI.Wait that records what it was told and runs block,
// or, with cancel set, ends the wait itself the way a person pressing
// Ctrl-C under a spinner does.
type recordingWait struct {
	cancel bool

	mu       sync.Mutex
	statuses []WaitStatus
	blockErr error
}

var errPersonCancelled = errors.New("cancelled by the person")

func (r *recordingWait) wait(ctx context.Context, s WaitStatus, block func(context.Context) error) error {
	r.mu.Lock()
	r.statuses = append(r.statuses, s)
	r.mu.Unlock()
	if !r.cancel {
		return block(ctx)
	}
	ctx, stop := context.WithCancel(ctx)
	stop()
	err := block(ctx)
	r.mu.Lock()
	r.blockErr = err
	r.mu.Unlock()
	return errPersonCancelled
}

func (r *recordingWait) only(t *testing.T) WaitStatus {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) != 1 {
		t.Fatalf("UI.Wait was called %d times, want once", len(r.statuses))
	}
	return r.statuses[0]
}

func TestLoginBrowserWaitsThroughTheUI(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	b := newBrowser(t, srv.HTTPClient())
	rec := &recordingWait{}
	ui := b.ui()
	ui.Wait = rec.wait

	tok, err := LoginBrowser(fixture.Context(t), cfg, ui)
	if err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	got := rec.only(t)
	b.mu.Lock()
	visited := append([]string(nil), b.visited...)
	b.mu.Unlock()
	if got.Flow != WaitBrowser || len(visited) < 2 || got.URL != visited[1] || got.UserCode != "" || !got.Expiry.IsZero() {
		t.Errorf("status = %+v, want the browser flow with the authorization URL the browser was sent to (%q)", got, visited)
	}
	if printed := b.out.String(); strings.Contains(printed, "Waiting") {
		t.Errorf("the flow printed its own waiting line although the UI shows the wait: %q", printed)
	}
}

func TestLoginBrowserWaitCancelledByTheUI(t *testing.T) {
	t.Parallel()
	srv := newProvider(t, authserver.Options{})
	cfg := configFor(t, srv, publicClient, "", "openid")
	rec := &recordingWait{cancel: true}
	var out strings.Builder

	_, err := LoginBrowser(fixture.Context(t), cfg, UI{Out: &out, Wait: rec.wait})
	if !errors.Is(err, errPersonCancelled) {
		t.Errorf("err = %v, want the UI's own error", err)
	}
	if !errors.Is(rec.blockErr, context.Canceled) {
		t.Errorf("the wait ended with %v, want it to honour the cancelled context", rec.blockErr)
	}
}

func TestLoginDeviceWaitsThroughTheUI(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		d := newFakeDeviceServer(t, 600, "authorization_pending", "")
		rec := &recordingWait{}
		var out strings.Builder
		before := time.Now()

		tok, err := LoginDevice(t.Context(), d.config(), UI{Out: &out, Wait: rec.wait})
		if err != nil {
			t.Fatalf("LoginDevice: %v", err)
		}
		if tok.AccessToken != "device-at" {
			t.Errorf("token = %+v", tok)
		}
		got := rec.only(t)
		if got.Flow != WaitDevice || got.URL != "https://idp.example/device" || got.UserCode != "WDJB-MJHT" {
			t.Errorf("status = %+v, want the device flow with its URL and code", got)
		}
		// The bubble's clock moves only while every goroutine waits.
		if left := got.Expiry.Sub(before); left != 600*time.Second {
			t.Errorf("code expiry is %s from the start, want the server's 600s", left)
		}
		printed := out.String()
		if !strings.Contains(printed, "WDJB-MJHT") {
			t.Errorf("instructions lack the code: %q", printed)
		}
		if strings.Contains(printed, "Waiting") {
			t.Errorf("the flow printed its own waiting line although the UI shows the wait: %q", printed)
		}
	})
}

func TestLoginDeviceWaitCancelledByTheUI(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		d := newFakeDeviceServer(t, 600)
		rec := &recordingWait{cancel: true}

		_, err := LoginDevice(t.Context(), d.config(), UI{Wait: rec.wait})
		if !errors.Is(err, errPersonCancelled) {
			t.Errorf("err = %v, want the UI's own error", err)
		}
		if rec.blockErr == nil {
			t.Error("polling under a cancelled context succeeded")
		}
		if n := len(d.pollTimes()); n > 1 {
			t.Errorf("server saw %d polls after the wait was cancelled", n)
		}
	})
}
