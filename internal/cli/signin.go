package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// keepResultPage is how long `tok login` keeps the browser flow's listener
// serving the result page, so that a reload of the tab shows the result.
const keepResultPage = 3 * time.Second

// signIn runs an interactive login of profile name and says who signed
// in: the returned phrase is " as ACCOUNT" ("" when the provider did not
// say, e.g. without an ID token). When the account differs from the one
// of the profile's previous login it warns: another account arriving
// unasked is what a login planted by someone else looks like.
func (d *Deps) signIn(ctx context.Context, svc *tokens.Service, name string, lopts tokens.LoginOptions) (record.Credential, string, error) {
	before, err := svc.Identity(name)
	if err != nil {
		d.log.Debug("could not read the previous sign-in identity", "profile", name, "error", err)
	}
	cred, err := svc.Login(ctx, name, lopts)
	if err != nil {
		return cred, "", err
	}
	after, err := svc.Identity(name)
	if err != nil || after.IsZero() {
		return cred, "", nil
	}
	if !before.IsZero() && !before.Same(after) {
		fmt.Fprintf(d.io.ErrOut, "warning: profile %q was signed in as %s before and is now signed in as %s; if you did not mean to switch accounts, run: tok revoke -p %s, then log in again\n",
			name, before, after, name)
	}
	return cred, " as " + after.String(), nil
}

// signInQuietly is signIn for logins that happen on the way to something
// else (a token, the picker): one line says who signed in.
func (d *Deps) signInQuietly(ctx context.Context, svc *tokens.Service, name string, lopts tokens.LoginOptions) error {
	_, who, err := d.signIn(ctx, svc, name, lopts)
	if err == nil && who != "" {
		fmt.Fprintf(d.io.ErrOut, "Signed in to profile %q%s.\n", name, who)
	}
	return err
}

// loginUI is the part of the login options that talks to the person.
func (d *Deps) loginUI(name string, noBrowser bool) oauth.UI {
	ui := oauth.UI{
		Out: d.io.ErrOut,
		// Only ever tok's one-time start address or a provider's
		// validated verification address.
		OpenBrowser: d.openBrowser,
		NoBrowser:   noBrowser,
		Wait:        d.signInUI(),
		Log:         d.log,
		Profile:     name,
	}
	if name != ephemeralProfile {
		ui.RetryCommand = "tok login -p " + name
	}
	return ui
}

// interactiveLogin is the tokens.LoginOptions of a login by a person. Over
// SSH a browser login takes the pasted address (as with --remote): the
// browser that would open here is not the person's.
func (d *Deps) interactiveLogin(name string, flow record.Flow, noBrowser bool) tokens.LoginOptions {
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
	if err := d.signInQuietly(lctx, svc, p.Name, d.interactiveLogin(p.Name, "", false)); err != nil {
		return record.Credential{}, err
	}
	return token(p.Name)
}
