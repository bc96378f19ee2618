package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
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
	return d.writeListing(list, opts.JSON, func() error {
		tw := tabwriter.NewWriter(d.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tISSUER\tSTATUS\tDESCRIPTION")
		for _, ps := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", listedName(ps), ps.Profile.Type, dash(ps.Profile.IssuerHost()), statusPhrase(ps, d.now()), ps.Profile.Description)
		}
		return tw.Flush()
	})
}

// writeListing writes a listing of profiles (tok profile list, tok
// status): as JSON when asJSON, the hint to add one on an empty
// database, else the command's own table.
func (d *Deps) writeListing(list []tokens.ProfileStatus, asJSON bool, table func() error) error {
	switch {
	case asJSON:
		return d.writeStatusJSON(list)
	case len(list) == 0:
		fmt.Fprintln(d.io.ErrOut, noProfilesHint)
		return nil
	}
	return table()
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
