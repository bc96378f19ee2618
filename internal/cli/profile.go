package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/when"
)

func newProfileCmd(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "profile",
		Aliases: []string{"profiles"},
		Short:   "Add, change, list, show, rename, remove, export and import profiles",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newProfileAddCmd(d), newProfileSetCmd(d), newProfileListCmd(d), newProfileShowCmd(d), newProfileRmCmd(d), newProfileRenameCmd(d), newProfileExportCmd(d), newProfileImportCmd(d))
	return cmd
}

func newProfileAddCmd(d *Deps) *cobra.Command {
	var o profileOptions
	cmd := &cobra.Command{
		Use:   "add NAME --type static|oauth|federated [flags]",
		Short: "Add a profile",
		Long: `Add a profile. Names use letters, digits, '.', '_' and '-'.

A static profile holds a token you already have (an API key, a personal
access token, a Kubernetes service-account token); store it with tok login.

An oauth profile signs in at an OAuth 2.0 / OpenID Connect provider. Give
--issuer to discover its endpoints (OpenID Connect discovery, then RFC 8414),
or give them with --auth-url, --token-url, --device-auth-url, --revocation-url.
--provider fills the settings of a known provider (see docs/providers.md);
any other flag overrides them. The client secret of a confidential client
is read from a hidden prompt
(--client-secret) or from stdin (--client-secret-stdin), never from the
command line.

--refresh-margin (default 1m) is how long before expiry a token counts as
stale and is refreshed: long enough to cover clock skew and a request in
flight, short enough not to refresh needlessly. For a token that lives less
than twice the margin, half its lifetime is used instead, so each token is
renewed once (see docs/refresh.md).

A federated profile stores no secret at all: it trades the workload's own
OIDC token (GitHub Actions, GitLab CI, a Kubernetes service account token)
for an access token with RFC 8693 token exchange (--grant token-exchange,
the default) or an RFC 7523 JWT bearer grant (--grant jwt-bearer). The
subject token comes from --subject-token-file, --subject-token-command,
--subject-token-env or --github-actions-audience, and is fetched anew
before every exchange. See docs/ci.md.`,
		Example: `  tok profile add gh --type static --env GH_TOKEN
  tok profile add api --type oauth --issuer https://id.example.com --client-id tok-cli --scopes openid,offline_access
  tok profile add gh --provider github --client-id Iv1.0123456789abcdef --env GH_TOKEN
  echo "$SECRET" | tok profile add ci --type oauth --issuer https://id.example.com --client-id ci --client-secret-stdin --flow client-credentials
  tok profile add gha --type federated --issuer https://sts.example.com --github-actions-audience sts.example.com`,
		Args: func(cmd *cobra.Command, args []string) error {
			// At a terminal the form asks for a missing name.
			if len(args) == 0 && d.io.CanDraw() {
				return nil
			}
			return exactArgs(1, "a profile name")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return d.runProfileAdd(cmd.Context(), name, o)
		},
	}
	registerProfileFlags(cmd, &o)
	return cmd
}

func (d *Deps) runProfileAdd(ctx context.Context, name string, o profileOptions) error {
	if o.typ == "" && (o.issuer != "" || o.tokenURL != "" || o.clientID != "") && !o.fed.given() {
		o.typ = string(record.OAuth)
	}
	if needsProfileForm(name, &o) && d.io.CanDraw() {
		var err error
		if name, err = d.askProfile(ctx, name, &o); err != nil {
			return err
		}
	}
	spec, err := specFromFlags(tokens.ProfileSpec{Name: name}, &o, allFlags)
	if err != nil {
		return err
	}
	p, secret, err := d.buildProfile(ctx, spec, secretFlags{prompt: o.clientSecretFlag, stdin: o.clientSecretIn})
	if err != nil {
		return err
	}
	if p.OAuth != nil && p.OAuth.Flow == tokens.FlowClientCredentials && secret == "" {
		return usagef("the client-credentials flow needs a client secret: add --client-secret or --client-secret-stdin")
	}
	if p.OAuth != nil && (p.OAuth.ClientAuth == oauth.ClientAuthBasic || p.OAuth.ClientAuth == oauth.ClientAuthPost) && secret == "" {
		return usagef("--client-auth %s sends a client secret: add --client-secret or --client-secret-stdin (a public client uses --client-auth none)", p.OAuth.ClientAuth)
	}
	var notes []string
	if p.OAuth != nil && p.OAuth.Provider != "" {
		pr, err := providers.Lookup(p.OAuth.Provider)
		if err != nil {
			return usagef("--provider: %v", err)
		}
		if pr.NeedsSecret && secret == "" {
			return usagef("%s clients need their client secret, even for installed applications: add --client-secret or --client-secret-stdin", pr.Title)
		}
		if pr.NeedsAudience && p.OAuth.Audience == "" {
			notes = append(notes, fmt.Sprintf("warning: without --audience %s issues access tokens only its userinfo endpoint accepts; give your API's identifier, e.g. --audience https://api.example.com", pr.Title))
		}
		notes = append(notes, pr.NotesFor(p.OAuth.Issuer)...)
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.AddProfile(ctx, p, secret); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(d.io.ErrOut, "%s: %s\n", p.OAuth.Provider, n)
	}
	fmt.Fprintf(d.io.ErrOut, "Added %s profile %q. Next: %s\n", p.Type, name, loginCommand(p))
	return nil
}

