package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

// profileListOptions is what tok profile list's command line says.
type profileListOptions struct {
	JSON bool // --json
}

// newCmdProfileList builds tok profile list. It only parses: runF (nil =
// d.runProfileList) does the work.
func newCmdProfileList(d *Deps, runF func(*profileListOptions) error) *cobra.Command {
	opts := &profileListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List profiles",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileList(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// runProfileList lists the profiles with their status, as a table or JSON.
func (d *Deps) runProfileList(opts *profileListOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	list, err := svc.List()
	if err != nil {
		return err
	}
	if opts.JSON {
		return d.writeStatusJSON(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(d.io.ErrOut, noProfilesHint)
		return nil
	}
	tw := tabwriter.NewWriter(d.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tISSUER\tSTATUS\tDESCRIPTION")
	for _, ps := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", listedName(ps), ps.Profile.Type, dash(ps.Profile.IssuerHost()), statusPhrase(ps, d.now()), ps.Profile.Description)
	}
	return tw.Flush()
}

// noProfilesHint is what listings say on an empty database.
const noProfilesHint = "No profiles yet. Add one with: tok profile add NAME --type static|oauth"

// listedName is a profile's name in listings, with * marking the default.
func listedName(ps tokens.ProfileStatus) string {
	if ps.Default {
		return ps.Profile.Name + " *"
	}
	return ps.Profile.Name
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// statusPhrase is a profile's state for people: "valid for 42m", "stale".
func statusPhrase(ps tokens.ProfileStatus, now time.Time) string {
	switch ps.Status {
	case record.StatusValid:
		if ps.Expiry.IsZero() {
			return "valid"
		}
		return "valid for " + humanDuration(ps.Expiry.Sub(now))
	case record.StatusExpired:
		if ps.Profile.Type == record.OAuth {
			return "expired (refreshes on next use)"
		}
		return "expired"
	}
	return string(ps.Status)
}

type statusJSON struct {
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	Default     bool       `json:"default"`
	Description string     `json:"description,omitempty"`
	Issuer      string     `json:"issuer,omitempty"`
	ClientID    string     `json:"client_id,omitempty"`
	Flow        string     `json:"flow,omitempty"`
	Scopes      []string   `json:"scopes,omitempty"`
	Env         []string   `json:"env,omitempty"`
	Status      string     `json:"status"`
	ExpiresAt   *time.Time `json:"expires_at"`
	ExpiresIn   *int64     `json:"expires_in"`
	Refresh     bool       `json:"has_refresh_token"`
	IDToken     bool       `json:"has_id_token"`
}

func (d *Deps) writeStatusJSON(list []tokens.ProfileStatus) error {
	out := make([]statusJSON, 0, len(list))
	for _, ps := range list {
		p := ps.Profile
		j := statusJSON{Name: p.Name, Type: string(p.Type), Default: ps.Default, Description: p.Description, Env: p.Env, Status: string(ps.Status), Refresh: ps.HasRefresh, IDToken: ps.HasIDToken}
		if p.OAuth != nil {
			j.Issuer, j.ClientID, j.Flow, j.Scopes = p.OAuth.Issuer, p.OAuth.ClientID, string(p.OAuth.Flow), p.OAuth.Scopes
		}
		if !ps.Expiry.IsZero() {
			exp := ps.Expiry.UTC()
			in := int64(ps.Expiry.Sub(d.now()).Seconds())
			j.ExpiresAt, j.ExpiresIn = &exp, &in
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(d.io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
