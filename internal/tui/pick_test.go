package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// TestPickerProgram runs the whole picker as a Bubble Tea program at
// 40x24, the narrowest size tok supports.
func TestPickerProgram(t *testing.T) {
	m := newPicker(testItems(), PickOptions{Out: io.Discard, Title: "Choose a profile"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(40, 24))

	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("5 profiles")) && bytes.Contains(b, []byte("ctrl+d set default"))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))

	tm.Type("lab")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("1 of 5 profiles"))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})

	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(picker)
	if !ok {
		t.Fatalf("final model is %T, want picker", final)
	}
	if final.chosen != "k8s-lab" || final.action != Choose {
		t.Errorf("chose %q %v, want k8s-lab choose", final.chosen, final.action)
	}
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	if sgr.Match(out) {
		t.Errorf("output has colour codes with colour off: %q", out)
	}
}

func TestPickerProgramCancels(t *testing.T) {
	tm := teatest.NewTestModel(t, newPicker(testItems(), PickOptions{Out: io.Discard}), teatest.WithInitialTermSize(80, 24))
	tm.Type("api")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(picker)
	if !final.done || final.chosen != "" {
		t.Errorf("after esc: done=%v chosen=%q, want cancelled", final.done, final.chosen)
	}
}

// TestPick drives the exported Pick with bytes as a terminal would send
// them, through Bubble Tea's own input parsing.
func TestPick(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		wantName   string
		wantAction Action
		wantErr    error
	}{
		{"filter and enter", "lab\r", "k8s-lab", Choose, nil},
		{"enter takes the default", "\r", "api-staging", Choose, nil},
		{"arrow down and enter", "\x1b[B\r", "k8s-lab", Choose, nil},
		{"ctrl+l logs in", "git\x0c", "github", Login, nil},
		{"ctrl+r refreshes", "prod\x12", "api-prod", Refresh, nil},
		{"ctrl+d sets the default", "ci\x04", "ci-bot", SetDefault, nil},
		{"ctrl+c cancels", "api\x03", "", Choose, ErrCancelled},
		{"esc cancels", "\x1b", "", Choose, ErrCancelled},
		{"end of input cancels", "api" + endOfInput, "", Choose, ErrCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncbuf.Buffer
			name, action, err := pickTyping(t, &out, PickOptions{Title: "Choose a profile", Width: 80, Height: 24}, tt.input)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if name != tt.wantName || action != tt.wantAction {
				t.Errorf("got %q %v, want %q %v", name, action, tt.wantName, tt.wantAction)
			}
		})
	}
}

// endOfInput at the end of what pickTyping types closes the input, as a
// terminal that goes away would. Without it the input stays open, so a key
// that should end the picker is the only thing that can.
const endOfInput = "<EOF>"

// pickTyping runs Pick on a pipe, waits until the picker is drawn on out,
// and types input.
func pickTyping(t *testing.T, out *syncbuf.Buffer, opts PickOptions, input string) (string, Action, error) {
	t.Helper()
	in, keys := io.Pipe()
	opts.In, opts.Out = in, out
	type result struct {
		name   string
		action Action
		err    error
	}
	done := make(chan result, 1)
	go func() {
		name, action, err := Pick(t.Context(), testItems(), opts)
		done <- result{name, action, err}
	}()
	waitForOutput(t, out, "5 profiles")
	defer keys.Close()
	text, closeInput := strings.CutSuffix(input, endOfInput)
	if _, err := io.WriteString(keys, text); err != nil {
		t.Fatalf("could not type %q: %v", input, err)
	}
	if closeInput {
		keys.Close()
	}
	select {
	case r := <-done:
		return r.name, r.action, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("Pick did not return after %q", input)
		return "", Choose, nil
	}
}

func TestPickColour(t *testing.T) {
	pick := func(t *testing.T, color bool) string {
		t.Helper()
		var out syncbuf.Buffer
		if _, _, err := pickTyping(t, &out, PickOptions{Color: color}, "\r"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if out := pick(t, true); !sgr.MatchString(out) {
		t.Fatalf("Color=true drew no colour, so the checks below prove nothing: %q", out)
	}
	if out := pick(t, false); sgr.MatchString(out) {
		t.Errorf("Color=false drew colour: %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if out := pick(t, true); sgr.MatchString(out) {
		t.Errorf("NO_COLOR=1 with Color=true drew colour: %q", out)
	}
}

func TestPickStopsWhenTheContextEnds(t *testing.T) {
	in, keys := io.Pipe() // a terminal that never types
	defer keys.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		_, _, err := Pick(ctx, testItems(), PickOptions{In: in, Out: &out})
		done <- err
	}()
	waitForOutput(t, &out, "5 profiles")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Pick did not return after its context was cancelled")
	}
}

func TestPickRefusesBadInput(t *testing.T) {
	if _, _, err := Pick(t.Context(), nil, PickOptions{In: strings.NewReader(""), Out: io.Discard}); !errors.Is(err, ErrNoProfiles) {
		t.Errorf("no items: err = %v, want ErrNoProfiles", err)
	}
	if _, _, err := Pick(t.Context(), testItems(), PickOptions{}); err == nil {
		t.Error("no In/Out: want an error, got nil")
	}
}

func waitForOutput(t *testing.T, out interface{ String() string }, want string) {
	t.Helper()
	if err := awaitOutput(out, want); err != nil {
		t.Fatal(err)
	}
}

// awaitOutput polls out until it shows want, for up to five seconds. It is
// safe to call from any goroutine.
func awaitOutput(out interface{ String() string }, want string) error {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ansi.Strip(out.String()), want) {
		if time.Now().After(deadline) {
			return fmt.Errorf("output never showed %q; got:\n%s", want, ansi.Strip(out.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