// secretFlags say where the client secret comes from: a hidden prompt
// (--client-secret) or stdin (--client-secret-stdin).
type secretFlags struct{ prompt, stdin bool }

// buildProfile makes the profile spec describes (tokens.BuildProfile) and
// reads the client secret the flags ask for, returned apart.
func (d *Deps) buildProfile(ctx context.Context, spec tokens.ProfileSpec, sf secretFlags) (tokens.Profile, string, error) {
	p, err := d.buildSpec(ctx, spec)
	if err != nil {
		return tokens.Profile{}, "", err
	}
	if p.Type == record.Static {
		if sf.prompt || sf.stdin {
			return tokens.Profile{}, "", usagef("OAuth flags (--issuer, --client-id, ...) need --type oauth")
		}
		return p, "", nil
	}
	var secret string
	switch {
	case sf.stdin:
		if secret, err = readSecretStdin(d.io.In); err != nil {
			return tokens.Profile{}, "", fmt.Errorf("could not read the client secret from stdin: %w", err)
		}
	case sf.prompt:
		if !d.io.CanPrompt() {
			return tokens.Profile{}, "", usagef("no terminal to prompt for the client secret; pipe it in with --client-secret-stdin")
		}
		if secret, err = d.io.ReadSecret("Client secret: "); err != nil {
			return tokens.Profile{}, "", fmt.Errorf("could not read the client secret: %w", err)
		}
	}
	if p.OAuth.ClientAuth == oauth.ClientAuthNone && secret != "" {
		return tokens.Profile{}, "", usagef("--client-auth none is for public clients, which have no secret; drop --client-secret, or use --client-auth basic or post")
	}
	return p, secret, nil
}

// buildSpec is tokens.BuildProfile for a spec made from flags or TOK_*
// variables: its problems are usage errors in the words of the flags, and
// its warnings go to stderr.
func (d *Deps) buildSpec(ctx context.Context, spec tokens.ProfileSpec) (tokens.Profile, error) {
	p, warnings, err := tokens.BuildProfile(ctx, spec, tokens.HTTPDiscovery(30*time.Second), d.now())
	if err != nil {
		return tokens.Profile{}, flagSpecError(err)
	}
	for _, w := range warnings {
		fmt.Fprintln(d.io.ErrOut, w)
	}
	return p, nil
}

// flagSpecError makes a tokens.SpecError a usage error that names the
// settings by their flags; other errors pass unchanged.
func flagSpecError(err error) error {
	var se *tokens.SpecError
	if !errors.As(err, &se) {
		return err
	}
	return &usageError{&namedSpecError{se, flagName}}
}

// namedSpecError is a tokens.SpecError whose settings are named by name.
type namedSpecError struct {
	*tokens.SpecError
	name func(key string) string
}

func (e *namedSpecError) Error() string { return e.Text(e.name) }
func (e *namedSpecError) Unwrap() error { return e.SpecError }

// flagNames are the flags whose names are not the profile-file key with
// '-' for '_'.
var flagNames = map[string]string{
	"resources":              "--resource",
	"auth_params":            "--auth-param",
	"git_urls":               "--git-url",
	"registries":             "--registry",
	"federation":             "--grant/--subject-token-*",
	"shared_cache.namespace": "--shared-cache-namespace",
}

