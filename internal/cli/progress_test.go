package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tui"
)

func TestSignInMessage(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	device := oauth.WaitStatus{Flow: oauth.WaitDevice, URL: "https://idp.example/device", UserCode: "WDJB-MJHT"}
	withExpiry := func(s oauth.WaitStatus, d time.Duration) oauth.WaitStatus { s.Expiry = now.Add(d); return s }
	for _, tc := range []struct {
		name   string
		status oauth.WaitStatus
		want   string
	}{
		{"browser", oauth.WaitStatus{Flow: oauth.WaitBrowser, URL: "https://idp.example/auth?x=1"},
			"Waiting for the sign-in in the browser (Ctrl-C cancels)"},
		{"device with time left", withExpiry(device, 9*time.Minute+41*time.Second+600*time.Millisecond),
			"Waiting for code WDJB-MJHT to be entered at https://idp.example/device (9m41s left, Ctrl-C cancels)"},
		{"device without expiry", device,
			"Waiting for code WDJB-MJHT to be entered at https://idp.example/device (Ctrl-C cancels)"},
		{"device code expired", withExpiry(device, -time.Second),
			"Waiting for code WDJB-MJHT to be entered at https://idp.example/device (the code has expired)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := signInMessage(tc.status, now); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// progressDeps is a Deps whose stderr is a buffer that claims to be a
// terminal (when terminal is set).
func progressDeps(terminal, debug bool) (*Deps, *syncbuf.Buffer) {
	ios, _, _, _ := iostreams.Test()
	errOut := &syncbuf.Buffer{}
	ios.ErrOut = errOut
	ios.SetTTY(terminal, false, terminal)
	d := newDeps(ios, func(string) string { return "" })
	d.debug = debug
	return d, errOut
}

func TestSignInUIOnlyOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		terminal, debug, want bool
	}{
		{terminal: true, want: true},
		{terminal: false},
		{terminal: true, debug: true}, // log lines would tear the spinner
	} {
		d, _ := progressDeps(tc.terminal, tc.debug)
		if got := d.signInUI() != nil; got != tc.want {
			t.Errorf("terminal=%v debug=%v: spinner wait set = %v, want %v", tc.terminal, tc.debug, got, tc.want)
		}
	}
}

// TestSignInUIRunsTheBlock: the flow's wait runs under a spinner that
// shows the code, the URL and the time left.
func TestSignInUIRunsTheBlock(t *testing.T) {
	d, errOut := progressDeps(true, false)
	wait := d.signInUI()
	status := oauth.WaitStatus{Flow: oauth.WaitDevice, URL: "https://idp.example/device", UserCode: "WDJB-MJHT", Expiry: time.Now().Add(5 * time.Minute)}
	err := wait(t.Context(), status, func(ctx context.Context) error {
		if err := awaitText(errOut, "WDJB-MJHT"); err != nil {
			return err
		}
		return awaitText(errOut, "https://idp.example/device")
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ansi.Strip(errOut.String()), "left, Ctrl-C") {
		t.Errorf("spinner lacks the time left: %q", errOut.String())
	}
}

// TestAsCancelled: Ctrl-C under a spinner is tok's cancellation (exit
// 130); other errors pass unchanged.
func TestAsCancelled(t *testing.T) {
	for _, err := range []error{tui.ErrCancelled, fmt.Errorf("device sign-in: %w", tui.ErrCancelled)} {
		if got := exitCode(asCancelled(err)); got != ExitCancelled {
			t.Errorf("%v: exit code %d, want %d", err, got, ExitCancelled)
		}
	}
	other := errors.New("boom")
	if got := asCancelled(other); got != other {
		t.Errorf("asCancelled changed %v into %v", other, got)
	}
}

// warningService is a Service whose profile "ci" is inside its refresh
// margin while its provider fails: each Token call warns (through the
// call's context, or Service.Warn) and returns the current token.
func warningService(t *testing.T, d *Deps) *tokens.Service {
	t.Helper()
	srv := authserver.New(t, authserver.Options{})
	srv.AddClient(authserver.Client{ID: "svc", Secret: "s3cret"})
	clock := time.Now()
	d.now = func() time.Time { return clock }
	env := map[string]string{"TOK_HOME": t.TempDir(), "TOK_KEY_SOURCE": "file"}
	d.getenv = func(k string) string { return env[k] }
	addClientCredentials(t, d, srv, "ci")
	svc, _ := d.service()
	if _, err := svc.Token(t.Context(), "ci", record.Options{}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour - 30*time.Second)
	srv.FailTokenRequests(500)
	return svc
}

const refreshWarning = `warning: could not refresh profile "ci"`

// TestRefreshProgressHoldsWarnings: a slow refresh on a terminal shows a
// spinner, and a warning the Service gives meanwhile appears after it,
// whole, instead of inside the spinner's line.
func TestRefreshProgressHoldsWarnings(t *testing.T) {
	d, errOut := progressDeps(true, false)
	d.progressDelay = time.Nanosecond // the spinner at once: the refresh is "slow"
	svc := warningService(t, d)
	cred, err := d.withRefreshProgress(t.Context(), "ci", func(ctx context.Context) (record.Credential, error) {
		if err := awaitText(errOut, `Refreshing the token of profile "ci"`); err != nil {
			return record.Credential{}, err
		}
		return svc.Token(ctx, "ci", record.Options{})
	})
	if err != nil || cred.Token == "" {
		t.Fatalf("got %+v, %v", cred, err)
	}
	out := errOut.String()
	spin := strings.LastIndex(out, "Refreshing the token")
	warn := strings.Index(out, refreshWarning)
	if spin < 0 || warn < spin || !strings.Contains(out[spin:warn], "\x1b[2K") {
		t.Errorf("warning not printed after the erased spinner line: %q", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out[warn:], "\n") != 1 {
		t.Errorf("warning not printed whole at the end: %q", out)
	}
}

// TestRefreshProgressQuietWhenQuickOrPiped: a quick token and any token
// without a terminal leave stderr to the Service's own lines. Off a
// terminal the delay is made a nanosecond, so every fetch is slow enough
// for a spinner that must still not appear.
func TestRefreshProgressQuietWhenQuickOrPiped(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		d, errOut := progressDeps(terminal, false)
		if !terminal {
			d.progressDelay = time.Nanosecond
		}
		svc := warningService(t, d)
		_, err := d.withRefreshProgress(t.Context(), "", func(ctx context.Context) (record.Credential, error) {
			if _, err := svc.Token(ctx, "ci", record.Options{}); err != nil {
				return record.Credential{}, err
			}
			return record.Credential{}, errors.New("boom")
		})
		if err == nil || err.Error() != "boom" {
			t.Errorf("terminal=%v: err = %v, want fetch's", terminal, err)
		}
		if got := errOut.String(); !strings.HasPrefix(got, refreshWarning) || strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
			t.Errorf("terminal=%v: stderr = %q, want only the warning", terminal, got)
		}
	}
}

// awaitText polls b until it shows want (escape sequences removed).
func awaitText(b *syncbuf.Buffer, want string) error {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ansi.Strip(b.String()), want) {
		if time.Now().After(deadline) {
			return fmt.Errorf("never showed %q; got %q", want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
