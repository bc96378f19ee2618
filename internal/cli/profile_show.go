package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

// profileShowOptions is what tok profile show's command line says.
type profileShowOptions struct {
	Profile string // the argument or -p; "" = TOK_PROFILE or the default
	JSON    bool   // --json
}

// newCmdProfileShow builds tok profile show. It only parses: runF (nil =
// d.runProfileShow) does the work.
func newCmdProfileShow(d *Deps, runF func(*profileShowOptions) error) *cobra.Command {
	opts := &profileShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show a profile's configuration (never its secrets)",
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return d.withProfileArg(cmd, &opts.Profile, func(_ context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		return d.runProfileShow(opts)
	})
}

// runProfileShow prints one profile's settings and status, never its
// secrets.
func (d *Deps) runProfileShow(opts *profileShowOptions) error {
	name := plan.Profile(opts.Profile, "", d.getenv)
	svc, err := d.service()
	if err != nil {
		return err
	}
	ps, err := svc.Status(name)
	if err != nil {
		return err
	}
	if opts.JSON {
		return d.writeStatusJSON([]tokens.ProfileStatus{ps})
	}
	return d.writeProfileDetail(ps)
}

// writeProfileDetail prints a profile as tok profile show does.
func (d *Deps) writeProfileDetail(ps tokens.ProfileStatus) error {
	p := ps.Profile
	tw := tabwriter.NewWriter(d.io.Out, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("Name", p.Name)
	row("Type", string(p.Type))
	if ps.Default {
		row("Default", "yes")
	}
	row("Description", p.Description)
	row("Env", strings.Join(p.Env, ", "))
	if o := p.OAuth; o != nil {
		row("Issuer", o.Issuer)
		row("Client ID", o.ClientID)
		if len(o.ClientSecret) > 0 {
			row("Client secret", "(stored, sealed)")
		}
		row("Flow", string(o.Flow))
		row("Scopes", strings.Join(o.Scopes, " "))
		row("Audience", o.Audience)
		row("Resources", strings.Join(o.Resources, " "))
		row("Authorization endpoint", o.Endpoints.AuthURL)
		row("Token endpoint", o.Endpoints.TokenURL)
		row("Device endpoint", o.Endpoints.DeviceAuthURL)
		row("Revocation endpoint", o.Endpoints.RevocationURL)
		row("Refresh margin", p.Policy().Margin().String())
		switch {
		case o.ClientAuth != "":
			row("Client auth", string(o.ClientAuth))
		case o.ClientAuthSeen != "":
			row("Client auth", string(o.ClientAuthSeen)+" (learned)")
		}
		row("Kubernetes token", string(o.K8sToken))
		row("CA file", o.CAFile)
		if o.RedirectPort != 0 {
			row("Redirect port", fmt.Sprint(o.RedirectPort))
		}
	}
	if sc := p.Shared; sc != nil {
		row("Shared cache", sharedcache.Redacted(sc.URL))
		row("Shared namespace", tokens.SharedNamespace(&p))
	}
	if r := p.Remotes; r != nil {
		row("Git URLs", strings.Join(r.Git, " "))
		row("Git username", r.GitUsername)
		row("Registries", strings.Join(r.Registries, " "))
		row("Registry username", r.RegistryUsername)
		if r.StoredBy != "" {
			row("Stored by", r.StoredBy+" (its erase removes this profile)")
		}
	}
	row("Status", statusPhrase(ps, d.now()))
	if !ps.Expiry.IsZero() {
		row("Expires", when.Format(ps.Expiry, d.now()))
	}
	if p.Type == record.OAuth {
		row("Refresh token", yesNo(ps.HasRefresh))
		row("ID token", yesNo(ps.HasIDToken))
	}
	return tw.Flush()
}
