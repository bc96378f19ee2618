package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/huh"
)

// ProfileAnswers are the settings the add-profile form asks for. Fields
// already set (from flags) are not asked again.
type ProfileAnswers struct {
	Name     string
	Type     string // "static" or "oauth"
	Issuer   string
	ClientID string
	Scopes   string // comma-separated
	Flow     string
}

// Provider is what discovery found at an issuer, shown in the form.
type Provider struct {
	// Flows the provider supports, of browser, device, client-credentials.
	Flows []string
	// ScopesListed: the provider lists its scopes; OfflineAccess: the list
	// holds offline_access (refresh tokens for people).
	ScopesListed, OfflineAccess bool
	// DefaultScopes are the scopes tok would ask for, comma-separated.
	DefaultScopes string
}

// ProfileFormOptions are the streams of the form and the checks it runs
// as the person types.
type ProfileFormOptions struct {
	In  io.Reader
	Out io.Writer
	// ValidName and ValidIssuer check an answer; the error is shown under
	// the field.
	ValidName   func(string) error
	ValidIssuer func(string) error
	// Discover fetches what the issuer supports.
	Discover func(ctx context.Context, issuer string) (Provider, error)
}

// AskProfile asks for the missing settings of a new profile in a short
// form on the terminal: name and type, then for OAuth the issuer, what
// discovery found there, the client ID, scopes and flow. Esc or Ctrl-C
// return ErrCancelled.
func AskProfile(ctx context.Context, opts ProfileFormOptions, a *ProfileAnswers) error {
	run := func(groups ...*huh.Group) error {
		var kept []*huh.Group
		for _, g := range groups {
			if g != nil {
				kept = append(kept, g)
			}
		}
		if len(kept) == 0 {
			return nil
		}
		err := huh.NewForm(kept...).WithInput(opts.In).WithOutput(opts.Out).WithShowHelp(true).RunWithContext(ctx)
		if errors.Is(err, huh.ErrUserAborted) || errors.Is(err, huh.ErrTimeout) {
			return ErrCancelled
		}
		return err
	}

	var first []huh.Field
	if a.Name == "" {
		first = append(first, huh.NewInput().Title("Profile name").
			Description("letters, digits, '.', '_' and '-'; you type it as tok token NAME").
			Value(&a.Name).Validate(opts.ValidName))
	}
	if a.Type == "" {
		a.Type = "oauth"
		first = append(first, huh.NewSelect[string]().Title("Type").
			Options(
				huh.NewOption("OAuth / OpenID Connect: sign in at a provider", "oauth"),
				huh.NewOption("Static: a token you already have (API key, personal access token)", "static"),
			).Value(&a.Type))
	}
	if len(first) > 0 {
		if err := run(huh.NewGroup(first...)); err != nil {
			return err
		}
	}
	if a.Type != "oauth" {
		return nil
	}

	var found Provider
	if a.Issuer == "" {
		err := run(huh.NewGroup(huh.NewInput().Title("Issuer URL").
			Description("the provider's address, e.g. https://id.example.com").
			Value(&a.Issuer).
			Validate(func(s string) error {
				s = strings.TrimSpace(s)
				if err := opts.ValidIssuer(s); err != nil {
					return err
				}
				p, err := opts.Discover(ctx, s)
				if err != nil {
					return fmt.Errorf("no discovery document there: %v", err)
				}
				found = p
				return nil
			})))
		if err != nil {
			return err
		}
		a.Issuer = strings.TrimSpace(a.Issuer)
	} else if p, err := opts.Discover(ctx, a.Issuer); err == nil {
		found = p
	}

	var fields []huh.Field
	fields = append(fields, huh.NewNote().Title("Found at "+a.Issuer).Description(describeProvider(found)))
	if a.ClientID == "" {
		fields = append(fields, huh.NewInput().Title("Client ID").
			Description("the OAuth client registered for tok at the provider").
			Value(&a.ClientID).Validate(func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New("a client ID is needed")
			}
			return nil
		}))
	}
	if a.Scopes == "" {
		a.Scopes = found.DefaultScopes
		fields = append(fields, huh.NewInput().Title("Scopes").Description("comma-separated").Value(&a.Scopes))
	}
	if a.Flow == "" {
		a.Flow = "auto"
		options := []huh.Option[string]{huh.NewOption("auto: browser here, device over SSH", "auto")}
		for _, f := range found.Flows {
			options = append(options, huh.NewOption(f, f))
		}
		fields = append(fields, huh.NewSelect[string]().Title("Login flow").Options(options...).Value(&a.Flow))
	}
	if err := run(huh.NewGroup(fields...)); err != nil {
		return err
	}
	a.ClientID = strings.TrimSpace(a.ClientID)
	return nil
}

// describeProvider says in a few lines what a person needs to choose.
func describeProvider(p Provider) string {
	var b strings.Builder
	if len(p.Flows) == 0 {
		b.WriteString("Login flows: none found in the discovery document\n")
	} else {
		fmt.Fprintf(&b, "Login flows: %s\n", strings.Join(p.Flows, ", "))
	}
	switch {
	case !p.ScopesListed:
		b.WriteString("Scopes: not listed by the provider")
	case p.OfflineAccess:
		b.WriteString("offline\\_access: listed (refresh tokens, fewer logins)")
	default:
		b.WriteString("offline\\_access: not listed (the provider may not give refresh tokens)")
	}
	return b.String()
}
