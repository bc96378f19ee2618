//go:build unix

package e2e

// Tests of tok at a real terminal: the profile picker, the login spinner
// and the status table, drawn on a pseudo-terminal while stdout stays a
// pipe, as in TOKEN=$(tok token) typed at a shell prompt.

import (
	"fmt"
	"github.com/tok-cli/tok/internal/testkit/need"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// sgr matches a Select Graphic Rendition sequence: colour or bold.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// TerminalOptions shape the pseudo-terminal of StartTerminal.
type TerminalOptions struct {
	Cols, Rows uint16 // default 80x24
	// ZeroSize leaves the terminal at 0x0, as some containers do.
	ZeroSize bool
	// StdoutOnTerminal puts stdout on the terminal too (tok status typed
	// at a prompt); by default stdout is a pipe the test reads.
	StdoutOnTerminal bool
}

// Terminal is tok running with stdin and stderr on a pseudo-terminal, the
// session's controlling terminal, so Ctrl-C typed on it sends SIGINT.
type Terminal struct {
	*running
	ptmx   *os.File
	screen syncbuf.Buffer // every byte the terminal received
	stdout syncbuf.Buffer
	copied chan struct{}
}

// StartTerminal starts tok with args in env on a new pseudo-terminal. The
// process leads its own session; it is killed when the test ends if it
// still runs. The Result's Stderr is everything the terminal showed.
func StartTerminal(t testing.TB, env Env, opts TerminalOptions, args ...string) *Terminal {
	t.Helper()
	if opts.Cols == 0 && !opts.ZeroSize {
		opts.Cols, opts.Rows = 80, 24
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		need.Missing(t, fmt.Sprintf("no pseudo-terminal (%v)", err))
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: opts.Cols, Rows: opts.Rows}); err != nil {
		t.Fatalf("could not size the pseudo-terminal: %v", err)
	}
	cmd := exec.Command(tokPath, args...)
	cmd.Env = env.list()
	term := &Terminal{ptmx: ptmx, copied: make(chan struct{})}
	cmd.Stdin, cmd.Stderr = tty, tty
	cmd.Stdout = &term.stdout
	if opts.StdoutOnTerminal {
		cmd.Stdout = tty
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	term.running = startRunning(t, cmd, append([]string{"tok"}, args...), term.output, func() { ptmx.Close() })
	tty.Close() // the child holds its own copy; reads end with EIO once it exits
	go func() {
		defer close(term.copied)
		_, _ = io.Copy(&terminalAnswers{screen: &term.screen, pty: ptmx}, ptmx)
	}()
	return term
}

// terminalAnswers records what the terminal receives and answers the
// queries a real terminal answers: the background colour (OSC 11) and the
// cursor position (DSR 6). Bubble Tea v1 asks both when it starts with
// stdout on a terminal, and waits five seconds for replies that never come
// from a silent pseudo-terminal.
type terminalAnswers struct {
	screen *syncbuf.Buffer
	pty    io.Writer
	tail   string // the end of the previous write, for queries split across writes
}

const (
	queryBackground = "\x1b]11;?"
	queryPosition   = "\x1b[6n"
)

func (a *terminalAnswers) Write(p []byte) (int, error) {
	n, err := a.screen.Write(p)
	seen := a.tail + string(p[:n])
	for range strings.Count(seen, queryBackground) - strings.Count(a.tail, queryBackground) {
		_, _ = io.WriteString(a.pty, "\x1b]11;rgb:0000/0000/0000\x1b\\")
	}
	for range strings.Count(seen, queryPosition) - strings.Count(a.tail, queryPosition) {
		_, _ = io.WriteString(a.pty, "\x1b[1;1R")
	}
	a.tail = seen[max(0, len(seen)-len(queryBackground)+1):]
	return n, err
}

// output is what tok printed: stdout, and everything the terminal showed
// as its stderr. It is called once tok has exited.
func (term *Terminal) output() (stdout, stderr string) {
	// What the child wrote last is still in the terminal's buffer.
	select {
	case <-term.copied:
	case <-time.After(waitDelay):
	}
	return term.stdout.String(), term.screen.String()
}

// Screen is everything the terminal showed so far, escape sequences
// included.
func (term *Terminal) Screen() string { return term.screen.String() }

// WaitScreen waits until the terminal, escape sequences removed, shows
// text, and fails the test when tok exits first or DefaultTimeout passes.
func (term *Terminal) WaitScreen(t testing.TB, text string) {
	t.Helper()
	term.WaitScreenMatch(t, regexp.MustCompile(regexp.QuoteMeta(text)))
}

// WaitScreenMatch is WaitScreen for a pattern; it returns the submatches.
func (term *Terminal) WaitScreenMatch(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	return term.waitOutput(t, re, "the terminal", func() string { return ansi.Strip(term.Screen()) })
}

// Type sends keys as a person types them.
func (term *Terminal) Type(t testing.TB, keys string) {
	t.Helper()
	if _, err := term.ptmx.WriteString(keys); err != nil {
		t.Fatalf("typing %q: %v", keys, err)
	}
}

// terminalEnv is a FileKeyEnv for a colour terminal.
func terminalEnv(t testing.TB) Env {
	t.Helper()
	return FileKeyEnv(t).With("TERM=xterm-256color")
}

// pickerProfiles are the profiles of the picker tests: three static
// profiles with tokens and one without, and no default profile.
type pickerProfiles struct {
	env                 Env
	apiProd, gh, k8sLab string // their tokens
}

func addPickerProfiles(t *testing.T) pickerProfiles {
	t.Helper()
	pp := pickerProfiles{env: terminalEnv(t), apiProd: NewSecret(t), gh: NewSecret(t), k8sLab: NewSecret(t)}
	addStatic(t, pp.env, "api-prod", pp.apiProd, "--description", "Production API")
	addStatic(t, pp.env, "gh-work", pp.gh)
	addStatic(t, pp.env, "k8s-lab", pp.k8sLab)
	RunOK(t, pp.env, "", "profile", "add", "empty", "--type", "static")

	// The first profile added became the default; a person who has several
	// and no default is who the picker is for.
	r := Run(t, pp.env, "", "use", "--unset")
	WantCode(t, r, 0)
	WantStderr(t, r, `Profile "api-prod" is no longer the default`)
	r = Run(t, pp.env, "", "use", "--unset")
	WantCode(t, r, 0)
	WantStderr(t, r, "There was no default profile.")
	return pp
}

// wantOnlyData fails unless stdout is exactly want, with no escape
// sequence: what a script or $(...) captures.
func wantOnlyData(t testing.TB, r Result, want string) {
	t.Helper()
	if r.Stdout != want {
		t.Errorf("stdout = %q, want %q; %s", r.Stdout, want, r)
	}
	if strings.Contains(r.Stdout, "\x1b") {
		t.Errorf("stdout holds an escape sequence: %q", r.Stdout)
	}
}

// TestTerminalPicker is the "done when": a person with several
// profiles runs tok token with no flags at a terminal, picks one from a
// list that shows each profile's state, and gets the token on stdout.
func TestTerminalPicker(t *testing.T) {
	t.Parallel()
	pp := addPickerProfiles(t)
	env := pp.env

	t.Run("token: filter and Enter", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "token")
		term.WaitScreen(t, "4 profiles")
		for _, badge := range []string{"api-prod", "Production API", "gh-work", "k8s-lab", "empty", "valid", "no token"} {
			term.WaitScreen(t, badge)
		}
		if !sgr.MatchString(term.Screen()) {
			t.Error("the picker on a colour terminal has no colour")
		}
		term.Type(t, "k8s")
		term.WaitScreen(t, "1 of 4 profiles")
		term.Type(t, "\r")
		r := term.Wait(t)
		WantCode(t, r, 0)
		wantOnlyData(t, r, pp.k8sLab+"\n")
	})

	// A terminal that reports 0x0 cannot show a list: tok behaves as off a
	// terminal (exit 2, name the profile) instead of drawing blank lines.
	t.Run("token: a 0x0 terminal gets no picker", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{ZeroSize: true}, "token")
		r := term.Wait(t)
		WantCode(t, r, 2)
		WantStderr(t, r, "pass -p NAME or set TOK_PROFILE")
		if strings.Contains(r.Stderr, "profiles") && strings.Contains(r.Stderr, "api-prod") {
			t.Errorf("a picker was drawn on a 0x0 terminal: %q", r.Stderr)
		}
		wantOnlyData(t, r, "")
	})

	t.Run("token: Esc cancels", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "token")
		term.WaitScreen(t, "4 profiles")
		term.Type(t, "\x1b")
		r := term.Wait(t)
		WantCode(t, r, 130)
		wantOnlyData(t, r, "")
	})

	t.Run("token: Ctrl-C cancels", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "token")
		term.WaitScreen(t, "4 profiles")
		term.Type(t, "\x03")
		r := term.Wait(t)
		WantCode(t, r, 130)
		wantOnlyData(t, r, "")
	})

	t.Run("token: a profile without a token says what to run", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "token")
		term.WaitScreen(t, "4 profiles")
		term.Type(t, "empty")
		term.WaitScreen(t, "1 of 4 profiles")
		term.Type(t, "\r")
		r := term.Wait(t)
		WantCode(t, r, 4)
		WantStderr(t, r, `profile "empty" holds no token`, "tok login -p empty")
		wantOnlyData(t, r, "")
	})

	t.Run("tok with no arguments shows the chosen profile", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{})
		term.WaitScreen(t, "4 profiles")
		term.Type(t, "gh-w")
		term.WaitScreen(t, "1 of 4 profiles")
		term.Type(t, "\r")
		r := term.Wait(t)
		WantCode(t, r, 0)
		if !regexp.MustCompile(`(?m)^Name:\s+gh-work$`).MatchString(r.Stdout) || !regexp.MustCompile(`(?m)^Type:\s+static$`).MatchString(r.Stdout) {
			t.Errorf("stdout does not show gh-work's details: %q", r.Stdout)
		}
		if strings.Contains(r.Stdout, "\x1b") || strings.Contains(r.Stdout, pp.gh) {
			t.Errorf("stdout holds an escape sequence or the token: %q", r.Stdout)
		}
	})

	t.Run("NO_COLOR: no colour, still a picker", func(t *testing.T) {
		term := StartTerminal(t, env.With("NO_COLOR=1"), TerminalOptions{Cols: 40, Rows: 24}, "token")
		term.WaitScreen(t, "4 profiles")
		term.WaitScreen(t, "api-prod")
		term.Type(t, "api")
		term.WaitScreen(t, "1 of 4 profiles")
		term.Type(t, "\r")
		r := term.Wait(t)
		WantCode(t, r, 0)
		wantOnlyData(t, r, pp.apiProd+"\n")
		if m := sgr.FindString(r.Stderr); m != "" {
			t.Errorf("NO_COLOR=1 but the terminal got %q", m)
		}
	})

	t.Run("use with no name picks the default", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "use")
		term.WaitScreen(t, "4 profiles")
		term.Type(t, "gh")
		term.WaitScreen(t, "1 of 4 profiles")
		term.Type(t, "\r")
		r := term.Wait(t)
		WantCode(t, r, 0)
		WantStderr(t, r, `Default profile is now "gh-work"`)
		wantOnlyData(t, r, "")
		// With a default, tok token no longer asks.
		r = Run(t, env, "", "token")
		WantCode(t, r, 0)
		wantOnlyData(t, r, pp.gh+"\n")
		RunOK(t, env, "", "use", "--unset")
	})
}