// flagName is the flag of a profile setting named by its profile-file
// key: client_id is --client-id, federation.subject_token_file
// --subject-token-file.
func flagName(key string) string {
	if f, ok := flagNames[key]; ok {
		return f
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return "--" + strings.ReplaceAll(key, "_", "-")
}

func newProfileListCmd(d *Deps) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List profiles",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := d.service()
			if err != nil {
				return err
			}
			list, err := svc.List()
			if err != nil {
				return err
			}
			if asJSON {
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
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
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

func newProfileShowCmd(d *Deps) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "show [NAME]",
		Short:             "Show a profile's configuration (never its secrets)",
		Args:              d.profileArg,
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := d.profileName()
			if len(args) == 1 {
				name = args[0]
			}
			svc, err := d.service()
			if err != nil {
				return err
			}
			ps, err := svc.Status(name)
			if err != nil {
				return err
			}
			if asJSON {
				return d.writeStatusJSON([]tokens.ProfileStatus{ps})
			}
			return d.writeProfileDetail(ps)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

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

func newProfileRmCmd(d *Deps) *cobra.Command {
	return &cobra.Command{
		Use:               "rm NAME",
		Aliases:           []string{"remove", "delete"},
		Short:             "Remove a profile and its tokens from this machine",
		Long:              "Remove a profile and its token state. The server is not told: run tok revoke -p NAME first to invalidate its tokens there.",
		Args:              exactArgs(1, "a profile name"),
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := d.service()
			if err != nil {
				return err
			}
			if err := svc.RemoveProfile(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(d.io.ErrOut, "Removed profile %q.\n", args[0])
			return nil
		},
	}
}

func newProfileRenameCmd(d *Deps) *cobra.Command {
	return &cobra.Command{
		Use:               "rename OLD NEW",
		Aliases:           []string{"mv"},
		Short:             "Rename a profile",
		Args:              exactArgs(2, "the old and the new name"),
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A malformed new name is a usage error (exit 2), as in profile add.
			if err := tokens.ValidateName(args[1]); err != nil {
				return &usageError{err}
			}
			svc, err := d.service()
			if err != nil {
				return err
			}
			if err := svc.RenameProfile(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(d.io.ErrOut, "Renamed profile %q to %q.\n", args[0], args[1])
			return nil
		},
	}
}

func newUseCmd(d *Deps) *cobra.Command {
	var unset bool
	cmd := &cobra.Command{
		Use:   "use [NAME | --unset]",
		Short: "Make a profile the default",
		Long: `Make a profile the default: commands use it when neither -p nor TOK_PROFILE names one. Without NAME, a person at a terminal picks one from a list.

With --unset there is no default any more: commands then need -p or
TOK_PROFILE, and a person at a terminal picks a profile from a list.`,
		Example: `  tok use api
  tok use
  tok use --unset`,
		Args:              d.profileArg,
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := d.service()
			if err != nil {
				return err
			}
			if unset {
				if len(args) > 0 {
					return usagef("tok use --unset takes no profile name; to choose a default run: tok use %s", args[0])
				}
				prev, err := svc.ClearDefault()
				if err != nil {
					return err
				}
				if prev == "" {
					fmt.Fprintln(d.io.ErrOut, "There was no default profile.")
				} else {
					fmt.Fprintf(d.io.ErrOut, "Profile %q is no longer the default; there is none now.\n", prev)
				}
				return nil
			}
			var name string
			switch {
			case len(args) == 1:
				name = args[0]
			case !d.io.CanDraw():
				return usagef("no profile named and no terminal to pick one on; name it: tok use NAME")
			default:
				if name, err = d.chooseProfile(cmd.Context()); err != nil {
					return err
				}
			}
			if err := svc.SetDefault(name); err != nil {
				return err
			}
			fmt.Fprintf(d.io.ErrOut, "Default profile is now %q.\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&unset, "unset", false, "forget the default profile")
	return cmd
}

func (d *Deps) completeProfileArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Name() != "rename" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return d.completeProfiles(cmd, args, toComplete)
}

// exactArgs is cobra.ExactArgs with a message that says what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d argument(s)); see: %s --help", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}
