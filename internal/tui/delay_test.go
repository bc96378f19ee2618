package tui

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// TestWaitDelayShowsNothingForQuickWork: a refresh that is done before
// the delay leaves no trace, on a terminal or off it.
func TestWaitDelayShowsNothingForQuickWork(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var out syncbuf.Buffer
		err := Wait(t.Context(), WaitOptions{Out: &out, Terminal: terminal, Color: true, Delay: time.Minute},
			func() string { return "Refreshing the token" },
			func(context.Context) error { return errWork })
		if !errors.Is(err, errWork) {
			t.Errorf("terminal=%v: err = %v, want the work's error", terminal, err)
		}
		if out.String() != "" {
			t.Errorf("terminal=%v: quick work drew %q, want nothing", terminal, out.String())
		}
	}
}

// TestWaitDelayThenPlainLine: slow work off a terminal gets its one plain
// line once the delay has passed.
func TestWaitDelayThenPlainLine(t *testing.T) {
	var out syncbuf.Buffer
	err := Wait(t.Context(), WaitOptions{Out: &out, Delay: 20 * time.Millisecond},
		func() string { return "Refreshing the token" },
		func(context.Context) error { return awaitOutput(&out, "Refreshing the token") })
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "Refreshing the token\n" {
		t.Errorf("output = %q, want one plain line", got)
	}
}

// TestWaitDelayThenSpinner: slow work on a terminal gets the spinner once
// the delay has passed, and the line is erased at the end.
func TestWaitDelayThenSpinner(t *testing.T) {
	var out syncbuf.Buffer
	start := time.Now()
	const delay = 50 * time.Millisecond
	err := Wait(t.Context(), WaitOptions{Out: &out, Terminal: true, Delay: delay},
		func() string { return "Refreshing the token" },
		func(context.Context) error {
			if err := awaitOutput(&out, "Refreshing the token"); err != nil {
				return err
			}
			if d := time.Since(start); d < delay {
				return errors.New("spinner drawn after " + d.String() + ", before the delay")
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	assertLineCleared(t, out.String(), "Refreshing the token")
}

// TestWaitDelayHonoursContext: a context that ends during the delay ends
// the work, and Wait returns its error.
func TestWaitDelayHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Wait(ctx, WaitOptions{Out: &out, Terminal: true, Delay: time.Minute},
			func() string { return "Refreshing" },
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after its context was cancelled")
	}
	if out.Len() != 0 {
		t.Errorf("drew %q during the delay", out.String())
	}
}

// TestTableColoursQualifiedStatus: tok status says "expired (refreshes on
// next use)"; the qualifier must not cost the colour, and a word that only
// starts like a status must not get one.
func TestTableColoursQualifiedStatus(t *testing.T) {
	th := newTheme(&bytes.Buffer{}, true)
	for _, tc := range []struct {
		cell string
		want string // the style's rendering of "x"
	}{
		{"valid for 42m", th.good.Render("x")},
		{"valid", th.good.Render("x")},
		{"expired (refreshes on next use)", th.bad.Render("x")},
		{"expired", th.bad.Render("x")},
		{"login required", th.bad.Render("x")},
		{"stale", th.warn.Render("x")},
		{"no token", th.dim.Render("x")},
		{"validated", "x"},
		{"unknown", "x"},
	} {
		if got := th.status(tc.cell).Render("x"); got != tc.want {
			t.Errorf("status(%q) renders %q, want %q", tc.cell, got, tc.want)
		}
	}

	var out bytes.Buffer
	if err := Table(&out, true, []string{"PROFILE", "STATUS"}, [][]string{{"api", "expired (refreshes on next use)"}}, 1); err != nil {
		t.Fatal(err)
	}
	if !sgr.MatchString(out.String()) {
		t.Errorf("qualified status drawn without colour: %q", out.String())
	}
	if plain := ansi.Strip(out.String()); plain != "PROFILE  STATUS\napi      expired (refreshes on next use)\n" {
		t.Errorf("table = %q", plain)
	}
}