// TestTerminalStatusTable: tok status typed at a prompt draws a coloured
// table on the terminal; piped, the same columns come without any escape
// sequence.
func TestTerminalStatusTable(t *testing.T) {
	t.Parallel()
	env := terminalEnv(t)
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static")
	RunOK(t, env, NewSecret(t)+"\n", "login", "-p", "gh", "--with-token", "--expires-at", "2099-12-31")
	RunOK(t, env, "", "profile", "add", "empty", "--type", "static")

	term := StartTerminal(t, env, TerminalOptions{StdoutOnTerminal: true}, "status")
	r := term.Wait(t)
	WantCode(t, r, 0)
	screen := r.Stderr
	if !sgr.MatchString(screen) {
		t.Errorf("tok status at a colour terminal has no colour: %q", screen)
	}

	piped := Run(t, env, "", "status")
	WantCode(t, piped, 0)
	if strings.Contains(piped.Stdout+piped.Stderr, "\x1b") {
		t.Errorf("piped tok status holds an escape sequence: %s", piped)
	}
	lines := strings.Split(strings.TrimRight(piped.Stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "PROFILE") ||
		!regexp.MustCompile(`^empty\s+static\s.*\sno token\s`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^gh \*\s+static\s.*\svalid for \d+d\s`).MatchString(lines[2]) {
		t.Errorf("piped tok status:\n%s", piped.Stdout)
	}
	// The terminal shows the same table, colours aside (and with the
	// terminal's CRLF line ends).
	if got := strings.ReplaceAll(ansi.Strip(screen), "\r\n", "\n"); got != piped.Stdout {
		t.Errorf("terminal table, colours removed:\n%q\npiped:\n%q", got, piped.Stdout)
	}
}

// authURLOnScreen matches the authorization URL tok login prints on a line
// of its own; a terminal ends lines with CRLF.
var authURLOnScreen = regexp.MustCompile(`\n {4}(https?://\S+)\r?\n`)

// TestTerminalLoginSpinner: while a browser login waits for the redirect,
// the terminal shows a spinner instead of the plain waiting line, and the
// spinner's line is gone when the login ends; Ctrl-C cancels with 130.
func TestTerminalLoginSpinner(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := terminalEnv(t)
	addOAuth(t, env, "api", srv)

	t.Run("signed in", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api", "--no-browser", "--timeout", "15s")
		authURL := term.WaitScreenMatch(t, authURLOnScreen)[1]
		term.WaitScreen(t, "Waiting for the sign-in in the browser (Ctrl-C cancels)")
		if err := FollowRedirects(srv.HTTPClient())(authURL); err != nil {
			t.Fatalf("approving the login: %v", err)
		}
		r := term.Wait(t)
		WantCode(t, r, 0)
		WantStderr(t, r, `Logged in to profile "api"`)
		wantOnlyData(t, r, "")
		screen := r.Stderr
		if strings.Contains(screen, "listening on http") {
			t.Errorf("the plain waiting line was printed as well as the spinner: %q", ansi.Strip(screen))
		}
		last := strings.LastIndex(screen, "Waiting for the sign-in in the browser")
		if done := strings.Index(screen, "Logged in"); !strings.Contains(screen[last:done], "\x1b[2K") {
			t.Errorf("the spinner line was not erased before the next line: %q", screen[last:])
		}
		if tok := SingleLine(t, "tok token", RunOK(t, env, "", "token", "-p", "api")); tok == "" {
			t.Error("no token after the login")
		}
	})

	t.Run("Ctrl-C", func(t *testing.T) {
		term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api", "--no-browser", "--timeout", "15s")
		term.WaitScreen(t, "Waiting for the sign-in in the browser")
		term.Type(t, "\x03")
		r := term.Wait(t)
		WantCode(t, r, 130)
		wantOnlyData(t, r, "")
	})
}

// slowProxy returns a URL for endpoint that answers like it after delay:
// a slow token endpoint, the only fault this test injects.
func slowProxy(t testing.TB, endpoint string, delay time.Duration) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// TestTerminalSlowRefreshSpinner: a token fetch that takes long shows a
// spinner on the terminal, erased before tok exits, while stdout holds only
// the token; the same slow fetch in a pipe writes nothing to stderr.
func TestTerminalSlowRefreshSpinner(t *testing.T) {
	t.Parallel()
	srv := authserver.New(t, authserver.Options{})
	secret := NewSecret(t)
	srv.AddClient(authserver.Client{ID: "svc", Secret: secret})
	slow := slowProxy(t, srv.TokenURL(), 1500*time.Millisecond)
	env := terminalEnv(t)
	RunOK(t, env, secret+"\n", "profile", "add", "ci", "--token-url", slow, "--client-id", "svc",
		"--client-secret-stdin", "--flow", "client-credentials", "--scopes", "profile")

	// No token yet: a client-credentials profile fetches its first one
	// without a person, which is what refreshing means for it.
	term := StartTerminal(t, env, TerminalOptions{}, "token", "-p", "ci")
	term.WaitScreen(t, `Refreshing the token of profile "ci"`)
	r := term.Wait(t)
	WantCode(t, r, 0)
	tok := SingleLine(t, "tok token", r.Stdout)
	wantOnlyData(t, r, tok+"\n")
	last := strings.LastIndex(r.Stderr, "Refreshing the token")
	if !strings.Contains(r.Stderr[last:], "\x1b[2K") {
		t.Errorf("the spinner line was not erased: %q", r.Stderr[last:])
	}

	piped := Run(t, env, "", "refresh", "-p", "ci")
	WantCode(t, piped, 0)
	if strings.Contains(piped.Stderr, "\x1b") || strings.Contains(piped.Stderr, "Refreshing the token") {
		t.Errorf("a slow refresh in a pipe showed progress: %s", piped)
	}
}
