//go:build unix

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// noProfileSelected is what tok says, with exit 2, when a command needs a
// profile, none is named or set as default, and no person can pick one.
const noProfileSelected = "no profile selected; pass -p NAME or set TOK_PROFILE"

// promptSigns are texts only an interactive prompt or the picker shows.
var promptSigns = []string{"Choose a profile", "profiles ·", "Token for profile", "Password:", "enter choose", "esc cancel"}

// TestPipedNeverInteractive: with stdin, stdout and stderr all pipes, as
// in a script or CI job, no command shows the picker, a prompt, a spinner
// or any escape sequence, even with a colour TERM; a command that needs a
// profile fails at once with exit 2 and says how to name one.
func TestPipedNeverInteractive(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := terminalEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "gh", secret)
	addStatic(t, env, "lab", NewSecret(t))
	addOAuth(t, env, "api", srv)
	RunOK(t, env, "", "use", "--unset")

	// stdin is a pipe holding a line, so nothing can mistake it for a
	// closed input either.
	const stdin = "k8s\n"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string // what stderr must say
		stdout string   // exact stdout, when it matters
		quick  bool     // must fail fast
	}{
		{name: "token", args: []string{"token"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "token json", args: []string{"token", "-o", "json"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "exec", args: []string{"exec", "--", "true"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "kube", args: []string{"kube"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "login without a profile", args: []string{"login"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "refresh", args: []string{"refresh"}, code: 2, stderr: []string{noProfileSelected}, stdout: "", quick: true},
		{name: "use without a name", args: []string{"use"}, code: 2, stderr: []string{"no terminal to pick one on", "tok use NAME"}, stdout: "", quick: true},
		{name: "login to a static profile", args: []string{"login", "-p", "lab"}, code: 2, stderr: []string{"no terminal to prompt", "--with-token"}, stdout: "", quick: true},
		{
			// An OAuth login without a person still prints its
			// instructions, as plain lines, and the one waiting line
			// instead of a spinner.
			name: "oauth login", args: []string{"login", "-p", "api", "--no-browser", "--timeout", "1s"}, code: 1,
			stderr: []string{"To sign in, open this URL", srv.Issuer(), "Waiting for the sign-in to finish", "did not finish within 1s"}, stdout: "",
		},
		{name: "bare tok", args: nil, code: 0, stderr: nil},
		{name: "status", args: []string{"status"}, code: 0},
		{name: "profile list", args: []string{"profile", "list"}, code: 0},
		{name: "token with a profile", args: []string{"token", "-p", "gh"}, code: 0, stdout: secret + "\n", quick: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(t, env, stdin, tc.args...)
			WantCode(t, r, tc.code)
			WantStderr(t, r, tc.stderr...)
			if tc.stdout != "" || tc.code != 0 {
				if r.Stdout != tc.stdout {
					t.Errorf("stdout = %q, want %q", r.Stdout, tc.stdout)
				}
			}
			for stream, out := range map[string]string{"stdout": r.Stdout, "stderr": r.Stderr} {
				if i := strings.IndexByte(out, '\x1b'); i >= 0 {
					t.Errorf("%s holds an escape sequence at %d: %q", stream, i, out)
				}
				for _, sign := range promptSigns {
					if strings.Contains(out, sign) {
						t.Errorf("%s shows %q, a sign of a prompt or the picker: %q", stream, sign, out)
					}
				}
			}
			if tc.quick && r.Elapsed > 3*time.Second {
				t.Errorf("took %s; without a person it must fail or answer at once", r.Elapsed)
			}
		})
	}

	// The listings still hold the data.
	if out := RunOK(t, env, stdin, "status"); !strings.Contains(out, "PROFILE") || !strings.Contains(out, "gh") || !strings.Contains(out, "api") {
		t.Errorf("piped status:\n%s", out)
	}
	if out := RunOK(t, env, stdin); !strings.Contains(out, "Usage:") {
		t.Errorf("bare tok without a terminal should print help on stdout, got:\n%s", out)
	}
}
