package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tui"
)

// pickProfile shows the profile picker on the terminal (stderr, never
// stdout) and returns the chosen profile and action. Callers check
// d.io.CanPrompt() first: scripts never see the picker.
func (d *Deps) pickProfile(ctx context.Context, title string) (string, tui.Action, error) {
	svc, err := d.service()
	if err != nil {
		return "", 0, err
	}
	list, err := svc.List()
	if err != nil {
		return "", 0, err
	}
	if len(list) == 0 {
		return "", 0, fmt.Errorf("%w; no profiles yet, add one with: tok profile add NAME", tokens.ErrNoProfile)
	}
	items := make([]tui.Item, 0, len(list))
	for _, ps := range list {
		it := tui.Item{
			Name:        ps.Profile.Name,
			Type:        string(ps.Profile.Type),
			Issuer:      ps.Profile.IssuerHost(),
			Description: ps.Profile.Description,
			Status:      string(ps.Status),
			Default:     ps.Default,
		}
		if !ps.Expiry.IsZero() {
			it.ExpiresIn = ps.Expiry.Sub(d.now())
		}
		items = append(items, it)
	}
	name, action, err := tui.Pick(ctx, items, tui.PickOptions{
		In:    d.io.In,
		Out:   d.io.ErrOut,
		Title: title,
		Color: d.io.ColorEnabled(),
	})
	if errors.Is(err, tui.ErrCancelled) {
		return "", 0, errCancelled
	}
	return name, action, err
}

// errNoProfileSelected is the error (exit 2) for a script that names no
// profile when there is no default: it fails at once, never prompts.
func errNoProfileSelected() error {
	return fmt.Errorf("%w; pass -p NAME or set TOK_PROFILE (or choose a default with: tok use NAME)", tokens.ErrNoProfile)
}

// chooseProfile resolves a profile for a command that needs one when none
// was named and there is no default: the picker for a person, an error
// (exit 2) for a script.
func (d *Deps) chooseProfile(ctx context.Context) (string, error) {
	if !d.io.CanDraw() {
		return "", errNoProfileSelected()
	}
	for {
		name, action, err := d.pickProfile(ctx, "Choose a profile")
		if err != nil {
			return "", err
		}
		done, err := d.pickerAction(ctx, name, action)
		if err != nil || done {
			return name, err
		}
	}
}

// pickerAction carries out a picker key other than Enter. It reports
// whether the picker is done (Enter) or should be shown again.
func (d *Deps) pickerAction(ctx context.Context, name string, action tui.Action) (bool, error) {
	svc, err := d.service()
	if err != nil {
		return true, err
	}
	switch action {
	case tui.Login:
		p, err := svc.Profile(name)
		if err != nil {
			return true, err
		}
		if p.Type == record.Static {
			return false, d.loginStatic(ctx, svc, name, false, "")
		}
		if err := d.signInQuietly(ctx, svc, name, d.interactiveLogin(name, "", false)); err != nil {
			fmt.Fprintf(d.io.ErrOut, "tok: %v\n", err)
		}
		return false, nil
	case tui.Refresh:
		if cred, err := d.withRefreshProgress(ctx, name, func(ctx context.Context) (record.Credential, error) {
			return svc.Refresh(ctx, name)
		}); err != nil {
			fmt.Fprintf(d.io.ErrOut, "tok: %v\n", err)
		} else {
			fmt.Fprintf(d.io.ErrOut, "Refreshed profile %q%s.\n", name, expiryPhrase(cred.Expiry, d.now()))
		}
		return false, nil
	case tui.SetDefault:
		if err := svc.SetDefault(name); err != nil {
			return true, err
		}
		fmt.Fprintf(d.io.ErrOut, "Default profile is now %q.\n", name)
		return false, nil
	}
	return true, nil
}
