package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/jwt"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

// loginOptions is what tok login's command line says.
type loginOptions struct {
	Profile       string        // -p or the argument; "" = TOK_PROFILE, the default or the picker
	WithToken     bool          // --with-token
	ExpiresAt     string        // --expires-at
	NoBrowser     bool          // --no-browser
	Flow          string        // --flow
	Timeout       time.Duration // --timeout
	Username      string        // --username
	PasswordStdin bool          // --password-stdin
	Remote        bool          // --remote
	// RedirectPort overrides the profile's redirect port for this login
	// when set (0 picks a free port).
	RedirectPort *int
}

// newCmdLogin builds tok login. It only parses: runF (nil = d.runLogin)
// does the work.
func newCmdLogin(d *Deps, runF func(*loginOptions) error) *cobra.Command {
	opts := &loginOptions{}
	var redirectPort int
	cmd := &cobra.Command{
		Use:   "login [PROFILE | -p PROFILE]",
		Short: "Sign in to a profile, or store a static profile's token",
		Long: `Sign in to an OAuth profile with its login flow, or store the secret of a
static profile. Logging in again replaces the profile's token state in one
step.

OAuth flows (the profile's --flow, or --flow here):
  browser             authorization code with PKCE; tok listens on 127.0.0.1
                      for the redirect and opens the browser ($BROWSER or the
                      system's) on a one-time local address that leads to the
                      provider; the URL is printed too (--no-browser only prints)
                      --remote: the browser is on another machine; tok prints
                      the URL and you paste the address the browser ends on
                      (http://127.0.0.1:PORT/...) from its address bar
  device              device authorization: open the printed URL on any device
                      and enter the code
  client-credentials  the client's own credentials, for machines
  password            username and password (deprecated by OAuth 2.1)
  auto                device when there is no local display or the session is
                      remote (SSH), otherwise browser; over SSH a browser
                      login (no device endpoint, or --flow browser) is --remote

Static profiles: the token is read from a hidden prompt, or from stdin with
--with-token. It never appears on the command line.`,
		Example: `  tok login api
  tok login -p api --flow device
  tok login -p api --remote          # over SSH, browser on your laptop
  tok login -p gh --with-token < token.txt
  pass show github | tok login -p gh --with-token --expires-at 2026-12-31`,
	}
	f := cmd.Flags()
	f.IntVar(&redirectPort, "redirect-port", 0, "loopback port for the browser flow's redirect this time (0: a free port; keep one with tok profile set NAME --redirect-port)")
	f.BoolVar(&opts.WithToken, "with-token", false, "read a static profile's token from stdin")
	f.StringVar(&opts.ExpiresAt, "expires-at", "", "expiry of a static token (RFC 3339 or YYYY-MM-DD)")
	f.BoolVar(&opts.NoBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	f.BoolVar(&opts.Remote, "remote", false, "browser flow with the browser on another machine: paste the address it ends on")
	f.StringVar(&opts.Flow, "flow", "", "login flow for this time: auto, browser, device, client-credentials, password")
	f.DurationVar(&opts.Timeout, "timeout", 0, "give up when the login has not finished after this long (default: when the device code expires; 5m for the browser)")
	f.StringVar(&opts.Username, "username", "", "username for the password flow")
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password flow's password from stdin")
	_ = cmd.RegisterFlagCompletionFunc("flow", cobra.FixedCompletions([]string{"auto", "browser", "device", "client-credentials", "password"}, cobra.ShellCompDirectiveNoFileComp))
	return d.withProfileArg(cmd, &opts.Profile, func(ctx context.Context) error {
		if cmd.Flags().Changed("redirect-port") {
			opts.RedirectPort = &redirectPort
		}
		if runF != nil {
			return runF(opts)
		}
		return d.runLogin(ctx, opts)
	})
}

// runLogin signs in to an OAuth profile, or stores a static profile's
// token.
func (d *Deps) runLogin(ctx context.Context, opts *loginOptions) error {
	svc, p, err := d.serviceAndProfile(ctx, opts.Profile)
	if err != nil {
		return err
	}
	if p.Type == record.Static {
		return d.loginStatic(ctx, svc, p.Name, opts.WithToken, opts.ExpiresAt)
	}
	if opts.WithToken || opts.ExpiresAt != "" {
		return usagef("--with-token and --expires-at are for static profiles; profile %q is an oauth profile", p.Name)
	}
	flow, err := record.ParseFlow(opts.Flow)
	if err != nil {
		return &usageError{err}
	}
	lopts := d.interactiveLogin(p.Name, flow, opts.NoBrowser)
	// A reload of the browser tab shows the result for a moment longer:
	// Main waits for the listener after printing the outcome.
	lopts.UI.KeepResultFor = keepResultPage
	lopts.UI.Lingering = d.lingering
	if opts.Remote {
		switch {
		case flow != "" && flow != record.FlowAuto && flow != record.FlowBrowser:
			return usagef("--remote is for the browser flow, not --flow %s", flow)
		case !d.io.CanPrompt():
			return usagef("--remote needs a terminal to paste the browser's address into; run tok login -p %s --remote at a terminal", p.Name)
		}
		lopts.Flow = record.FlowBrowser
		lopts.UI.Paste = d.pasteLine
	}
	lopts.Username = opts.Username
	if opts.RedirectPort != nil {
		if *opts.RedirectPort < 0 || *opts.RedirectPort > 65535 {
			return usagef("--redirect-port %d is not a port (0-65535)", *opts.RedirectPort)
		}
		lopts.RedirectPort = opts.RedirectPort
	}
	if opts.PasswordStdin {
		lopts.Password = func() (string, error) { return readSecretStdin(d.io.In) }
	} else if d.io.CanPrompt() {
		lopts.Password = func() (string, error) { return d.io.ReadSecret("Password: ") }
	}
	timeout := loginTimeout(opts.Timeout, tokens.ChooseFlow(&p, flow, lopts.Remote))
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cred, who, err := d.signIn(ctx, svc, p.Name, lopts)
	if timeout > 0 && ctx.Err() == context.DeadlineExceeded {
		return &tokens.Failure{Cause: err, Msg: fmt.Sprintf("login to profile %q did not finish within %s (--timeout); try again, with more time if needed: tok login %s --timeout %s", p.Name, timeout, p.Name, 2*timeout)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Logged in to profile %q%s%s.\n", p.Name, who, expiryPhrase(cred.Expiry, d.now()))
	return nil
}

// defaultBrowserTimeout bounds a browser login that is never completed.
const defaultBrowserTimeout = 5 * time.Minute

// loginTimeout is how long a login may wait for the person: --timeout
// when given; else a device login waits as long as its code is valid (the
// provider's expires_in bounds it) and a browser login 5 minutes.
func loginTimeout(given time.Duration, flow record.Flow) time.Duration {
	switch {
	case given > 0:
		return given
	case flow == record.FlowDevice:
		return 0
	}
	return defaultBrowserTimeout
}

// loginStatic stores a static profile's token, read from stdin
// (fromStdin: --with-token) or a hidden prompt, with its expiry
// (expiresAt: --expires-at; "" = none).
func (d *Deps) loginStatic(ctx context.Context, svc *tokens.Service, name string, fromStdin bool, expiresAt string) error {
	var expires time.Time
	if expiresAt != "" {
		var err error
		if expires, err = parseTime(expiresAt); err != nil {
			return usagef("--expires-at: %v", err)
		}
	}
	var token string
	var err error
	switch {
	case fromStdin:
		token, err = readSecretStdin(d.io.In)
	case d.io.CanPrompt():
		token, err = d.io.ReadSecret(fmt.Sprintf("Token for profile %q: ", name))
	default:
		return usagef("no terminal to prompt for the token of profile %q; pipe it in: tok login -p %s --with-token < FILE", name, name)
	}
	if err != nil {
		return fmt.Errorf("could not read the token: %w", err)
	}
	if err := svc.SetStaticToken(ctx, name, token, expires); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Stored the token of profile %q%s.\n", name, expiryPhrase(expires, d.now()))
	if w := staticExpiryWarning(name, token, expires, d.now()); w != "" {
		fmt.Fprintln(d.io.ErrOut, w)
	}
	return nil
}

// staticExpiryWarning warns when a static token is stored already expired:
// by --expires-at, or by the exp claim of a JWT. "" when it is not.
func staticExpiryWarning(name, token string, expires, now time.Time) string {
	consequence := "tok token refuses it (unless --allow-expired)"
	if expires.IsZero() {
		d, err := jwt.Decode(token)
		if err != nil {
			return ""
		}
		exp, ok := d.Time("exp")
		if !ok {
			return ""
		}
		expires, consequence = exp, "its exp claim says so, and its issuer will likely refuse it"
	}
	if expires.After(now) {
		return ""
	}
	return fmt.Sprintf("warning: the token stored for profile %q expired at %s; %s. Store a current one with: tok login -p %s --with-token", name, when.Format(expires, now), consequence, name)
}
