package execrun

import (
	"context"
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestValidateRefusals: what Validate refuses before a token is fetched,
// as usage errors (exit 2) with the message tok prints.
func TestValidateRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want string // "" = accepted
	}{
		{"no command", Spec{}, "name the command to run after --"},
		{"empty argv", Spec{Argv: []string{}}, "name the command to run after --"},
		{"refused name", Spec{Argv: []string{"env"}, EnvNames: []string{"MY_TOKEN", "LD_PRELOAD"}},
			`environment variable "LD_PRELOAD" is refused: programs read it to decide what to run or trust, so it must not hold a token (see: tok help environment)`},
		{"tok's own variable, any case", Spec{Argv: []string{"env"}, EnvNames: []string{"tok_key"}},
			`environment variable "tok_key" is refused: programs read it to decide what to run or trust, so it must not hold a token (see: tok help environment)`},
		{"starts with a digit", Spec{Argv: []string{"env"}, EnvNames: []string{"1TOKEN"}}, `invalid environment variable name "1TOKEN"`},
		{"holds =", Spec{Argv: []string{"env"}, EnvNames: []string{"A=B"}}, `invalid environment variable name "A=B"`},
		{"empty name", Spec{Argv: []string{"env"}, EnvNames: []string{""}}, `invalid environment variable name ""`},
		{"accepted", Spec{Argv: []string{"env"}, EnvNames: []string{"MY_TOKEN", "GITHUB_TOKEN"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			checkExitError(t, err, exitUsage, tc.want)
		})
	}
}

// checkExitError fails unless err is an *ExitError with code and the
// message want, which tok prints (not Quiet) and which Unwrap exposes.
func checkExitError(t *testing.T, err error, code int, want string) {
	t.Helper()
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *ExitError", err, err)
	}
	if ee.ExitCode() != code || ee.Code != code {
		t.Errorf("ExitCode() = %d, want %d", ee.ExitCode(), code)
	}
	if got := ee.Error(); got != want {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}
	if ee.Quiet() {
		t.Errorf("Quiet() = true for %q: tok would not print it", want)
	}
	if errors.Unwrap(ee) == nil || errors.Unwrap(ee).Error() != want {
		t.Errorf("Unwrap() = %v, want the cause %q", errors.Unwrap(ee), want)
	}
}

// checkChildStatus fails unless err is the quiet *ExitError of a child
// that exited with code: tok prints nothing, the child spoke for itself.
func checkChildStatus(t *testing.T, err error, code int) {
	t.Helper()
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *ExitError", err, err)
	}
	if ee.ExitCode() != code {
		t.Errorf("ExitCode() = %d, want %d", ee.ExitCode(), code)
	}
	if !ee.Quiet() || ee.Err != nil || errors.Unwrap(ee) != nil {
		t.Errorf("Quiet() = %v, Err = %v: want a quiet exit status", ee.Quiet(), ee.Err)
	}
	if want := "exit status " + strconv.Itoa(code); ee.Error() != want {
		t.Errorf("Error() = %q, want %q", ee.Error(), want)
	}
}

// TestSignalExit: a signal before the child started ends tok with the
// shell's 128+N, quietly; a signal that is not a syscall.Signal with 130.
func TestSignalExit(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
	}{
		{os.Interrupt, 130},
		{syscall.SIGTERM, 143},
		{syscall.SIGHUP, 129},
		{otherSignal{}, 130},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			checkChildStatus(t, SignalExit(tc.sig), tc.code)
		})
	}
}

// otherSignal is an os.Signal that is not a syscall.Signal.
type otherSignal struct{}

func (otherSignal) String() string { return "other" }
func (otherSignal) Signal()        {}

// TestCancelOnSignal: a signal ends the context and stop returns it; with
// no signal stop returns nil (and still ends the context); a cancelled
// parent ends it without a signal.
func TestCancelOnSignal(t *testing.T) {
	t.Run("signal", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		ctx, stop := CancelOnSignal(context.Background(), sigs)
		if ctx.Err() != nil {
			t.Fatalf("context ended before any signal: %v", ctx.Err())
		}
		sigs <- syscall.SIGTERM
		waitDone(t, ctx)
		if got := stop(); got != syscall.SIGTERM {
			t.Errorf("stop() = %v, want %v", got, syscall.SIGTERM)
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("ctx.Err() = %v, want context.Canceled", ctx.Err())
		}
	})
	t.Run("no signal", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		ctx, stop := CancelOnSignal(context.Background(), sigs)
		if got := stop(); got != nil {
			t.Errorf("stop() = %v, want nil", got)
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("after stop, ctx.Err() = %v, want context.Canceled", ctx.Err())
		}
		// Once stopped, a signal is no longer taken from the channel: it
		// is left for whoever watches next (Run forwards it to the child).
		sigs <- os.Interrupt
		select {
		case got := <-sigs:
			if got != os.Interrupt {
				t.Errorf("read back %v, want %v", got, os.Interrupt)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the stopped watcher took the signal")
		}
	})
	t.Run("signal as the watch stops", func(t *testing.T) {
		// A signal that is already waiting when stop is called is either
		// returned by stop (tok gives up) or left in the channel (Run
		// forwards it to the child), never swallowed: a lost SIGTERM
		// would leave the child running. The watcher goroutine may not
		// have run yet, so repeat to meet that ordering.
		for i := range 2000 {
			sigs := make(chan os.Signal, 1)
			sigs <- syscall.SIGTERM
			_, stop := CancelOnSignal(context.Background(), sigs)
			switch got := stop(); got {
			case syscall.SIGTERM:
			case nil:
				select {
				case <-sigs: // left for the next watcher
				case <-time.After(5 * time.Second):
					t.Fatalf("round %d: stop() returned nil but the signal is gone from the channel: it is lost", i)
				}
			default:
				t.Fatalf("round %d: stop() = %v, want %v or nil", i, got, syscall.SIGTERM)
			}
		}
	})
	t.Run("parent cancelled", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		ctx, stop := CancelOnSignal(parent, make(chan os.Signal))
		cancel()
		waitDone(t, ctx)
		if got := stop(); got != nil {
			t.Errorf("stop() = %v, want nil", got)
		}
	})
}

func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end")
	}
}
