package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/huh"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tui"
)

// needsProfileForm reports whether tok profile add lacks values a person
// at a terminal can be asked for: the name, or for an OAuth profile the
// issuer (or endpoints) and the client ID.
func needsProfileForm(name string, o *profileOptions) bool {
	if name == "" {
		return true
	}
	if o.typ != string(record.OAuth) {
		return false
	}
	return (o.issuer == "" && o.tokenURL == "") || o.clientID == ""
}

// askProfile fills the missing values of tok profile add from the form
// (tui.AskProfile) and returns the profile name.
func (d *Deps) askProfile(ctx context.Context, name string, o *profileOptions) (string, error) {
	ans := tui.ProfileAnswers{Name: name, Type: o.typ, Issuer: o.issuer, ClientID: o.clientID, Flow: ""}
	if o.flow != "" && o.flow != string(record.FlowAuto) {
		ans.Flow = o.flow
	}
	if o.scopes != nil {
		ans.Scopes = strings.Join(o.scopes, ",")
	}
	if o.tokenURL != "" {
		ans.Issuer = o.tokenURL // explicit endpoints: nothing to discover
	}
	err := tui.AskProfile(ctx, tui.ProfileFormOptions{
		In:          d.io.In,
		Out:         d.io.ErrOut,
		ValidName:   tokens.ValidateName,
		ValidIssuer: oauth.ValidateIssuerURL,
		Discover: func(ctx context.Context, issuer string) (tui.Provider, error) {
			return d.discoverForForm(ctx, issuer, o.caFile)
		},
	}, &ans)
	if errors.Is(err, tui.ErrCancelled) {
		return "", errCancelled
	}
	if err != nil {
		return "", err
	}
	o.typ = ans.Type
	if ans.Type == string(record.OAuth) {
		if o.tokenURL == "" {
			o.issuer = ans.Issuer
		}
		o.clientID = ans.ClientID
		o.flow = ans.Flow
		o.scopes = strings.FieldsFunc(ans.Scopes, func(r rune) bool { return r == ',' || r == ' ' })
		if len(o.scopes) == 0 {
			o.scopes = nil // none typed: tok's default scopes
		}
	}
	return ans.Name, nil
}

// discoverForForm is what the form shows about an issuer.
func (d *Deps) discoverForForm(ctx context.Context, issuer, caFile string) (tui.Provider, error) {
	eps, err := tokens.HTTPDiscovery(15*time.Second)(ctx, issuer, caFile)
	if err != nil {
		return tui.Provider{}, err
	}
	p := tui.Provider{
		ScopesListed:  len(eps.ScopesSupported) > 0,
		OfflineAccess: slices.Contains(eps.ScopesSupported, "offline_access"),
		DefaultScopes: strings.Join(tokens.DefaultScopes(eps.ScopesSupported), ","),
	}
	if eps.AuthURL != "" {
		p.Flows = append(p.Flows, string(record.FlowBrowser))
	}
	if eps.DeviceAuthURL != "" {
		p.Flows = append(p.Flows, string(record.FlowDevice))
	}
	if len(eps.GrantTypes) == 0 || slices.Contains(eps.GrantTypes, "client_credentials") {
		p.Flows = append(p.Flows, string(record.FlowClientCredentials))
	}
	return p, nil
}

// offerFirstProfile is tok alone at a terminal with no profiles: it offers
// to add one instead of failing.
func (d *Deps) offerFirstProfile(ctx context.Context) error {
	add := true
	err := huh.NewForm(huh.NewGroup(huh.NewConfirm().
		Title("tok has no profiles yet. Add one now?").
		Description("A profile is a provider you sign in to, or a token you already have.").
		Affirmative("Add a profile").Negative("Not now").Value(&add))).
		WithInput(d.io.In).WithOutput(d.io.ErrOut).RunWithContext(ctx)
	switch {
	case errors.Is(err, huh.ErrUserAborted):
		return errCancelled
	case err != nil:
		return err
	case !add:
		d.io.ErrOut.Write([]byte("Add one later with: tok profile add\n"))
		return nil
	}
	var o profileOptions
	o.flow = string(record.FlowAuto)
	o.refreshMargin, o.maxAge = record.DefaultRefreshMargin, record.DefaultMaxAge
	return d.runProfileAdd(ctx, &profileAddOptions{Settings: o})
}
