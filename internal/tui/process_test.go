package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// helperEnv makes the test binary act as a small program that uses this
// package the way tok does, so tests can watch it from outside: what
// reaches stdout, what a real terminal sees, how it takes a signal.
const helperEnv = "TOK_TUI_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "pick":
		os.Exit(helperPick())
	case "wait":
		os.Exit(helperWait())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperPick is `tok token` in miniature: the picker on stderr, the
// answer alone on stdout.
func helperPick() int {
	name, action, err := Pick(context.Background(), testItems(), PickOptions{
		In: os.Stdin, Out: os.Stderr, Title: "Choose a profile", Color: true,
	})
	if errors.Is(err, ErrCancelled) {
		return 130
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s %s\n", name, action)
	return 0
}

// helperWait waits on work that only ends when cancelled.
func helperWait() int {
	// Catch SIGINT from the start too, so that one arriving before Bubble
	// Tea listens cannot kill the process; the test then simply sends
	// another.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT)
	err := Wait(context.Background(), WaitOptions{Out: os.Stderr, Terminal: true},
		func() string { return "Waiting for the browser" },
		func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	fmt.Println(err)
	if errors.Is(err, ErrCancelled) {
		return 130
	}
	return 1
}

func helperCommand(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0])
	env := []string{helperEnv + "=" + mode, "TERM=xterm-256color"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") && !strings.HasPrefix(kv, "TERM=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		t.Fatalf("helper did not run: %v", err)
		return -1
	}
}

func TestPickKeepsStdoutForTheAnswer(t *testing.T) {
	cmd := helperCommand(t, "pick")
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader("lab\r")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if code := exitCode(t, cmd.Run()); code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr.String())
	}
	if got := stdout.String(); got != "k8s-lab choose\n" {
		t.Errorf("stdout = %q, want only the answer", got)
	}
}

func TestPickCancelledInAProcess(t *testing.T) {
	cmd := helperCommand(t, "pick")
	var stdout bytes.Buffer
	cmd.Stdin = strings.NewReader("api\x1b")
	cmd.Stdout = &stdout
	if code := exitCode(t, cmd.Run()); code != 130 {
		t.Errorf("exit code %d, want 130", code)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

func TestWaitCancelledByCtrlC(t *testing.T) {
	cmd := helperCommand(t, "wait")
	var stdout bytes.Buffer
	var stderr syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitForOutput(t, &stderr, "Waiting for the browser")

	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if code := exitCode(t, err); code != 130 {
				t.Errorf("exit code %d, want 130; stdout %q", code, stdout.String())
			}
			if got := stdout.String(); got != "cancelled\n" {
				t.Errorf("Wait returned %q, want ErrCancelled", got)
			}
			assertLineCleared(t, stderr.String(), "Waiting for the browser")
			return
		case <-deadline:
			t.Fatal("Ctrl-C did not stop Wait")
		case <-tick.C:
		}
	}
}
