package cli

import (
	"context"
	"fmt"
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
