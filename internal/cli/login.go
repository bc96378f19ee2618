package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/jwt"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

type loginOptions struct {
	withToken bool
	expiresAt string
	noBrowser bool
	flow      string
	timeout   time.Duration
	username  string
	pwStdin   bool
	remote    bool
	// redirectPort overrides the profile's redirect port for this login
	// when set (0 picks a free port).
	redirectPort *int
}

func newLoginCmd(d *Deps) *cobra.Command {
	var opts loginOptions
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
		Args:              d.profileArg,
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("redirect-port") {
				opts.redirectPort = &redirectPort
			}
			return d.runLogin(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&redirectPort, "redirect-port", 0, "loopback port for the browser flow's redirect this time (0: a free port; keep one with tok profile set NAME --redirect-port)")
	f.BoolVar(&opts.withToken, "with-token", false, "read a static profile's token from stdin")
	f.StringVar(&opts.expiresAt, "expires-at", "", "expiry of a static token (RFC 3339 or YYYY-MM-DD)")
	f.BoolVar(&opts.noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	f.BoolVar(&opts.remote, "remote", false, "browser flow with the browser on another machine: paste the address it ends on")
	f.StringVar(&opts.flow, "flow", "", "login flow for this time: auto, browser, device, client-credentials, password")
	f.DurationVar(&opts.timeout, "timeout", 0, "give up when the login has not finished after this long (default: when the device code expires; 5m for the browser)")
	f.StringVar(&opts.username, "username", "", "username for the password flow")
	f.BoolVar(&opts.pwStdin, "password-stdin", false, "read the password flow's password from stdin")
	_ = cmd.RegisterFlagCompletionFunc("flow", cobra.FixedCompletions([]string{"auto", "browser", "device", "client-credentials", "password"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (d *Deps) runLogin(ctx context.Context, opts loginOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	name, err := d.requireProfile(ctx)
	if err != nil {
		return err
	}
	p, err := svc.Profile(name)
	if err != nil {
		return err
	}
	if p.Type == record.Static {
		return d.loginStatic(ctx, svc, p.Name, opts)
	}
	if opts.withToken || opts.expiresAt != "" {
		return usagef("--with-token and --expires-at are for static profiles; profile %q is an oauth profile", p.Name)
	}
	flow, err := tokens.ParseFlow(opts.flow)
	if err != nil {
		return &usageError{err}
	}
	lopts := d.loginOptions(p.Name, flow, opts.noBrowser)
	// A reload of the browser tab shows the result for a moment longer:
	// Main waits for the listener after printing the outcome.
	lopts.UI.KeepResultFor = keepResultPage
	lopts.UI.Lingering = &d.lingering
	if opts.remote {
		switch {
		case flow != "" && flow != tokens.FlowAuto && flow != tokens.FlowBrowser:
			return usagef("--remote is for the browser flow, not --flow %s", flow)
		case !d.io.CanPrompt():
			return usagef("--remote needs a terminal to paste the browser's address into; run tok login -p %s --remote at a terminal", p.Name)
		}
		lopts.Flow = tokens.FlowBrowser
		lopts.UI.Paste = d.pasteLine
	}
	lopts.Username = opts.username
	if opts.redirectPort != nil {
		if *opts.redirectPort < 0 || *opts.redirectPort > 65535 {
			return usagef("--redirect-port %d is not a port (0-65535)", *opts.redirectPort)
		}
		lopts.RedirectPort = opts.redirectPort
	}
	if opts.pwStdin {
		lopts.Password = func() (string, error) { return readSecretStdin(d.io.In) }
	} else if d.io.CanPrompt() {
		lopts.Password = func() (string, error) { return d.io.ReadSecret("Password: ") }
	}
	timeout := loginTimeout(opts.timeout, tokens.ChooseFlow(&p, flow, lopts.Remote))
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
func loginTimeout(given time.Duration, flow tokens.Flow) time.Duration {
	switch {
	case given > 0:
		return given
	case flow == tokens.FlowDevice:
		return 0
	}
	return defaultBrowserTimeout
}

// loginOptions are the options of an interactive login by a person. Over
// SSH a browser login takes the pasted address (as with --remote): the
// browser that would open here is not the person's.
func (d *Deps) loginOptions(name string, flow tokens.Flow, noBrowser bool) tokens.LoginOptions {
	lo := tokens.LoginOptions{
		UI:     d.loginUI(name, noBrowser),
		Flow:   flow,
		Wait:   d.io.CanPrompt(),
		Remote: d.isRemote(),
	}
	if d.isSSH() && d.io.CanPrompt() {
		lo.UI.Paste = d.pasteLine
	}
	if d.io.CanPrompt() {
		// The password flow asks at the terminal (tok login replaces this
		// with --password-stdin when given).
		lo.Password = func() (string, error) { return d.io.ReadSecret("Password: ") }
	}
	return lo
}

// pasteLine reads one line typed or pasted at the terminal.
func (d *Deps) pasteLine(ctx context.Context) (string, error) {
	b, err := readLine(d.io.In)
	if err != nil {
		return "", err
	}
	if len(b) == 0 && ctx.Err() != nil {
		return "", ctx.Err()
	}
	return string(b), nil
}

// isSSH reports whether tok runs in an SSH session.
func (d *Deps) isSSH() bool {
	return d.getenv("SSH_CONNECTION") != "" || d.getenv("SSH_TTY") != ""
}

func (d *Deps) loginStatic(ctx context.Context, svc *tokens.Service, name string, opts loginOptions) error {
	var expires time.Time
	if opts.expiresAt != "" {
		var err error
		if expires, err = parseTime(opts.expiresAt); err != nil {
			return usagef("--expires-at: %v", err)
		}
	}
	var token string
	var err error
	switch {
	case opts.withToken:
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

// readSecretStdin reads a secret from stdin: the whole input with one
// trailing newline (and surrounding spaces) removed.
func readSecretStdin(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, record.MaxTokenSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > record.MaxTokenSize {
		// Cutting it would store a token that silently fails later.
		return "", errors.New("stdin holds more than 1 MiB, more than any token; nothing was stored")
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("stdin was empty")
	}
	return s, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; use RFC 3339 (2026-12-31T18:00:00Z) or a date (2026-12-31)", s)
}

func expiryPhrase(exp, now time.Time) string {
	if exp.IsZero() {
		return ""
	}
	return ", valid until " + when.Format(exp, now)
}

// humanDuration renders a duration for people: "42m", "3h5m", "expired 2m ago".
func humanDuration(d time.Duration) string {
	if d < 0 {
		return "expired " + when.Duration(d) + " ago"
	}
	return when.Duration(d)
}

// isRemote reports whether a local browser is unlikely to reach the person.
func (d *Deps) isRemote() bool {
	if d.isSSH() {
		return true
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		return d.getenv("DISPLAY") == "" && d.getenv("WAYLAND_DISPLAY") == ""
	}
	return false
}

// requireProfile resolves the profile for commands that need one: -p,
// TOK_PROFILE, the default, or the picker when a person is at a terminal.
func (d *Deps) requireProfile(ctx context.Context) (string, error) {
	if name := d.profileName(); name != "" {
		return name, nil
	}
	svc, err := d.service()
	if err != nil {
		return "", err
	}
	def, err := svc.DefaultProfile()
	if err != nil {
		return "", err
	}
	if def != "" {
		return def, nil
	}
	return d.chooseProfile(ctx)
}

// tokenOrLogin gets a token of profile name from svc and, when a login is required and a person is
// at a terminal (and the profile is an OAuth one), runs the login first.
func (d *Deps) tokenOrLogin(ctx context.Context, svc *tokens.Service, name string, topts record.Options, interactive bool) (record.Credential, error) {
	token := func(name string) (record.Credential, error) {
		return d.withRefreshProgress(ctx, name, func(ctx context.Context) (record.Credential, error) {
			return svc.Token(ctx, name, topts)
		})
	}
	cred, err := token(name)
	if name == "" && errors.Is(err, tokens.ErrNoProfile) {
		if !interactive {
			return record.Credential{}, errNoProfileSelected()
		}
		if name, err = d.chooseProfile(ctx); err != nil {
			return record.Credential{}, err
		}
		cred, err = token(name)
	}
	if err == nil || !errors.Is(err, tokens.ErrLoginRequired) || !interactive {
		return cred, err
	}
	p, perr := svc.Profile(name)
	if perr != nil || p.Type != record.OAuth {
		return cred, err
	}
	fmt.Fprintf(d.io.ErrOut, "Profile %q needs a login.\n", p.Name)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := d.signInQuietly(lctx, svc, p.Name, d.loginOptions(p.Name, "", false)); err != nil {
		return record.Credential{}, err
	}
	return token(p.Name)
}
