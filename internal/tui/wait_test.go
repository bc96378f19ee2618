package tui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

var errWork = errors.New("work failed")

func TestWaitWithoutTerminalWritesOnePlainLine(t *testing.T) {
	var out bytes.Buffer
	calls := 0
	err := Wait(t.Context(), WaitOptions{Out: &out, Terminal: false, Color: true},
		func() string { return "\x1b[1mWaiting\x1b[0m for the browser (expires in 9m)\n" },
		func(context.Context) error { calls++; return errWork })
	if !errors.Is(err, errWork) {
		t.Errorf("err = %v, want the work's error", err)
	}
	if calls != 1 {
		t.Errorf("work ran %d times, want once", calls)
	}
	if got, want := out.String(), "Waiting for the browser (expires in 9m)\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestWaitOnTerminalShowsTheChangingMessage(t *testing.T) {
	var out syncbuf.Buffer
	var step atomic.Int32
	msg := func() string {
		if step.Load() == 0 {
			return "Enter code ABCD-EFGH (9m left)"
		}
		return "Enter code ABCD-EFGH (8m left)"
	}
	err := Wait(t.Context(), WaitOptions{Out: &out, Terminal: true}, msg, func(ctx context.Context) error {
		if err := awaitOutput(&out, "(9m left)"); err != nil {
			return err
		}
		step.Store(1)
		if err := awaitOutput(&out, "(8m left)"); err != nil {
			return err
		}
		return errWork
	})
	if !errors.Is(err, errWork) {
		t.Errorf("err = %v, want the work's error", err)
	}
	if sgr.MatchString(out.String()) {
		t.Errorf("colour drawn with Color=false: %q", out.String())
	}
	assertLineCleared(t, out.String(), "(8m left)")
}

func TestWaitOnTerminalReturnsNilWhenWorkSucceeds(t *testing.T) {
	var out syncbuf.Buffer
	start := time.Now()
	err := Wait(t.Context(), WaitOptions{Out: &out, Terminal: true, Color: true},
		func() string { return "Refreshing" },
		func(context.Context) error { return nil })
	if err != nil {
		t.Errorf("err = %v, want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Wait took %s after the work was already done", d)
	}
}

func TestWaitOnTerminalStopsWhenTheContextEnds(t *testing.T) {
	var out syncbuf.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Wait(ctx, WaitOptions{Out: &out, Terminal: true},
			func() string { return "Waiting for the browser" },
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	}()
	waitForOutput(t, &out, "Waiting for the browser")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after its context was cancelled")
	}
	// The last frame is empty: the spinner line was erased, not left behind.
	assertLineCleared(t, out.String(), "Waiting for the browser")
}

// assertLineCleared checks that after the last frame showing text the
// terminal was told to erase the line, so nothing is left behind.
func assertLineCleared(t *testing.T, out, text string) {
	t.Helper()
	i := strings.LastIndex(out, text)
	if i < 0 || !strings.Contains(out[i:], "\x1b[2K") {
		t.Errorf("line with %q was not erased at the end: %q", text, out)
	}
}

func TestWaiterModel(t *testing.T) {
	long := "Open https://login.example.com/device?user_code=ABCD-EFGH-IJKL-MNOP and enter the code ABCD-EFGH"
	w := newWaiter(nil, false, func() string { return long })
	next, _ := w.Update(tea.WindowSizeMsg{Width: 40, Height: 24})
	w = next.(waiter)

	view := w.View()
	for i, l := range strings.Split(view, "\n") {
		if n := ansi.StringWidth(l); n > 40 {
			t.Errorf("line %d is %d columns wide at 40: %q", i, n, l)
		}
	}
	// Wrapped, not cut: every character of the URL is still on screen.
	joined := strings.Join(strings.Fields(strings.ReplaceAll(ansi.Strip(view), "\n", "")), " ")
	if !strings.Contains(strings.ReplaceAll(joined, " ", ""), strings.ReplaceAll(long, " ", "")) {
		t.Errorf("message lost text when wrapped:\n%s", view)
	}

	for _, tc := range []struct {
		msg   tea.Msg
		check func(waiter) bool
	}{
		{workDoneMsg{}, func(w waiter) bool { return w.workDone }},
		{interruptedMsg{}, func(w waiter) bool { return w.interrupted }},
		{stopMsg{}, func(w waiter) bool { return w.stopped }},
	} {
		next, cmd := w.Update(tc.msg)
		got := next.(waiter)
		if !tc.check(got) || !isQuit(cmd) || got.View() != "" {
			t.Errorf("%T: want the waiter to record it, quit and clear its line", tc.msg)
		}
	}
}
