//go:build unix

package tui

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// TestWaitEndsWhenCtrlCAlsoEndsTheContext: tok's own SIGINT handler ends
// the context that Wait runs under at the same moment Wait sees the
// signal. Whichever comes first, Wait must return; Bubble Tea's own signal
// handler would block forever sending to a program that had already
// ended. The race is run several times to give both orders a chance.
func TestWaitEndsWhenCtrlCAlsoEndsTheContext(t *testing.T) {
	for i := range 10 {
		ctx, stop := signal.NotifyContext(t.Context(), os.Interrupt) // keeps SIGINT from ending the test binary
		var out syncbuf.Buffer
		done := make(chan error, 1)
		go func() {
			done <- Wait(ctx, WaitOptions{Out: &out, Terminal: true},
				func() string { return "Waiting for the browser" },
				func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		}()
		waitForOutput(t, &out, "Waiting for the browser")
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, ErrCancelled) && !errors.Is(err, context.Canceled) {
				t.Errorf("run %d: err = %v, want a cancellation", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d: Wait did not return after Ctrl-C ended its context too", i)
		}
		stop()
	}
}
